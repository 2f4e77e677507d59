"""Folder paths in a drive, created as needed and never duplicated.

``ensure(parts)`` walks from a base folder: each level is looked up by path
(``GET .../items/{parent}:/{name}``) and, when missing, created with
``conflictBehavior: fail``; a 409 means another run made it first, so it is looked
up again. Two connectors creating the same tree at once therefore end with one
folder per path. Resolved ids are cached per connector.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from urllib.parse import quote

from connectors.base import SkipRecord
from connectors.microsoft_graph.client import Conflict, GraphClient, NotFound

_ILLEGAL = re.compile(r'["*:<>?/\\|\x00-\x1f]')


def safe_name(name: str) -> str:
    """A SharePoint-legal item name: illegal characters become '_', no trailing dot or
    surrounding spaces."""
    cleaned = _ILLEGAL.sub("_", name).strip().rstrip(".").strip()
    if not cleaned:
        raise SkipRecord(f"archive path segment {name!r} is empty once made SharePoint-safe")
    return cleaned


def item_path(parent_id: str, name: str) -> str:
    return f"/items/{parent_id}:/{quote(name, safe='')}:"


class FolderTree:
    def __init__(self, client: GraphClient, drive_path: str, base_id: str) -> None:
        self.client = client
        self.drive_path = drive_path  # "/drives/{id}"
        self.base_id = base_id
        self._ids: dict[tuple[str, ...], str] = {(): base_id}
        self._lock = threading.Lock()

    def ensure(self, parts: Sequence[str]) -> str:
        """The id of the folder at ``parts`` under the base, created as needed."""
        key: tuple[str, ...] = ()
        folder = self.base_id
        for part in parts:
            key = (*key, part.lower())
            with self._lock:
                known = self._ids.get(key)
            if known is None:
                known = self._one(folder, part)
                with self._lock:
                    self._ids[key] = known
            folder = known
        return folder

    def _one(self, parent_id: str, name: str) -> str:
        found = self._lookup(parent_id, name)
        if found is not None:
            return found
        try:
            made = self.client.call("folder.create", "POST",
                                    f"{self.drive_path}/items/{parent_id}/children", json={
                                        "name": name, "folder": {},
                                        "@microsoft.graph.conflictBehavior": "fail"})
            return str(made.json()["id"])
        except Conflict:
            found = self._lookup(parent_id, name)
            if found is None:
                raise
            return found

    def _lookup(self, parent_id: str, name: str) -> str | None:
        try:
            item = self.client.call("folder.get", "GET",
                                    self.drive_path + item_path(parent_id, name)).json()
        except NotFound:
            return None
        if "folder" not in item:
            raise SkipRecord(f"{name!r} exists in the archive but is a file, not a folder")
        return str(item["id"])
