"""Folder paths on Drive: found or created one level at a time, never duplicated.

Drive allows any number of folders with the same name in the same parent, so
two archive cycles creating ``Contracts/Acme`` at once could leave two. The
rule every writer follows: look the folder up (name + parent, not trashed,
oldest first) before creating; after creating, list again and keep the oldest,
trashing its own copy if it lost. Both writers then agree on the same folder,
and the loser's copy is empty (nothing is put in a folder before the check).
"""

from __future__ import annotations

from typing import Any

from connectors.google_drive.client import DriveClient
from connectors.google_drive.errors import NotFound

FOLDER = "application/vnd.google-apps.folder"
LIST_FIELDS = "nextPageToken,files(id,name,parents,createdTime)"


def quote(text: str) -> str:
    """A string literal for the ``q`` language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class FolderTree:
    """Resolves slash-separated folder paths under one root folder id, with a cache."""

    def __init__(self, client: DriveClient, root_id: str) -> None:
        self.client = client
        self.root_id = root_id
        self._ids: dict[tuple[str, str], str] = {}
        self._paths: dict[str, str] = {root_id: ""}

    def _candidates(self, parent: str, name: str) -> list[dict[str, Any]]:
        q = (f"name = {quote(name)} and {quote(parent)} in parents and "
             f"mimeType = '{FOLDER}' and trashed = false")
        found = self.client.run("files.list", lambda: self.client.files.list(
            q=q, fields=LIST_FIELDS, orderBy="createdTime", pageSize=100))
        return sorted(found.get("files", []), key=lambda f: (f.get("createdTime", ""), f["id"]))

    def child(self, parent: str, name: str, *, create: bool = True) -> str | None:
        key = (parent, name)
        if key in self._ids:
            return self._ids[key]
        existing = self._candidates(parent, name)
        if existing:
            return self._remember(parent, name, existing[0]["id"])
        if not create:
            return None
        mine = self.client.run("files.create", lambda: self.client.files.create(
            body={"name": name, "mimeType": FOLDER, "parents": [parent]},
            fields="id,createdTime"))["id"]
        winner = self._candidates(parent, name)
        keep = winner[0]["id"] if winner else mine
        if keep != mine:
            self.client.run("files.update", lambda: self.client.files.update(
                fileId=mine, body={"trashed": True}, fields="id"))
        return self._remember(parent, name, keep)

    def _remember(self, parent: str, name: str, folder_id: str) -> str:
        self._ids[(parent, name)] = folder_id
        base = self._paths.get(parent)
        if base is not None:
            self._paths[folder_id] = f"{base}/{name}" if base else name
        return folder_id

    def ensure(self, parts: list[str]) -> str:
        folder = self.root_id
        for name in parts:
            folder = self.child(folder, name)  # type: ignore[assignment]
        return folder

    def path_of(self, folder_id: str) -> str | None:
        """The folder's path from the root ("" for the root), None when outside it."""
        seen: list[tuple[str, str]] = []
        current = folder_id
        for _ in range(64):
            if current in self._paths:
                base = self._paths[current]
                for fid, name in reversed(seen):
                    base = f"{base}/{name}" if base else name
                    self._paths[fid] = base
                return self._paths[folder_id]
            try:
                meta = self.client.run("files.get", lambda c=current: self.client.files.get(
                    fileId=c, fields="id,name,parents"))
            except NotFound:
                return None
            parents = meta.get("parents") or []
            if not parents:
                return None
            seen.append((current, meta["name"]))
            current = parents[0]
        return None
