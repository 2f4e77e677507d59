"""The Graph emulator's state: SharePoint sites, drives (document libraries), drive
items with their listItem fields, and a change sequence for delta.

Every mutation takes ``lock`` and stamps the item with the next sequence number;
``changes_since`` is what delta reads. Names are unique per folder ignoring case,
as in OneDrive. A deleted item stays as a tombstone so delta can report it.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.microsoft_graph.errors import GraphError, invalid, item_not_found, name_exists

DEFAULT_COLUMNS = {"ContractHubDocument": True, "ContractHubProperties": False}
"""Library columns (name -> indexed) the default library has: the connector keeps its
idempotency keys there."""
_BAD_NAME = re.compile(r'["*:<>?/\\|]')


def _new_id() -> str:
    return "01" + base64.b32encode(secrets.token_bytes(20)).decode()[:32]


@dataclass
class Item:
    id: str
    drive_id: str
    name: str
    parent_id: str | None
    is_folder: bool
    created: datetime
    modified: datetime
    list_item_id: int
    content: bytes = b""
    mime: str | None = None
    version: int = 1
    content_version: int = 1
    fields: dict[str, object] = field(default_factory=dict)
    seq: int = 0
    deleted: bool = False
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())

    @property
    def etag(self) -> str:
        return f'"{{{self.guid}}},{self.version}"'

    @property
    def ctag(self) -> str:
        return f'"c:{{{self.guid}}},{self.content_version}"'


@dataclass
class Drive:
    id: str
    name: str
    root_id: str
    site_id: str | None
    columns: dict[str, bool]
    created: datetime
    delta_epoch: int = 0


@dataclass
class Site:
    id: str
    hostname: str
    path: str
    display_name: str


class GraphStore:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.lock = threading.RLock()
        self.sites: dict[str, Site] = {}
        self.drives: dict[str, Drive] = {}
        self.items: dict[str, Item] = {}
        self.seq = 0
        self._list_ids = 0

    # sites and drives --------------------------------------------------------
    def add_site(self, hostname: str, name: str, display_name: str | None = None) -> Site:
        with self.lock:
            site = Site(f"{hostname},{uuid.uuid4()},{uuid.uuid4()}", hostname.lower(),
                        f"/sites/{name}", display_name or name)
            self.sites[site.id] = site
            return site

    def add_drive(self, name: str, site_id: str | None = None,
                  columns: dict[str, bool] | None = None) -> Drive:
        with self.lock:
            drive_id = "b!" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
            root = self._new_item(drive_id, "root", None, True)
            drive = Drive(drive_id, name, root.id, site_id,
                          dict(DEFAULT_COLUMNS if columns is None else columns), self.now())
            self.drives[drive_id] = drive
            return drive

    def site_by_path(self, hostname: str, path: str) -> Site | None:
        wanted = "/" + path.strip("/").lower()
        return next((s for s in self.sites.values()
                     if s.hostname == hostname.lower() and s.path.lower() == wanted), None)

    def drive(self, drive_id: str) -> Drive:
        drive = self.drives.get(drive_id)
        if drive is None:
            raise GraphError(404, "itemNotFound", "The drive could not be found.")
        return drive

    # items -------------------------------------------------------------------
    def _new_item(self, drive_id: str, name: str, parent_id: str | None, is_folder: bool,
                  content: bytes = b"", mime: str | None = None) -> Item:
        now = self.now()
        self._list_ids += 1
        item = Item(_new_id(), drive_id, name, parent_id, is_folder, now, now,
                    self._list_ids, content, mime)
        self.items[item.id] = item
        self.seq += 1
        item.seq = self.seq
        return item

    def _touch(self, item: Item, *, content: bool) -> None:
        self.seq += 1
        item.seq = self.seq
        item.modified = self.now()
        item.version += 1
        if content:
            item.content_version += 1

    def item(self, drive_id: str, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is None or item.deleted or item.drive_id != drive_id:
            raise item_not_found()
        return item

    def children(self, parent: Item) -> list[Item]:
        return sorted((i for i in self.items.values()
                       if i.parent_id == parent.id and not i.deleted),
                      key=lambda i: i.name.lower())

    def child(self, parent: Item, name: str) -> Item | None:
        low = name.lower()
        return next((i for i in self.children(parent) if i.name.lower() == low), None)

    def resolve(self, base: Item, path: str) -> Item:
        item = base
        for part in [p for p in path.split("/") if p]:
            if not item.is_folder:
                raise item_not_found()
            found = self.child(item, part)
            if found is None:
                raise item_not_found()
            item = found
        return item

    def path_of(self, item: Item) -> list[str]:
        """Names from the root (excluded) down to ``item`` (included)."""
        names: list[str] = []
        while item.parent_id is not None:
            names.append(item.name)
            item = self.items[item.parent_id]
        return names[::-1]

    def _check_name(self, name: str) -> None:
        if not name or name != name.strip() or _BAD_NAME.search(name) or name.endswith("."):
            raise invalid(f"The name '{name}' contains invalid characters or is empty.")

    def _free_name(self, parent: Item, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        n = 1
        candidate = name
        while self.child(parent, candidate) is not None:
            candidate = f"{stem} {n}{dot}{ext}"
            n += 1
        return candidate

    def create_folder(self, parent: Item, name: str, conflict: str = "fail") -> tuple[Item, bool]:
        """(folder, created). ``conflict``: fail (409), rename, replace (keeps the folder)."""
        self._check_name(name)
        if not parent.is_folder:
            raise invalid("The parent item is not a folder.")
        existing = self.child(parent, name)
        if existing is not None:
            if conflict == "fail":
                raise name_exists()
            if conflict == "replace" and existing.is_folder:
                return existing, False
            name = self._free_name(parent, name)
        return self._new_item(parent.drive_id, name, parent.id, True), True

    def put_file(self, parent: Item, name: str, content: bytes, mime: str | None,
                 conflict: str = "replace") -> tuple[Item, bool]:
        """(file, created). ``conflict``: replace (new content, same item), fail, rename."""
        self._check_name(name)
        if not parent.is_folder:
            raise invalid("The parent item is not a folder.")
        existing = self.child(parent, name)
        if existing is not None:
            if conflict == "fail":
                raise name_exists()
            if conflict == "replace":
                if existing.is_folder:
                    raise name_exists()
                existing.content, existing.mime = content, mime or existing.mime
                self._touch(existing, content=True)
                return existing, False
            name = self._free_name(parent, name)
        return self._new_item(parent.drive_id, name, parent.id, False, content, mime), True

    def update(self, item: Item, name: str | None, parent: Item | None,
               conflict: str = "fail") -> Item:
        if item.parent_id is None:
            raise invalid("The root folder cannot be renamed or moved.")
        target = parent or self.items[item.parent_id]
        new_name = item.name if name is None else name
        self._check_name(new_name)
        if not target.is_folder or target.drive_id != item.drive_id:
            raise invalid("The destination is not a folder of this drive.")
        clash = self.child(target, new_name)
        if clash is not None and clash.id != item.id:
            if conflict != "rename":
                raise name_exists()
            new_name = self._free_name(target, new_name)
        probe: Item | None = target
        while probe is not None:
            if probe.id == item.id:
                raise invalid("An item cannot be moved into itself.")
            probe = self.items.get(probe.parent_id) if probe.parent_id else None
        item.name, item.parent_id = new_name, target.id
        self._touch(item, content=False)
        return item

    def delete(self, item: Item) -> None:
        if item.parent_id is None:
            raise GraphError(403, "accessDenied", "The root folder cannot be deleted.")
        for child in self.children(item):
            self.delete(child)
        item.deleted = True
        self._touch(item, content=False)

    def set_fields(self, item: Item, values: dict[str, object]) -> dict[str, object]:
        drive = self.drive(item.drive_id)
        for key in values:
            if key not in drive.columns:
                raise invalid(f"Field '{key}' is not recognized")
        item.fields.update(values)
        self._touch(item, content=False)
        return item.fields

    # delta -------------------------------------------------------------------
    def changes_since(self, drive_id: str, since: int) -> list[Item]:
        return sorted((i for i in self.items.values()
                       if i.drive_id == drive_id and i.seq > since), key=lambda i: i.seq)

    def live_items(self, drive_id: str) -> Iterable[Item]:
        return sorted((i for i in self.items.values()
                       if i.drive_id == drive_id and not i.deleted), key=lambda i: i.seq)
