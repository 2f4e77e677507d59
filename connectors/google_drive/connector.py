"""``GoogleDriveConnector``: the storage protocol (``connectors.storage``) on Drive v3.

Files carry the hub's properties as ``appProperties`` (private to the app), so
``find`` is one ``files.list`` with ``appProperties has {key=... and
value=...}`` clauses. Uploads are multipart up to ``resumable_above_bytes`` and
resumable above, in ``upload_chunk_bytes`` chunks; an interrupted chunk is
resumed where Drive says it stopped (the library asks with ``bytes */N``).
The change cursor is Drive's page token: ``{"v": 1, "token": "..."}``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

from googleapiclient.http import MediaIoBaseUpload

from connectors.base import CallCounter, ConfigError, SkipRecord
from connectors.google_drive.client import DriveClient
from connectors.google_drive.errors import NotFound
from connectors.google_drive.folders import FOLDER, FolderTree, quote
from connectors.google_drive.settings import DriveSettings, parse_settings
from connectors.storage import ChangePage, CursorExpired, StorageChange, StoredFile

FILE_FIELDS = "id,name,mimeType,parents,size,md5Checksum,sha256Checksum,modifiedTime,trashed," \
              "appProperties"
CURSOR_VERSION = 1
_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class GoogleDriveConnector:
    kind: Literal["storage"] = "storage"

    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Any) -> None:
        self.name = name
        self.settings: DriveSettings = parse_settings(name, settings)
        self.clock = clock
        self.client = DriveClient(self.settings, sleep=clock.sleep)
        self._tree: FolderTree | None = None

    @property
    def calls(self) -> CallCounter:
        return self.client.calls

    # the root folder --------------------------------------------------------------
    @property
    def tree(self) -> FolderTree:
        if self._tree is None:
            self._tree = FolderTree(self.client, self._root_id())
        return self._tree

    def _root_id(self) -> str:
        root = self.settings.root_folder
        if _ID.match(root):
            try:
                meta = self.client.run("files.get", lambda: self.client.files.get(
                    fileId=root, fields="id,mimeType,trashed"))
                if meta.get("mimeType") == FOLDER and not meta.get("trashed"):
                    return str(meta["id"])
                raise ConfigError(f"connection {self.name!r}: root_folder {root!r} is not a "
                                  "folder (or is in the trash)")
            except NotFound:
                pass
        top = FolderTree(self.client, "root")
        return top.ensure([p for p in root.split("/") if p])

    def check(self) -> None:
        self.tree  # noqa: B018 - resolving the root proves credentials, TLS and access

    # files ------------------------------------------------------------------------
    def _stored(self, meta: Mapping[str, Any], path: str | None = None) -> StoredFile:
        if path is None:
            parents = meta.get("parents") or []
            folder = self.tree.path_of(parents[0]) if parents else None
            path = "" if folder is None else (f"{folder}/" if folder else "")
            path = f"{path}{meta.get('name', '')}" if folder is not None else \
                f"?/{meta.get('name', '')}"
        tag = meta.get("sha256Checksum") or meta.get("md5Checksum") or ""
        return StoredFile(remote_id=str(meta["id"]), path=path, size=int(meta.get("size") or 0),
                          content_tag=str(tag), properties=dict(meta.get("appProperties") or {}),
                          modified=_time(meta.get("modifiedTime")),
                          trashed=bool(meta.get("trashed")))

    def find(self, properties: Mapping[str, str]) -> StoredFile | None:
        meta = self.client.retry("files.list", lambda: self._find_meta(properties))
        return self._stored(meta) if meta is not None else None

    def _find_meta(self, properties: Mapping[str, str]) -> dict[str, Any] | None:
        """One files.list (no retry of its own): the oldest live file with the properties."""
        if not properties:
            raise ValueError("find needs at least one property")
        clauses = [f"appProperties has {{ key={quote(k)} and value={quote(str(v))} }}"
                   for k, v in sorted(properties.items())]
        q = " and ".join(clauses + ["trashed = false"])
        found = self.client.files.list(q=q, fields=f"files({FILE_FIELDS},createdTime)",
                                       orderBy="createdTime", pageSize=10
                                       ).execute(num_retries=0)
        files = found.get("files", [])
        return dict(files[0]) if files else None

    def put(self, path: str, content: bytes, properties: Mapping[str, str], *,
            media_type: str = "application/pdf") -> StoredFile:
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise SkipRecord(f"{self.name}: empty archive path")
        try:
            return self._put(parts, content, properties, media_type)
        except NotFound:  # a cached folder was deleted remotely: look the path up afresh
            self._tree = None
            return self._put(parts, content, properties, media_type)

    def _put(self, parts: list[str], content: bytes, properties: Mapping[str, str],
             media_type: str) -> StoredFile:
        folder = self.tree.ensure(parts[:-1])
        body = {"name": parts[-1], "parents": [folder], "mimeType": media_type,
                "appProperties": dict(properties)}
        if len(content) > self.settings.resumable_above_bytes:
            return self._stored(self._upload_resumable(body, content, media_type),
                                "/".join(parts))
        tries = 0

        def create() -> dict[str, Any]:
            nonlocal tries
            tries += 1
            if tries > 1:  # the failed try may have created the file after all
                earlier = self._find_meta(properties)
                if earlier is not None:
                    return earlier
            return dict(self.client.files.create(
                body=body, fields=FILE_FIELDS, media_body=MediaIoBaseUpload(
                    io.BytesIO(content), mimetype=media_type, resumable=False)
            ).execute(num_retries=0))
        return self._stored(self.client.retry("files.create", create), "/".join(parts))

    def _upload_resumable(self, body: Mapping[str, Any], content: bytes,
                          media_type: str) -> dict[str, Any]:
        media = MediaIoBaseUpload(io.BytesIO(content), mimetype=media_type,
                                  chunksize=self.settings.upload_chunk_bytes, resumable=True)
        request = self.client.files.create(body=dict(body), fields=FILE_FIELDS,
                                           media_body=media)
        response = None
        while response is None:
            _, response = self.client.retry("files.create.chunk",
                                            lambda: request.next_chunk(num_retries=0))
        return dict(response)

    def fetch(self, remote_id: str) -> bytes:
        data: bytes = self.client.run("files.get.media", lambda: self.client.files.get_media(
            fileId=remote_id))
        return data

    def get(self, remote_id: str) -> StoredFile | None:
        try:
            meta = self.client.run("files.get", lambda: self.client.files.get(
                fileId=remote_id, fields=FILE_FIELDS))
        except NotFound:
            return None
        return self._stored(meta)

    def remove(self, remote_id: str) -> None:
        try:
            self.client.run("files.delete", lambda: self.client.files.delete(fileId=remote_id))
        except NotFound:
            pass

    # changes ----------------------------------------------------------------------
    def start_cursor(self) -> Mapping[str, Any]:
        answer = self.client.run("changes.getStartPageToken",
                                 lambda: self.client.changes.getStartPageToken())
        return {"v": CURSOR_VERSION, "token": str(answer["startPageToken"])}

    def changes(self, cursor: Mapping[str, Any]) -> Iterator[ChangePage]:
        if cursor.get("v") != CURSOR_VERSION or not cursor.get("token"):
            raise CursorExpired(f"{self.name}: change cursor {dict(cursor)!r} is not a "
                                f"version-{CURSOR_VERSION} Drive cursor")
        token = str(cursor["token"])
        fields = (f"nextPageToken,newStartPageToken,changes(changeType,removed,fileId,time,"
                  f"file({FILE_FIELDS}))")
        while True:
            try:
                page = self.client.run("changes.list", lambda t=token: self.client.changes.list(
                    pageToken=t, fields=fields, pageSize=100, spaces="drive"))
            except (NotFound, SkipRecord) as exc:
                raise CursorExpired(f"{self.name}: Drive refused the change cursor "
                                    f"({exc.user_message})") from None
            changes = tuple(self._change(c) for c in page.get("changes", [])
                            if c.get("changeType", "file") == "file"
                            and (c.get("removed") or (c.get("file") or {}).get("mimeType")
                                 != FOLDER))
            token = page.get("nextPageToken") or page.get("newStartPageToken")
            yield ChangePage(changes, {"v": CURSOR_VERSION, "token": token})
            if not page.get("nextPageToken"):
                return

    def _change(self, item: Mapping[str, Any]) -> StorageChange:
        at = _time(item.get("time"))
        if item.get("removed") or not item.get("file"):
            return StorageChange(str(item["fileId"]), "deleted", None, at)
        stored = self._stored(item["file"])
        return StorageChange(stored.remote_id, "trashed" if stored.trashed else "other",
                             stored, at)


def factory(*, name: str, settings: Mapping[str, Any], clock: Any) -> GoogleDriveConnector:
    return GoogleDriveConnector(name=name, settings=settings, clock=clock)


