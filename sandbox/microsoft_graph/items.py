"""driveItem requests: ``/drives/{d}/root`` or ``/drives/{d}/items/{id}``, optionally
path-addressed (``root:/a/b.pdf:``), then an action::

    GET/PATCH/DELETE  (item)          GET/POST  /children     GET/PUT  /content
    POST /createUploadSession         GET /listItem           GET/PATCH /listItem/fields
    GET  /delta (root only)

Conflicts: ``@microsoft.graph.conflictBehavior`` in the query (small upload) or the
body (folder create, upload session, move): fail (409 nameAlreadyExists), replace,
rename. A small upload is limited to 250 MB as documented (use a session above); by
path it creates missing folders, while an upload session needs its folder to exist.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.microsoft_graph.delta import delta_page
from sandbox.microsoft_graph.errors import GraphError, invalid, item_not_found
from sandbox.microsoft_graph.store import GraphStore, Item
from sandbox.microsoft_graph.uploads import Uploads
from sandbox.microsoft_graph.wire import drive_item, json_response, list_item

ADDRESS = re.compile(r"^(?:root|items/(?P<id>[^/:]+))(?::(?P<path>/[^:]*)?:?)?(?P<action>/.*)?$")
CONFLICT = "@microsoft.graph.conflictBehavior"
SMALL_UPLOAD_LIMIT = 250 * 1024 * 1024
CONFLICT_VALUES = ("fail", "replace", "rename")


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def _conflict(value: Any, default: str) -> str:
    value = default if value in (None, "") else value
    if value not in CONFLICT_VALUES:
        raise invalid(f"Invalid conflict behavior '{value}'.")
    return str(value)


class ItemRequests:
    def __init__(self, store: GraphStore, uploads: Uploads, delta_page_size: int,
                 downloads: dict[str, str]) -> None:
        self.store = store
        self.uploads = uploads
        self.delta_page_size = delta_page_size
        self.downloads = downloads

    def handle(self, request: Request, drive_id: str, tail: str, base: str) -> Response:
        self.store.drive(drive_id)
        match = ADDRESS.match(tail)
        if not match:
            raise GraphError(400, "invalidRequest", f"Unsupported segment '{tail}'.")
        root = self.store.items[self.store.drives[drive_id].root_id]
        start = self.store.item(drive_id, match["id"]) if match["id"] else root
        path, action = match["path"], match["action"] or ""
        method = request.method
        if path and ((method == "PUT" and action == "/content")
                     or (method == "POST" and action == "/createUploadSession")):
            parent_path, _, name = path.rstrip("/").rpartition("/")
            if action == "/content":  # a simple upload by path creates missing folders
                parent = start
                for part in [p for p in parent_path.split("/") if p]:
                    parent, _ = self.store.create_folder(parent, part, "replace")
            else:  # "the parent folder must exist before you call createUploadSession"
                parent = self.store.resolve(start, parent_path)
            return self._create_file(request, parent, name, action, base)
        item = self.store.resolve(start, path) if path else start
        return self._act(request, item, action, base)

    def _act(self, request: Request, item: Item, action: str, base: str) -> Response:
        method, expand = request.method, request.args.get("$expand", "")
        if action == "" and method == "GET":
            return json_response(200, drive_item(self.store, item, base,
                                                 expand_fields="listItem" in expand))
        if action == "" and method == "PATCH":
            return json_response(200, self._patch(item, _json_body(request), base))
        if action == "" and method == "DELETE":
            self.store.delete(item)
            return json_response(204)
        if action == "/children" and method == "GET":
            return json_response(200, self._children(request, item, base))
        if action == "/children" and method == "POST":
            return self._create_child(request, item, base)
        if action == "/content" and method == "GET":
            if item.is_folder:
                raise invalid("Folders have no content.")
            token = secrets.token_urlsafe(24)
            self.downloads[token] = item.id
            return json_response(302, None, {"Location": f"{base}/download/{token}"})
        if action == "/content" and method == "PUT":
            if item.is_folder:
                raise invalid("Cannot upload content to a folder.")
            parent = self.store.items[item.parent_id or ""]
            return self._create_file(request, parent, item.name, action, base)
        if action == "/listItem" and method == "GET":
            return json_response(200, list_item(item))
        if action == "/listItem/fields" and method == "GET":
            return json_response(200, list_item(item)["fields"])
        if action == "/listItem/fields" and method == "PATCH":
            self.store.set_fields(item, _json_body(request))
            return json_response(200, list_item(item)["fields"])
        if action == "/delta" and method == "GET":
            if item.parent_id is not None:
                raise invalid("Delta is supported on the root of a drive only.")
            size = int(request.args.get("$top") or self.delta_page_size)
            return json_response(200, delta_page(self.store, item.drive_id,
                                                 request.args.get("token"), max(1, size), base))
        raise GraphError(400, "invalidRequest", f"Unsupported request {method} {action or '/'}.")

    def _children(self, request: Request, folder: Item, base: str) -> dict[str, Any]:
        if not folder.is_folder:
            return {"value": []}
        top = max(1, min(1000, int(request.args.get("$top") or 200)))
        skip = int(request.args.get("$skiptoken") or 0)
        kids = self.store.children(folder)
        body: dict[str, Any] = {"value": [drive_item(self.store, k, base)
                                          for k in kids[skip:skip + top]]}
        if skip + top < len(kids):
            body["@odata.nextLink"] = (f"{base}/v1.0/drives/{folder.drive_id}/items/"
                                       f"{folder.id}/children?$top={top}&$skiptoken={skip + top}")
        return body

    def _create_child(self, request: Request, parent: Item, base: str) -> Response:
        body = _json_body(request)
        if "folder" not in body:
            raise invalid("Only folders can be created this way; upload files with PUT.")
        name = body.get("name")
        if not isinstance(name, str):
            raise invalid("The property 'name' is required.")
        folder, created = self.store.create_folder(parent, name,
                                                   _conflict(body.get(CONFLICT), "fail"))
        return json_response(201 if created else 200, drive_item(self.store, folder, base))

    def _create_file(self, request: Request, parent: Item, name: str, action: str,
                     base: str) -> Response:
        if action == "/createUploadSession":
            item_props = _json_body(request).get("item") or {}
            conflict = _conflict(item_props.get(CONFLICT), "replace")
            if conflict == "fail" and self.store.child(parent, name) is not None:
                raise GraphError(409, "nameAlreadyExists",
                                 "The specified item name already exists.")
            return json_response(200, self.uploads.create(parent.drive_id, parent.id, name,
                                                          conflict, base))
        data = request.get_data()
        if len(data) > SMALL_UPLOAD_LIMIT:
            raise GraphError(413, "requestTooLarge", "Use an upload session above 250 MB.")
        conflict = _conflict(request.args.get(CONFLICT), "replace")
        mime = mimetypes.guess_type(name)[0] or request.content_type or None
        item, created = self.store.put_file(parent, name, data, mime, conflict)
        return json_response(201 if created else 200, drive_item(self.store, item, base))

    def _patch(self, item: Item, body: dict[str, Any], base: str) -> dict[str, Any]:
        parent = None
        reference = body.get("parentReference")
        if isinstance(reference, dict):
            if reference.get("id"):
                parent = self.store.item(item.drive_id, str(reference["id"]))
            elif reference.get("path"):
                root = self.store.items[self.store.drives[item.drive_id].root_id]
                parent = self.store.resolve(root, str(reference["path"]).partition(":")[2])
            else:
                raise item_not_found()
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise invalid("The property 'name' must be a string.")
        self.store.update(item, name, parent, _conflict(body.get(CONFLICT), "fail"))
        return drive_item(self.store, item, base)
