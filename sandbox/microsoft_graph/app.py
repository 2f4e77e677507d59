"""The Graph emulator's WSGI app: authentication, sites, drives, list items, and the
pre-authenticated upload/download URLs.

Under ``/v1.0`` every request needs ``Authorization: Bearer`` with a token the identity
emulator issued for ``https://graph.microsoft.com`` (401 ``InvalidAuthenticationToken``
otherwise). ``/upload/{session}`` and ``/download/{token}`` need none. Requests are
served one at a time under the store lock. Routes::

    GET /v1.0/sites/{hostname}:/sites/{name}      a SharePoint site by path
    GET /v1.0/sites/{site-id}[/drives|/drive]     the site, its libraries, its default one
    GET /v1.0/drives/{d}                          a drive
    GET /v1.0/drives/{d}/list/items               list items ($expand=fields,driveItem;
                                                  $filter=fields/X eq 'v' [and ...])
    ... /v1.0/drives/{d}/root|items/{id}...       see ``items``
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from sandbox.microsoft_graph.errors import GraphError, invalid, item_not_found
from sandbox.microsoft_graph.items import ItemRequests
from sandbox.microsoft_graph.store import GraphStore
from sandbox.microsoft_graph.uploads import Uploads
from sandbox.microsoft_graph.wire import drive_body, drive_item, json_response, list_item, site_body

log = logging.getLogger(__name__)
GRAPH_AUDIENCE = "https://graph.microsoft.com"
NON_INDEXED_OK = "HonorNonIndexedQueriesWarningMayFailRandomly"
_EQ = re.compile(r"^fields/(\w+) eq '((?:[^']|'')*)'$")

Validator = Callable[[str | None, str], str | None]


class GraphApp:
    def __init__(self, store: GraphStore, validate: Validator, delta_page_size: int = 200
                 ) -> None:
        self.store = store
        self.validate = validate
        self.uploads = Uploads(store)
        self.downloads: dict[str, str] = {}
        self.items = ItemRequests(store, self.uploads, delta_page_size, self.downloads)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            with self.store.lock:
                response = self.dispatch(request)
        except GraphError as exc:
            response = json_response(exc.status, exc.body(self.store.now()), exc.headers)
        except Exception:
            log.exception("graph emulator failed on %s %s", request.method, request.path)
            response = json_response(500, GraphError(500, "generalException", "An unspecified "
                                                     "error has occurred.").body())
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        path = request.path
        if path.startswith("/upload/"):
            return self.uploads.handle(request, path[len("/upload/"):], base)
        if path.startswith("/download/"):
            return self._download(request, path[len("/download/"):])
        if not path.startswith("/v1.0/"):
            raise GraphError(400, "BadRequest", f"Invalid version in '{path}'.")
        if not self.validate(request.headers.get("Authorization"), GRAPH_AUDIENCE):
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty, "
                             "invalid or has expired.",
                             {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        rest = path[len("/v1.0/"):]
        if rest.startswith("sites/"):
            return self._sites(request, rest[len("sites/"):], base)
        if rest.startswith("drives/"):
            drive_id, _, tail = rest[len("drives/"):].partition("/")
            drive_id = unquote(drive_id)
            if not tail and request.method == "GET":
                return json_response(200, drive_body(self.store.drive(drive_id), base))
            if tail == "list/items" and request.method == "GET":
                return json_response(200, self._list_items(request, drive_id, base))
            return self.items.handle(request, drive_id, tail, base)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest}'.")

    def _sites(self, request: Request, rest: str, base: str) -> Response:
        if request.method != "GET":
            raise GraphError(405, "invalidRequest", "Sites are read-only here.")
        if ":" in rest:
            hostname, _, site_path = rest.partition(":")
            site = self.store.site_by_path(hostname, site_path.rstrip(":"))
            if site is None:
                raise item_not_found()
            return json_response(200, site_body(site, base))
        site_id, _, tail = rest.partition("/")
        site = self.store.sites.get(unquote(site_id))
        if site is None:
            raise item_not_found()
        drives = [d for d in self.store.drives.values() if d.site_id == site.id]
        if tail == "":
            return json_response(200, site_body(site, base))
        if tail == "drives":
            return json_response(200, {"value": [drive_body(d, base) for d in drives]})
        if tail == "drive" and drives:
            return json_response(200, drive_body(drives[0], base))
        raise GraphError(400, "BadRequest", f"Unsupported site segment '{tail}'.")

    def _list_items(self, request: Request, drive_id: str, base: str) -> dict[str, Any]:
        drive = self.store.drive(drive_id)
        wanted = self._filter(request, drive.columns)
        expand = request.args.get("$expand", "")
        rows = [i for i in self.store.live_items(drive_id) if i.parent_id is not None
                and all(i.fields.get(k) == v for k, v in wanted.items())]
        top = max(1, min(1000, int(request.args.get("$top") or 200)))
        skip = int(request.args.get("$skiptoken") or 0)
        value = []
        for item in rows[skip:skip + top]:
            row = list_item(item)
            if "fields" not in expand:
                row.pop("fields")
            if "driveItem" in expand:
                row["driveItem"] = drive_item(self.store, item, base)
            value.append(row)
        body: dict[str, Any] = {"value": value}
        if skip + top < len(rows):
            query = request.args.to_dict()
            query.update({"$top": str(top), "$skiptoken": str(skip + top)})
            from urllib.parse import urlencode

            body["@odata.nextLink"] = (f"{base}/v1.0/drives/{drive_id}/list/items?"
                                       + urlencode(query))
        return body

    def _filter(self, request: Request, columns: dict[str, bool]) -> dict[str, str]:
        text = (request.args.get("$filter") or "").strip()
        if not text:
            return {}
        wanted: dict[str, str] = {}
        honour = NON_INDEXED_OK in request.headers.get("Prefer", "")
        for clause in re.split(r"\s+and\s+", text):
            match = _EQ.match(clause.strip())
            if not match:
                raise invalid(f"Unsupported filter clause '{clause}' (fields/NAME eq 'value').")
            name, value = match[1], match[2].replace("''", "'")
            if name not in columns:
                raise invalid(f"Field '{name}' is not recognized")
            if not columns[name] and not honour:
                raise invalid(f"Field '{name}' cannot be referenced in filter or orderby as "
                              "it is not indexed. Provide the 'Prefer: "
                              f"{NON_INDEXED_OK}' header to allow this, but be warned that "
                              "such queries may fail on large lists.")
            wanted[name] = value
        return wanted

    def _download(self, request: Request, token: str) -> Response:
        if request.headers.get("Authorization"):  # another host in real life: no token
            raise GraphError(401, "unauthenticated", "The download URL is pre-authenticated: "
                             "do not send an Authorization header to it.")
        item_id = self.downloads.get(token)
        item = self.store.items.get(item_id or "")
        if item is None or item.deleted:
            raise item_not_found()
        return Response(item.content, status=200, content_type=item.mime or
                        "application/octet-stream")
