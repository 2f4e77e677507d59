"""JSON shapes of the Graph resources the emulator serves: driveItem, drive, site,
listItem, and the JSON response helper."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from connectors.microsoft_graph.quickxor import quick_xor_hash
from sandbox.microsoft_graph.store import Drive, GraphStore, Item, Site


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None
                  ) -> Response:
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json; odata.metadata=minimal; charset=utf-8")


def drive_item(store: GraphStore, item: Item, base: str, *, with_path: bool = True,
               expand_fields: bool = False) -> dict[str, Any]:
    drive = store.drives[item.drive_id]
    body: dict[str, Any] = {
        "id": item.id, "name": item.name, "eTag": item.etag, "cTag": item.ctag,
        "createdDateTime": iso(item.created), "lastModifiedDateTime": iso(item.modified),
        "size": len(item.content) if not item.is_folder else _folder_size(store, item),
        "webUrl": f"{base}/sites/web/{'/'.join(store.path_of(item))}",
    }
    reference: dict[str, Any] = {"driveId": drive.id, "driveType": "documentLibrary"}
    if item.parent_id is not None:
        reference["id"] = item.parent_id
        if with_path:
            parent_names = store.path_of(store.items[item.parent_id])
            reference["path"] = f"/drives/{drive.id}/root:" + "".join(
                "/" + n for n in parent_names)
    body["parentReference"] = reference
    if item.parent_id is None:
        body["root"] = {}
    if item.is_folder:
        body["folder"] = {"childCount": len(store.children(item))}
    else:
        body["file"] = {"mimeType": item.mime or "application/octet-stream",
                        "hashes": {"quickXorHash": quick_xor_hash(item.content)}}
    if expand_fields:
        body["listItem"] = list_item(item)
    return body


def _folder_size(store: GraphStore, folder: Item) -> int:
    return sum(len(i.content) if not i.is_folder else _folder_size(store, i)
               for i in store.children(folder))


def deleted_item(item: Item) -> dict[str, Any]:
    """A tombstone as delta reports it: the id, its parent, and ``deleted: {}``."""
    return {"id": item.id, "name": item.name, "deleted": {},
            "parentReference": {"driveId": item.drive_id, "id": item.parent_id}}


def list_item(item: Item) -> dict[str, Any]:
    fields = {"id": str(item.list_item_id), "FileLeafRef": item.name,
              "ContentType": "Folder" if item.is_folder else "Document",
              "Created": iso(item.created), "Modified": iso(item.modified), **item.fields}
    return {"id": str(item.list_item_id), "eTag": item.etag,
            "createdDateTime": iso(item.created), "lastModifiedDateTime": iso(item.modified),
            "fields": fields}


def drive_body(drive: Drive, base: str) -> dict[str, Any]:
    return {"id": drive.id, "name": drive.name, "driveType": "documentLibrary",
            "createdDateTime": iso(drive.created), "description": "",
            "webUrl": f"{base}/sites/web/{drive.name}",
            "quota": {"deleted": 0, "remaining": 1 << 40, "state": "normal",
                      "total": 1 << 40, "used": 0}}


def site_body(site: Site, base: str) -> dict[str, Any]:
    return {"id": site.id, "name": site.path.rsplit("/", 1)[-1],
            "displayName": site.display_name,
            "webUrl": f"https://{site.hostname}{site.path}",
            "siteCollection": {"hostname": site.hostname}}
