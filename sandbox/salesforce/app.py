"""The emulator's WSGI app: routes, authentication, API budget, error bodies.

Everything under ``/services/data/vNN.N/`` (any version) needs
``Authorization: Bearer <token>`` (401 ``INVALID_SESSION_ID`` as a JSON
list otherwise), spends one request of the daily budget (403
``REQUEST_LIMIT_EXCEEDED`` once spent) and carries ``Sforce-Limit-Info``.
``/services/oauth2/token`` and the version list need no token. Errors are
``[{"message", "errorCode", "fields"?}]``. Requests are served one at a
time under the store lock.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.salesforce import composite, replication, sobjects
from sandbox.salesforce.auth import OAuthError, TokenService
from sandbox.salesforce.errors import ApiError, limit_exceeded, not_found
from sandbox.salesforce.limits import ApiBudget
from sandbox.salesforce.query import QueryService, batch_size
from sandbox.salesforce.records import RejectHook
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.store import Store
from sandbox.salesforce.wire import Reply, json_response, read_json

log = logging.getLogger(__name__)
VERSIONS = ("52.0", "55.0", "58.0", "59.0", "60.0", "61.0", "62.0")

_DATA = [
    Rule("/", endpoint="resources", methods=["GET"]),
    Rule("/limits", endpoint="limits", methods=["GET"]),
    Rule("/query", endpoint="query", methods=["GET"]),
    Rule("/queryAll", endpoint="query_all", methods=["GET"]),
    Rule("/query/<locator>", endpoint="query_more", methods=["GET"]),
    Rule("/queryAll/<locator>", endpoint="query_more", methods=["GET"]),
    Rule("/sobjects", endpoint="global_describe", methods=["GET"]),
    Rule("/sobjects/<sobject>", endpoint="sobject", methods=["GET", "POST"]),
    Rule("/sobjects/<sobject>/describe", endpoint="describe", methods=["GET"]),
    Rule("/sobjects/<sobject>/updated", endpoint="updated", methods=["GET"]),
    Rule("/sobjects/<sobject>/deleted", endpoint="deleted", methods=["GET"]),
    Rule("/sobjects/<sobject>/<record_id>", endpoint="row",
         methods=["GET", "PATCH", "DELETE", "POST"]),
    Rule("/sobjects/<sobject>/<field>/<path:value>", endpoint="row_by_external_id",
         methods=["GET", "PATCH", "DELETE"]),
    Rule("/composite/sobjects", endpoint="collection", methods=["POST", "PATCH", "DELETE"]),
    Rule("/composite/sobjects/<sobject>", endpoint="collection_retrieve",
         methods=["GET", "POST"]),
    Rule("/composite/sobjects/<sobject>/<field>", endpoint="collection_upsert",
         methods=["PATCH"]),
]
DATA_ROUTES = Map(_DATA, strict_slashes=False, merge_slashes=False)


class SalesforceApp:
    """WSGI callable serving the emulator's REST API."""

    def __init__(self, store: Store, tokens: TokenService, budget: ApiBudget,
                 reject: Callable[[], RejectHook | None]) -> None:
        self.store = store
        self.tokens = tokens
        self.budget = budget
        self.queries = QueryService(store)
        self.reject = reject

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ApiError as exc:
            response = json_response(exc.status, exc.body(), exc.headers)
        except Exception:  # an emulator bug must still answer in the vendor's shape
            log.exception("salesforce emulator failed on %s %s", request.method, request.path)
            response = json_response(500, [{"message": "An unexpected error occurred",
                                             "errorCode": "UNKNOWN_EXCEPTION"}])
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.rstrip("/") == "/services/oauth2/token":
            return self.token(request)
        if path.rstrip("/") == "/services/oauth2/revoke":
            self.tokens.revoke(request.values.get("token", ""))
            return Response(status=200)
        if path.rstrip("/") == "/services/data":
            return json_response(200, [{"label": f"API v{v}", "url": f"/services/data/v{v}",
                                        "version": v} for v in VERSIONS])
        prefix, _, rest = path.partition("/services/data/v")
        version, _, tail = rest.partition("/")
        if prefix or not _is_version(version):
            raise not_found()
        if not self.tokens.valid(request.headers.get("Authorization")):
            return json_response(401, [{"message": "Session expired or invalid",
                                        "errorCode": "INVALID_SESSION_ID"}])
        if not self.budget.spend():
            error = limit_exceeded()
            return json_response(403, error.body(), {"Sforce-Limit-Info": self.budget.header()})
        with self.store.lock:
            try:
                reply = self.route(request, version, "/" + tail)
            except ApiError as exc:
                exc.headers["Sforce-Limit-Info"] = self.budget.header()
                raise
        headers = dict(reply.headers or {})
        headers["Sforce-Limit-Info"] = self.budget.header()
        return json_response(reply.status, reply.body, headers)

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request",
                                       "error_description": "must use HTTP POST"})
        params = {**request.args.to_dict(), **request.form.to_dict()}
        basic = None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:].strip()).decode(errors="replace")
            user, _, password = decoded.partition(":")
            basic = (user, password)
        base_url = request.host_url.rstrip("/")
        try:
            return json_response(200, self.tokens.token(params, basic, base_url))
        except OAuthError as exc:
            return json_response(exc.status, exc.body())

    def route(self, request: Request, version: str, tail: str) -> Reply:
        adapter = DATA_ROUTES.bind("sandbox", "/")
        try:
            endpoint, args = adapter.match(tail.rstrip("/") or "/", method=request.method)
        except MethodNotAllowed as exc:
            allowed = ",".join(sorted(exc.valid_methods or []))
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not "
                           f"allowed. Allowed are {allowed}") from exc
        except NotFound as exc:
            raise not_found() from exc
        try:
            return getattr(self, f"on_{endpoint}")(request, version, **args)
        except SoqlError as exc:
            raise ApiError(400, exc.error_code, exc.message) from exc

    # resources ---------------------------------------------------------------
    def on_resources(self, request: Request, version: str) -> Reply:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "limits", "composite")
        return Reply(200, {name: f"{base}/{name}" for name in names})

    def on_limits(self, request: Request, version: str) -> Reply:
        limit = self.budget.daily_limit
        return Reply(200, {"DailyApiRequests": {"Max": limit,
                                                "Remaining": limit - self.budget.used}})

    def on_query(self, request: Request, version: str) -> Reply:
        batch = batch_size(request.headers.get("Sforce-Query-Options"))
        return Reply(200, self.queries.run(request.args.get("q"), version, False, batch))

    def on_query_all(self, request: Request, version: str) -> Reply:
        batch = batch_size(request.headers.get("Sforce-Query-Options"))
        return Reply(200, self.queries.run(request.args.get("q"), version, True, batch))

    def on_query_more(self, request: Request, version: str, locator: str) -> Reply:
        batch = batch_size(request.headers.get("Sforce-Query-Options"))
        return Reply(200, self.queries.more(locator, version, batch))

    def on_global_describe(self, request: Request, version: str) -> Reply:
        return Reply(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            obj.basic(version) for obj in self.store.schema.values()]})

    def _object(self, name: str) -> Any:
        obj = self.store.object(name)
        if obj is None:
            raise not_found()
        return obj

    def on_sobject(self, request: Request, version: str, sobject: str) -> Reply:
        obj = self._object(sobject)
        if request.method == "GET":
            return Reply(200, {"objectDescribe": obj.basic(version), "recentItems": []})
        return sobjects.create(self.store, obj, read_json(request), self.reject())

    def on_describe(self, request: Request, version: str, sobject: str) -> Reply:
        return Reply(200, self._object(sobject).describe(version))

    def on_updated(self, request: Request, version: str, sobject: str) -> Reply:
        obj = self._object(sobject)
        args = request.args
        return Reply(200, replication.get_updated(self.store, obj, args.get("start"),
                                                  args.get("end")))

    def on_deleted(self, request: Request, version: str, sobject: str) -> Reply:
        obj = self._object(sobject)
        args = request.args
        return Reply(200, replication.get_deleted(self.store, obj, args.get("start"),
                                                  args.get("end")))

    def on_row(self, request: Request, version: str, sobject: str, record_id: str) -> Reply:
        obj = self._object(sobject)
        return sobjects.row(self.store, obj, record_id, request, version, self.reject())

    def on_row_by_external_id(self, request: Request, version: str, sobject: str, field: str,
                              value: str) -> Reply:
        obj = self._object(sobject)
        return sobjects.by_external_id(self.store, obj, field, value, request, version,
                                       self.reject())

    def on_collection(self, request: Request, version: str) -> Reply:
        if request.method == "DELETE":
            return Reply(200, composite.delete_many(self.store, request.args.get("ids"),
                                                    request.args.get("allOrNone")))
        body = read_json(request)
        if request.method == "POST":
            return Reply(200, composite.create_many(self.store, body, self.reject()))
        return Reply(200, composite.update_many(self.store, body, self.reject()))

    def on_collection_retrieve(self, request: Request, version: str, sobject: str) -> Reply:
        obj = self._object(sobject)
        if request.method == "POST":
            body = read_json(request)
            id_list, fields = body.get("ids") or [], body.get("fields") or []
        else:
            id_list = [i for i in request.args.get("ids", "").split(",") if i]
            fields = [f for f in request.args.get("fields", "").split(",") if f]
        return Reply(200, composite.retrieve_many(self.store, obj, id_list, fields, version))

    def on_collection_upsert(self, request: Request, version: str, sobject: str,
                             field: str) -> Reply:
        obj = self._object(sobject)
        return Reply(200, composite.upsert_many(self.store, obj, field, read_json(request),
                                                self.reject()))


def _is_version(text: str) -> bool:
    major, dot, minor = text.partition(".")
    return bool(dot) and major.isdigit() and minor.isdigit()
