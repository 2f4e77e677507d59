"""The emulated Drive: files (folders are files of the folder MIME type), a
change log, and counters the tests read.

Every mutation appends to the change log under the store lock; a change
token is the index of the next change. ``render`` gives the v3 ``File``
resource (int64 values such as ``size`` as strings, as Drive sends them).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.google_drive.errors import DriveError, not_found

FOLDER = "application/vnd.google-apps.folder"
ROOT_ID = "0AContractHubRootFolderPVA"


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: datetime
    modified: datetime
    content: bytes | None = None
    trashed: bool = False
    app_properties: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What ``q`` can ask about, without hashing the content."""
        return {"name": self.name, "mimeType": self.mime_type, "parents": self.parents,
                "trashed": self.trashed, "appProperties": self.app_properties}

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime_type,
            "parents": list(self.parents), "trashed": self.trashed,
            "createdTime": _stamp(self.created), "modifiedTime": _stamp(self.modified),
            "appProperties": dict(self.app_properties)}
        if self.content is not None:
            out.update(size=str(len(self.content)),
                       md5Checksum=hashlib.md5(self.content).hexdigest(),
                       sha256Checksum=hashlib.sha256(self.content).hexdigest())
        return out


@dataclass
class Change:
    file_id: str
    time: datetime


class DriveStore:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.lock = threading.RLock()
        self.files: dict[str, DriveFile] = {}
        self.changes: list[Change] = []
        self.oldest_token = 0
        self.created_count = 0
        self._last_stamp: datetime | None = None

    # time and ids ---------------------------------------------------------
    def _tick(self) -> datetime:
        """Strictly increasing (by at least 1 ms) so creation order is knowable."""
        now = self.now()
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return now

    def _record(self, file_id: str, at: datetime) -> None:
        self.changes.append(Change(file_id, at))

    # reads ------------------------------------------------------------------
    def resolve(self, file_id: str) -> str:
        return ROOT_ID if file_id == "root" else file_id

    def get(self, file_id: str) -> DriveFile:
        f = self.files.get(self.resolve(file_id))
        if f is None:
            raise not_found(file_id)
        return f

    def live_files(self) -> list[DriveFile]:
        return sorted(self.files.values(), key=lambda f: (f.created, f.id))

    # writes -----------------------------------------------------------------
    def create(self, meta: Mapping[str, Any], content: bytes | None) -> DriveFile:
        with self.lock:
            parents = [self.resolve(p) for p in meta.get("parents") or ["root"]]
            for p in parents:
                parent = self.files.get(p)
                if p != ROOT_ID and (parent is None or parent.mime_type != FOLDER):
                    raise DriveError(404, "notFound", f"File not found: {p}.",
                                     location="fileId")
            mime = meta.get("mimeType") or "application/octet-stream"
            at = self._tick()
            f = DriveFile(id=secrets.token_urlsafe(24).replace("-", "x").replace("_", "y"),
                          name=str(meta.get("name") or "Untitled"), mime_type=mime,
                          parents=parents, created=at, modified=at,
                          content=None if mime == FOLDER else (content or b""),
                          app_properties={str(k): str(v) for k, v in
                                          (meta.get("appProperties") or {}).items()})
            self.files[f.id] = f
            self.created_count += 1
            self._record(f.id, at)
            return f

    def update(self, file_id: str, meta: Mapping[str, Any], *, add_parents: str = "",
               remove_parents: str = "", content: bytes | None = None) -> DriveFile:
        with self.lock:
            f = self.get(file_id)
            if "name" in meta:
                f.name = str(meta["name"])
            if "trashed" in meta:
                f.trashed = bool(meta["trashed"])
            if "mimeType" in meta and f.mime_type != FOLDER:
                f.mime_type = str(meta["mimeType"])
            for key, value in (meta.get("appProperties") or {}).items():
                if value is None:
                    f.app_properties.pop(key, None)
                else:
                    f.app_properties[str(key)] = str(value)
            for p in filter(None, remove_parents.split(",")):
                if self.resolve(p) in f.parents:
                    f.parents.remove(self.resolve(p))
            for p in filter(None, add_parents.split(",")):
                target = self.get(p)
                if target.id not in f.parents:
                    f.parents.append(target.id)
            if content is not None:
                if f.mime_type == FOLDER:
                    raise DriveError(400, "badContent", "A folder has no content.")
                f.content = content
            f.modified = self._tick()
            self._record(f.id, f.modified)
            return f

    def delete(self, file_id: str) -> None:
        with self.lock:
            f = self.get(file_id)
            del self.files[f.id]
            for child in [c for c in self.files.values() if f.id in c.parents]:
                self.delete(child.id)
            self._record(f.id, self._tick())

    # changes ----------------------------------------------------------------
    def start_token(self) -> str:
        with self.lock:
            return str(len(self.changes) + 1)

    def expire_tokens(self) -> None:
        """Every token handed out so far is refused from now on (tests)."""
        with self.lock:
            self.oldest_token = len(self.changes) + 1

    def changes_page(self, token: str, size: int) -> tuple[list[dict[str, Any]], str | None,
                                                           str | None]:
        """(changes, nextPageToken, newStartPageToken) from ``token``."""
        with self.lock:
            if not token.isdigit() or not (max(1, self.oldest_token) <= int(token)
                                           <= len(self.changes) + 1):
                raise DriveError(400, "invalid", f"Invalid Value: pageToken {token!r}",
                                 location="pageToken")
            start = int(token) - 1
            chosen = self.changes[start:start + size]
            later = {c.file_id: i for i, c in enumerate(self.changes)}
            items = []
            for i, ch in enumerate(chosen, start):
                if later[ch.file_id] != i:
                    continue  # Drive reports a file once, in its latest state
                f = self.files.get(ch.file_id)
                item: dict[str, Any] = {"kind": "drive#change", "changeType": "file",
                                        "fileId": ch.file_id, "removed": f is None,
                                        "time": _stamp(ch.time)}
                if f is not None:
                    item["file"] = f.render()
                items.append(item)
            end = start + len(chosen)
            if end < len(self.changes):
                return items, str(end + 1), None
            return items, None, str(len(self.changes) + 1)
