"""``GraphConnector``: the storage protocol (``connectors.storage``) on a OneDrive for
Business / SharePoint document library through Microsoft Graph.

Idempotency keys live in two library columns (a driveItem ``description`` is only
writable on OneDrive personal): ``ContractHubDocument`` (indexed: ``find`` filters
on it through ``/list/items``) and ``ContractHubProperties`` (every property as
JSON). A file is uploaded with ``conflictBehavior: fail``, then its columns are set;
when the name is taken by a file with our document id, or by one with no columns
and the same quickXorHash (a run that died between the two steps), that file is
adopted (its content replaced when it differs) instead of making a second copy.
The change cursor is the delta link: ``{"v": 1, "link": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from connectors.base import CallCounter, ConfigError, SkipRecord
from connectors.microsoft_graph.client import Conflict, Gone, GraphClient, NotFound
from connectors.microsoft_graph.folders import FolderTree, item_path, safe_name
from connectors.microsoft_graph.quickxor import quick_xor_hash
from connectors.microsoft_graph.settings import GraphSettings, parse_settings
from connectors.microsoft_graph.uploads import upload
from connectors.storage import ChangePage, CursorExpired, StorageChange, StoredFile

DOCUMENT_COLUMN = "ContractHubDocument"
PROPERTIES_COLUMN = "ContractHubProperties"
DOCUMENT_KEY = "contracthub_document"
CURSOR_VERSION = 1
EXPAND_FIELDS = "$expand=listItem($expand=fields)"
NON_INDEXED = {"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class GraphConnector:
    kind: Literal["storage"] = "storage"

    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Any) -> None:
        self.name = name
        self.settings: GraphSettings = parse_settings(name, settings)
        self.clock = clock
        self.client = GraphClient(self.settings, sleep=clock.sleep)
        self._drive_id: str | None = self.settings.drive_id
        self._tree: FolderTree | None = None
        self._root_path: str | None = None

    @property
    def calls(self) -> CallCounter:
        return self.client.calls

    # the drive and the root folder ------------------------------------------------------
    @property
    def drive_path(self) -> str:
        if self._drive_id is None:
            self._drive_id = self._drive_from_site()
        return f"/drives/{quote(self._drive_id, safe='')}"

    def _drive_from_site(self) -> str:
        site = self.settings.site
        assert site is not None
        try:
            found = self.client.call("site.get", "GET",
                                     f"/sites/{site.hostname}:{quote(site.path)}").json()
        except NotFound:
            raise ConfigError(f"connection {self.name!r}: no SharePoint site {site.path} on "
                              f"{site.hostname} (check site.hostname and site.path)") from None
        drives = self.client.call("site.drives", "GET",
                                  f"/sites/{quote(found['id'], safe=',')}/drives").json()
        names = {str(d.get("name", "")).lower(): str(d["id"]) for d in drives.get("value", [])}
        if site.library.lower() not in names:
            known = ", ".join(sorted(d.get("name", "") for d in drives.get("value", [])))
            raise ConfigError(f"connection {self.name!r}: site {site.path} has no library "
                              f"{site.library!r} (libraries: {known or 'none'})")
        return names[site.library.lower()]

    @property
    def tree(self) -> FolderTree:
        if self._tree is None:
            drive = self.drive_path
            root = self.client.call("drive.root", "GET", f"{drive}/root").json()
            parts = [safe_name(p) for p in self.settings.root_folder.split("/") if p]
            base = FolderTree(self.client, drive, str(root["id"])).ensure(parts)
            self._root_path = "/" + "/".join(parts)
            self._tree = FolderTree(self.client, drive, base)
        return self._tree

    def check(self) -> None:
        self.tree  # noqa: B018 - resolving the root proves credentials, TLS, site and access

    # files ------------------------------------------------------------------------------
    def _relative(self, item: Mapping[str, Any]) -> str:
        self.tree  # noqa: B018 - sets _root_path
        parent = str((item.get("parentReference") or {}).get("path") or "")
        folder = parent.partition("root:")[2] if "root:" in parent else ""
        full = f"{folder}/{item.get('name', '')}"
        root = self._root_path or ""
        if full.lower().startswith(root.lower() + "/"):
            return full[len(root) + 1:]
        return full  # outside the archive root: a drive path with its leading '/'

    def _stored(self, item: Mapping[str, Any]) -> StoredFile:
        fields = (item.get("listItem") or {}).get("fields") or {}
        return StoredFile(remote_id=str(item["id"]), path=self._relative(item),
                          size=int(item.get("size") or 0), content_tag=str(item.get("cTag")),
                          properties=_properties(fields),
                          modified=_time(item.get("lastModifiedDateTime")))

    def find(self, properties: Mapping[str, str]) -> StoredFile | None:
        if not properties:
            raise ValueError("find needs at least one property")
        query = "$expand=fields,driveItem&$top=200"
        if DOCUMENT_KEY in properties:
            query += "&$filter=" + quote(f"fields/{DOCUMENT_COLUMN} eq "
                                         f"{_odata_string(str(properties[DOCUMENT_KEY]))}")
        link: str | None = f"{self.drive_path}/list/items?{query}"
        while link:
            page = self.client.call("list.items", "GET", link, headers=NON_INDEXED).json()
            for row in page.get("value", []):
                have = _properties(row.get("fields") or {})
                item = row.get("driveItem") or {}
                if "file" in item and all(have.get(k) == str(v) for k, v in properties.items()):
                    return self._stored({**item, "listItem": {"fields": row.get("fields")}})
            link = page.get("@odata.nextLink")
        return None

    def put(self, path: str, content: bytes, properties: Mapping[str, str], *,
            media_type: str = "application/pdf") -> StoredFile:
        parts = [safe_name(p) for p in path.split("/") if p]
        if not parts:
            raise SkipRecord(f"{self.name}: empty archive path")
        folder = self.tree.ensure(parts[:-1])
        try:
            item = upload(self.client, self.drive_path, folder, parts[-1], content,
                          media_type, "fail")
        except Conflict:
            item = self._adopt(folder, parts[-1], content, properties, media_type)
        values = {DOCUMENT_COLUMN: str(properties.get(DOCUMENT_KEY, "")),
                  PROPERTIES_COLUMN: json.dumps(dict(properties), sort_keys=True)}
        fields = self.client.call("item.fields", "PATCH",
                                  f"{self.drive_path}/items/{item['id']}/listItem/fields",
                                  json=values).json()
        return self._stored({**item, "listItem": {"fields": fields}})

    def _adopt(self, folder: str, name: str, content: bytes, properties: Mapping[str, str],
               media_type: str) -> dict[str, Any]:
        existing = self.client.call("item.get", "GET", self.drive_path + item_path(
            folder, name) + "?" + EXPAND_FIELDS).json()
        have = _properties((existing.get("listItem") or {}).get("fields") or {})
        theirs = ((existing.get("file") or {}).get("hashes") or {}).get("quickXorHash")
        ours = have.get(DOCUMENT_KEY) == str(properties.get(DOCUMENT_KEY, "\0"))
        same = theirs == quick_xor_hash(content)   # a pure-Python hash: once per file
        if not ours and not (not have and same):
            raise SkipRecord(f"{self.name}: another file already exists at "
                             f"{self._relative(existing)}; the hub did not archive it, so "
                             "it is left alone")
        if same:
            return dict(existing)
        return upload(self.client, self.drive_path, folder, name, content, media_type,
                      "replace")

    def fetch(self, remote_id: str) -> bytes:
        answer = self.client.call("item.content", "GET",
                                  f"{self.drive_path}/items/{remote_id}/content",
                                  ok=(200, 302))
        if answer.status_code == 200:
            return answer.content
        location = answer.headers["Location"]  # pre-authenticated: no bearer token
        return self.client.call("item.download", "GET", location, auth=False).content

    def get(self, remote_id: str) -> StoredFile | None:
        try:
            item = self.client.call("item.get", "GET",
                                    f"{self.drive_path}/items/{remote_id}?{EXPAND_FIELDS}")
        except NotFound:
            return None
        return self._stored(item.json())

    def remove(self, remote_id: str) -> None:
        try:
            self.client.call("item.delete", "DELETE", f"{self.drive_path}/items/{remote_id}")
        except NotFound:
            pass

    # changes --------------------------------------------------------------------------
    def start_cursor(self) -> Mapping[str, Any]:
        answer = self.client.call("delta", "GET", f"{self.drive_path}/root/delta?token=latest")
        return {"v": CURSOR_VERSION, "link": str(answer.json()["@odata.deltaLink"])}

    def changes(self, cursor: Mapping[str, Any]) -> Iterator[ChangePage]:
        if cursor.get("v") != CURSOR_VERSION or not cursor.get("link"):
            raise CursorExpired(f"{self.name}: change cursor is not a version-"
                                f"{CURSOR_VERSION} Graph delta cursor")
        link = str(cursor["link"])
        while True:
            try:
                page = self.client.call("delta", "GET", link).json()
            except (Gone, NotFound) as exc:
                raise CursorExpired(f"{self.name}: Graph refused the delta link "
                                    f"({exc.user_message})") from None
            changes = tuple(c for c in (self._change(v) for v in page.get("value", [])) if c)
            link = page.get("@odata.nextLink") or page.get("@odata.deltaLink")
            yield ChangePage(changes, {"v": CURSOR_VERSION, "link": link})
            if not page.get("@odata.nextLink"):
                return

    def _change(self, item: Mapping[str, Any]) -> StorageChange | None:
        at = _time(item.get("lastModifiedDateTime"))
        if "deleted" in item:
            return StorageChange(str(item["id"]), "deleted", None, at)
        if "file" not in item:
            return None  # folders and the root
        # delta items carry neither the parent's path nor the list columns: read the file
        stored = self.get(str(item["id"]))
        if stored is None:
            return StorageChange(str(item["id"]), "deleted", None, at)
        return StorageChange(stored.remote_id, "other", stored, at)


def _properties(fields: Mapping[str, Any]) -> dict[str, str]:
    raw = fields.get(PROPERTIES_COLUMN)
    try:
        values = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        values = {}
    props = {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
    if fields.get(DOCUMENT_COLUMN):
        props[DOCUMENT_KEY] = str(fields[DOCUMENT_COLUMN])
    return props


def factory(*, name: str, settings: Mapping[str, Any], clock: Any) -> GraphConnector:
    return GraphConnector(name=name, settings=settings, clock=clock)
