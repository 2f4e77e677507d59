"""Issue search, as each deployment serves it.

Cloud: ``GET``/``POST /rest/api/{2,3}/search/jql`` answers ``{issues,
nextPageToken?, isLast}``: no ``total``, and the last page has no
``nextPageToken``. A query without a restriction is refused (Jira's
"Unbounded JQL queries are not allowed here..."). ``fields`` defaults to
``id`` only. The old ``/search`` answers 410 with Jira's removal notice.

Data Center: ``GET``/``POST /rest/api/2/search`` with ``startAt``,
``maxResults`` and ``total`` (``fields`` defaults to ``*navigable``);
``/search/jql`` does not exist there (404).

Pages hold at most ``page_max`` issues (default 100); ``maxResults``
defaults to 50. A page token is opaque: it carries the query's fingerprint
and the next offset, and is refused for another query. Each page is
evaluated on the data as it is when asked for (as Jira does).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from sandbox.jira import jql_eval, render
from sandbox.jira.errors import BAD_PAGE_TOKEN, INVALID_PAYLOAD, UNBOUNDED_JQL, bad_request
from sandbox.jira.store import Store
from sandbox.jira.wire import read_json

CLOUD_BODY_KEYS = frozenset({"jql", "fields", "maxResults", "nextPageToken", "expand",
                             "properties", "fieldsByKeys", "reconcileIssues", "failFast"})
DC_BODY_KEYS = frozenset({"jql", "startAt", "maxResults", "fields", "expand", "properties",
                          "fieldsByKeys", "validateQuery"})


@dataclass
class SearchParams:
    jql: str
    fields: list[str] | None
    expand: list[str]
    max_results: int | None
    start_at: int
    token: str | None


def _int(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"The '{name}' parameter must be an integer.") from exc


def read_params(request: Request, allowed: frozenset[str]) -> SearchParams:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if request.method == "POST":
        body = read_json(request)
        if not isinstance(body, dict) or set(body) - allowed:
            raise bad_request(INVALID_PAYLOAD)
        fields = body.get("fields")
        expand = body.get("expand")
        return SearchParams(
            jql=str(body.get("jql") or ""),
            fields=render.parse_list(fields) if fields is not None else None,
            expand=render.parse_list(expand) or [],
            max_results=_int(body.get("maxResults"), "maxResults"),
            start_at=_int(body.get("startAt"), "startAt") or 0,
            token=body.get("nextPageToken"))
    args = request.args
    return SearchParams(
        jql=args.get("jql", ""),
        fields=render.parse_list(args.getlist("fields")) if "fields" in args else None,
        expand=render.parse_list(args.getlist("expand")) or [],
        max_results=_int(args.get("maxResults"), "maxResults"),
        start_at=_int(args.get("startAt"), "startAt") or 0,
        token=args.get("nextPageToken"))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_token(jql: str, offset: int) -> str:
    raw = json.dumps({"q": _fingerprint(jql), "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(token: str, jql: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["o"])
        if data["q"] != _fingerprint(jql) or offset < 0:
            raise ValueError("token for another query")
        return offset
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request(BAD_PAGE_TOKEN) from exc


class SearchService:
    def __init__(self, store: Store, context: Callable[[], jql_eval.EvalContext],
                 page_max: int) -> None:
        self.store = store
        self.context = context
        self.page_max = page_max

    def _page_size(self, asked: int | None) -> int:
        if asked is None or asked < 0:
            return min(50, self.page_max)
        return min(asked, self.page_max)

    def cloud(self, params: SearchParams, base_url: str, api_version: str) -> dict[str, Any]:
        compiled, issues = jql_eval.run(params.jql, self.context())
        if not compiled.bounded:
            raise bad_request(UNBOUNDED_JQL)
        offset = read_token(params.token, params.jql) if params.token else 0
        size = self._page_size(params.max_results) or min(50, self.page_max)
        page = issues[offset:offset + size]
        spec = params.fields if params.fields is not None else ["id"]
        id_only = spec == ["id"]
        fields = render.select_fields(self.store.catalog, spec, "id")
        ctx = render.render_context(self.store, base_url, api_version)
        body: dict[str, Any] = {"issues": [
            render.issue_json(self.store, issue, ctx, fields, params.expand, id_only=id_only)
            for issue in page]}
        next_offset = offset + len(page)
        if next_offset < len(issues):
            body["nextPageToken"] = make_token(params.jql, next_offset)
            body["isLast"] = False
        else:
            body["isLast"] = True
        return body

    def datacenter(self, params: SearchParams, base_url: str) -> dict[str, Any]:
        _, issues = jql_eval.run(params.jql, self.context())
        size = self._page_size(params.max_results)
        start = max(0, params.start_at)
        page = issues[start:start + size]
        fields = render.select_fields(self.store.catalog, params.fields, "*navigable")
        ctx = render.render_context(self.store, base_url, "2")
        return {"expand": "schema,names", "startAt": start, "maxResults": size,
                "total": len(issues),
                "issues": [render.issue_json(self.store, i, ctx, fields, params.expand)
                           for i in page]}
