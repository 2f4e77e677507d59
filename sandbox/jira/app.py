"""The emulator's WSGI app: versions, routes, authentication, rate limit, errors.

Everything lives under ``/rest/api/{2,3,latest}/`` (Data Center: ``2`` and
``latest`` only). ``serverInfo`` is anonymous, as in Jira; every other
resource needs basic auth (email + API token) or a bearer PAT, and answers
401 otherwise (Cloud: a plain-text body; Data Center:
``{"message", "status-code"}``, as each measures). Authenticated calls then
spend the rate-limit budget (429 once spent). Refusals are
``{"errorMessages", "errors"}``; a path the API does not have answers 404
(``/rest/applinks/...`` included). Requests are served one at a time under
the store lock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.jira.auth import Credentials
from sandbox.jira.errors import AUTH_REQUIRED, RATE_LIMITED, SEARCH_GONE, JiraError
from sandbox.jira.jql import JqlError
from sandbox.jira.ratelimit import RateLimiter
from sandbox.jira.resources import Resources
from sandbox.jira.search import CLOUD_BODY_KEYS, DC_BODY_KEYS, SearchService, read_params
from sandbox.jira.store import Store
from sandbox.jira.wire import Reply, jira_time, json_response

log = logging.getLogger(__name__)
_API = re.compile(r"^/rest/api/(2|3|latest)(/.*)?$")
ROUTES = Map([
    Rule("/serverInfo", endpoint="server_info", methods=["GET"]),
    Rule("/myself", endpoint="myself", methods=["GET"]),
    Rule("/field", endpoint="fields", methods=["GET"]),
    Rule("/project", endpoint="projects", methods=["GET"]),
    Rule("/project/<ref>", endpoint="project", methods=["GET"]),
    Rule("/issuetype", endpoint="issuetypes", methods=["GET"]),
    Rule("/priority", endpoint="priorities", methods=["GET"]),
    Rule("/status", endpoint="statuses", methods=["GET"]),
    Rule("/search", endpoint="search", methods=["GET", "POST"]),
    Rule("/search/jql", endpoint="search_jql", methods=["GET", "POST"]),
    Rule("/issue", endpoint="issue_create", methods=["POST"]),
    Rule("/issue/<ref>", endpoint="issue", methods=["GET", "PUT", "DELETE"]),
    Rule("/issue/<ref>/changelog", endpoint="changelog", methods=["GET"]),
    Rule("/issue/<ref>/comment", endpoint="comments", methods=["GET", "POST"]),
    Rule("/issue/<ref>/comment/<comment_id>", endpoint="comment", methods=["GET"]),
    Rule("/issue/<ref>/remotelink", endpoint="remote_links", methods=["GET", "POST"]),
    Rule("/issue/<ref>/remotelink/<link_id>", endpoint="remote_link",
         methods=["GET", "DELETE"]),
    Rule("/issue/<ref>/transitions", endpoint="transitions", methods=["GET", "POST"]),
], strict_slashes=False, merge_slashes=False)
CLOUD_ONLY = frozenset({"search_jql", "changelog"})


class JiraApp:
    """WSGI callable serving one emulated Jira site (Cloud or Data Center)."""

    def __init__(self, store: Store, credentials: Credentials, limiter: RateLimiter,
                 search: SearchService, resources: Resources,
                 server_info: Callable[[str], dict[str, Any]]) -> None:
        self.store = store
        self.credentials = credentials
        self.limiter = limiter
        self.search = search
        self.resources = resources
        self.server_info = server_info

    @property
    def cloud(self) -> bool:
        return self.store.cloud

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except JiraError as exc:
            response = json_response(exc.status, exc.body(), exc.headers)
        except Exception:  # an emulator bug must still answer in the vendor's shape
            log.exception("jira emulator failed on %s %s", request.method, request.path)
            response = json_response(500, {"errorMessages": ["Internal server error"],
                                           "errors": {}})
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        match = _API.match(request.path)
        if match is None or (match.group(1) == "3" and not self.cloud):
            return self.not_found(request)
        ver, tail = match.group(1), (match.group(2) or "/").rstrip("/") or "/"
        try:
            endpoint, args = ROUTES.bind("sandbox", "/").match(tail, method=request.method)
        except NotFound:
            return self.not_found(request)
        except MethodNotAllowed:
            return json_response(405, {"errorMessages": [
                f"Method {request.method} is not allowed here."], "errors": {}})
        if endpoint in CLOUD_ONLY and not self.cloud:
            return self.not_found(request)
        if endpoint == "server_info":
            return json_response(200, self.server_info(request.host_url.rstrip("/")))
        account = self.credentials.check(request.headers.get("Authorization"))
        if account is None:
            return self.unauthorized(request)
        decision = self.limiter.take()
        headers = dict(decision.headers)
        headers.update(self.identity_headers())
        if not decision.allowed:
            return json_response(429, {"errorMessages": [RATE_LIMITED], "errors": {}}, headers)
        with self.store.lock:
            reply = self.route(request, endpoint, ver, args)
        headers.update(reply.headers or {})
        return json_response(reply.status, reply.body, headers)

    def route(self, request: Request, endpoint: str, ver: str, args: dict[str, str]) -> Reply:
        res = self.resources
        try:
            if endpoint == "search":
                if self.cloud:
                    raise JiraError(410, [SEARCH_GONE])
                params = read_params(request, DC_BODY_KEYS)
                return Reply(200, self.search.datacenter(params, res.base_url(request)))
            if endpoint == "search_jql":
                params = read_params(request, CLOUD_BODY_KEYS)
                return Reply(200, self.search.cloud(params, res.base_url(request), ver))
            if endpoint == "issue":
                handler = {"GET": res.issue_get, "PUT": res.issue_put,
                           "DELETE": res.issue_delete}[request.method]
                return handler(request, ver, **args)
            return getattr(res, endpoint)(request, ver, **args)  # type: ignore[no-any-return]
        except JqlError as exc:
            raise JiraError(400, exc.messages) from exc

    def identity_headers(self) -> dict[str, str]:
        user = self.store.api_user
        if self.cloud:
            return {"X-AACCOUNTID": user.account_id}
        return {"X-AUSERNAME": user.name}

    def unauthorized(self, request: Request) -> Response:
        headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"} \
            if request.headers.get("Authorization") else {}
        if self.cloud:
            return Response(AUTH_REQUIRED, status=401, content_type="text/html;charset=UTF-8",
                            headers=headers)
        return json_response(401, {"message": AUTH_REQUIRED, "status-code": 401}, headers)

    def not_found(self, request: Request) -> Response:
        if self.cloud:
            body = {"type": "about:blank", "title": "Not Found", "status": 404,
                    "detail": f"No endpoint {request.method} {request.path}.",
                    "instance": request.path}
            return Response(json_response(404, body).get_data(), status=404,
                            content_type="application/problem+json;charset=UTF-8")
        return json_response(404, {"message": f"null for uri: {request.url}",
                                   "status-code": 404})


def server_info_body(cloud: bool, base_url: str, now: Any) -> dict[str, Any]:
    """``GET /serverInfo``: Cloud says ``"deploymentType": "Cloud"``; Data Center
    answers ``"Server"`` (what DC instances report)."""
    if cloud:
        return {"baseUrl": base_url, "displayUrl": base_url, "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud",
                "buildNumber": 100289, "buildDate": "2026-02-27T00:00:00.000+0000",
                "serverTime": jira_time(now), "scmInfo": "sandbox", "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC"}
    return {"baseUrl": base_url, "version": "9.12.15", "versionNumbers": [9, 12, 15],
            "deploymentType": "Server", "buildNumber": 9120015,
            "buildDate": "2026-01-20T00:00:00.000+0000", "databaseBuildNumber": 9120015,
            "serverTime": jira_time(now), "scmInfo": "sandbox", "serverTitle": "Jira"}
