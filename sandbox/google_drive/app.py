"""The Drive v3 WSGI app: token endpoint, files, uploads, changes.

Routes (``/drive/v3`` and ``/upload/drive/v3`` need ``Authorization: Bearer``):

    POST   /token                                   service-account JWT grant
    GET    /drive/v3/files                          files.list (q, fields, paging)
    POST   /drive/v3/files                          files.create, metadata only
    GET    /drive/v3/files/{id}[?alt=media]         files.get
    PATCH  /drive/v3/files/{id}                     files.update (addParents...)
    DELETE /drive/v3/files/{id}                     files.delete -> 204
    POST   /upload/drive/v3/files?uploadType=...    multipart | media | resumable
    PATCH  /upload/drive/v3/files/{id}?uploadType=  content replace
    PUT    /upload/drive/v3/files[/{id}]?upload_id= resumable chunks
    GET    /drive/v3/changes/startPageToken
    GET    /drive/v3/changes?pageToken=
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from sandbox.google_drive import fields, query
from sandbox.google_drive.auth import TOKEN_PATH, ServiceAccount, TokenError
from sandbox.google_drive.errors import DriveError, invalid, json_response
from sandbox.google_drive.store import FOLDER, DriveStore
from sandbox.google_drive.uploads import Sessions, parse_multipart

log = logging.getLogger(__name__)
LIST_DEFAULT = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
FILE_DEFAULT = "kind,id,name,mimeType"
CHANGES_DEFAULT = ("kind,nextPageToken,newStartPageToken,"
                   "changes(kind,changeType,removed,fileId,time,file(kind,id,name,mimeType))")


class DriveApp:
    def __init__(self, store: DriveStore, account: ServiceAccount) -> None:
        self.store = store
        self.account = account
        self.sessions = Sessions()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except DriveError as exc:
            response = json_response(exc.code, exc.body(), exc.headers)
        except Exception:  # an emulator bug still answers in Drive's shape
            log.exception("drive emulator failed on %s %s", request.method, request.path)
            response = json_response(500, DriveError(500, "backendError", "Backend Error").body())
        return response(environ, start_response)

    # routing ----------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == TOKEN_PATH:
            return self.token(request)
        upload = path.startswith("/upload/drive/v3/")
        if not (upload or path.startswith("/drive/v3/")):
            raise DriveError(404, "notFound", f"Not Found: {path}")
        if not self.account.valid(request.headers.get("Authorization")):
            raise DriveError(401, "authError", "Invalid Credentials", location="Authorization")
        rest = path.split("/drive/v3/", 1)[1].split("/")
        method = request.method
        with self.store.lock:
            if upload:
                return self.on_upload(request, rest)
            if rest == ["files"]:
                if method == "GET":
                    return self.on_list(request)
                if method == "POST":
                    meta = _json(request)
                    return self.file_reply(request, self.store.create(meta, None).render())
            if len(rest) == 2 and rest[0] == "files":
                if method == "GET":
                    return self.on_get(request, rest[1])
                if method == "PATCH":
                    f = self.store.update(rest[1], _json(request),
                                          add_parents=request.args.get("addParents", ""),
                                          remove_parents=request.args.get("removeParents", ""))
                    return self.file_reply(request, f.render())
                if method == "DELETE":
                    self.store.delete(rest[1])
                    return Response(status=204)
            if rest == ["changes", "startPageToken"] and method == "GET":
                return json_response(200, {"kind": "drive#startPageToken",
                                           "startPageToken": self.store.start_token()})
            if rest == ["changes"] and method == "GET":
                return self.on_changes(request)
        raise DriveError(404, "notFound", f"Not Found: {method} {path}")

    def token(self, request: Request) -> Response:
        token_uri = request.host_url.rstrip("/") + TOKEN_PATH
        try:
            return json_response(200, self.account.token(request.form.to_dict(), token_uri))
        except TokenError as exc:
            return json_response(400, exc.body())

    # files --------------------------------------------------------------------
    def file_reply(self, request: Request, resource: dict[str, Any], status: int = 200
                   ) -> Response:
        return json_response(status, fields.select(resource, _fields(request, FILE_DEFAULT)))

    def on_list(self, request: Request) -> Response:
        q = request.args.get("q", "")
        try:
            predicate = query.parse(q, self.store.resolve)
        except query.QueryError as exc:
            raise invalid(str(exc), "q") from None
        size = _int_arg(request, "pageSize", 100, 1, 1000)
        offset = _page_offset(request.args.get("pageToken"), q)
        matching = _ordered([f.render() for f in self.store.live_files()
                             if predicate(f.summary())], request.args.get("orderBy", ""))
        page = matching[offset:offset + size]
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                                "files": page}
        if offset + size < len(matching):
            token = json.dumps({"q": q, "o": offset + size}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        return json_response(200, fields.select(body, _fields(request, LIST_DEFAULT)))

    def on_get(self, request: Request, file_id: str) -> Response:
        f = self.store.get(file_id)
        if request.args.get("alt") == "media":
            if f.content is None:
                raise DriveError(403, "fileNotDownloadable",
                                 "Only files with binary content can be downloaded.",
                                 location="alt")
            return Response(f.content, status=200, content_type=f.mime_type)
        return self.file_reply(request, f.render())

    # uploads ----------------------------------------------------------------
    def on_upload(self, request: Request, rest: list[str]) -> Response:
        if rest[0] != "files" or len(rest) > 2:
            raise DriveError(404, "notFound", "Not Found")
        target = rest[1] if len(rest) == 2 else None
        kind = request.args.get("uploadType", "")
        if request.method == "PUT" and kind == "resumable":
            return self.on_chunk(request)
        if request.method not in (("PATCH",) if target else ("POST",)):
            raise DriveError(405, "methodNotAllowed", f"{request.method} is not allowed here")
        if target is not None:
            self.store.get(target)
        if kind == "multipart":
            meta, media, media_type = parse_multipart(request.content_type or "",
                                                      request.get_data())
            meta.setdefault("mimeType", media_type)
            return self.finish(request, target, meta, media)
        if kind == "media":
            return self.finish(request, target, {"mimeType": request.content_type},
                               request.get_data())
        if kind == "resumable":
            meta = _json(request)
            total = request.headers.get("X-Upload-Content-Length")
            media_type = request.headers.get("X-Upload-Content-Type", "application/octet-stream")
            meta.setdefault("mimeType", media_type)
            s = self.sessions.open(meta, media_type, int(total) if total else None, target)
            kept = [(k, v) for k, v in request.args.items(multi=True) if k != "upload_id"]
            query_text = "&".join(f"{k}={quote(v, safe='')}" for k, v in kept)
            where = request.base_url + f"?{query_text}&upload_id={s.id}"
            return Response(status=200, headers={"Location": where, "Content-Length": "0"})
        raise invalid(f"Invalid Value: uploadType {kind!r} (use multipart, media or resumable)",
                      "uploadType")

    def on_chunk(self, request: Request) -> Response:
        s = self.sessions.get(request.args.get("upload_id", ""))
        done = self.sessions.put(s, request.headers.get("Content-Range"), request.get_data())
        if not done:
            headers = {"Content-Length": "0"}
            if s.received:
                headers["Range"] = f"bytes=0-{len(s.received) - 1}"
            return Response(status=308, headers=headers)
        self.sessions.close(s.id)
        return self.finish(request, s.target, s.meta, bytes(s.received))

    def finish(self, request: Request, target: str | None, meta: dict[str, Any],
               media: bytes) -> Response:
        if meta.get("mimeType") == FOLDER:
            raise DriveError(400, "badContent", "A folder cannot have content.")
        if target is None:
            return self.file_reply(request, self.store.create(meta, media).render())
        f = self.store.update(target, meta, add_parents=request.args.get("addParents", ""),
                              remove_parents=request.args.get("removeParents", ""),
                              content=media)
        return self.file_reply(request, f.render())

    # changes ------------------------------------------------------------------
    def on_changes(self, request: Request) -> Response:
        token = request.args.get("pageToken")
        if not token:
            raise DriveError(400, "required", "Required parameter: pageToken",
                             location="pageToken")
        size = _int_arg(request, "pageSize", 100, 1, 1000)
        items, next_token, new_start = self.store.changes_page(token, size)
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": items}
        if next_token:
            body["nextPageToken"] = next_token
        if new_start:
            body["newStartPageToken"] = new_start
        return json_response(200, fields.select(body, _fields(request, CHANGES_DEFAULT)))


def _json(request: Request) -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise DriveError(400, "parseError", "Parse Error") from None
    if not isinstance(value, dict):
        raise DriveError(400, "parseError", "The request body must be a JSON object.")
    return value


def _fields(request: Request, default: str) -> fields.Tree | None:
    try:
        return fields.parse(request.args.get("fields", default))
    except ValueError as exc:
        raise invalid(str(exc), "fields") from None


def _int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid(f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
                      name)
    return int(raw)


ORDER_KEYS = {"createdTime", "modifiedTime", "name"}


def _ordered(files: list[dict[str, Any]], order_by: str) -> list[dict[str, Any]]:
    """``orderBy=createdTime,name desc``: a stable sort, last key first."""
    keys = [k.split() for k in order_by.split(",") if k.strip()]
    for parts in reversed(keys):
        if parts[0] not in ORDER_KEYS or len(parts) > 2 or parts[1:] not in ([], ["desc"]):
            raise invalid(f"Invalid Value: orderBy {order_by!r} (sortable here: "
                          f"{', '.join(sorted(ORDER_KEYS))})", "orderBy")
        files = sorted(files, key=lambda f, k=parts[0]: f[k], reverse=parts[1:] == ["desc"])
    return files


def _page_offset(token: str | None, q: str) -> int:
    if not token:
        return 0
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        if state["q"] != q:
            raise ValueError
        return int(state["o"])
    except (ValueError, KeyError, TypeError):
        raise invalid(f"Invalid Value: pageToken {token!r}", "pageToken") from None
