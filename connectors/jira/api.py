"""The jira library, wrapped: one client, every call counted, every failure translated.

The client is built lazily (constructing a connector does no I/O) as
``JIRA(server, basic_auth | token_auth, options={"verify": ca_bundle}, max_retries=0,
timeout, get_server_info=True)``: the library must not retry (its 429 handling
sleeps and crashes on HTTP-date Retry-After headers), the hub's one policy does
(``core.retry``). jira 3.x sends every request with ``verify=session.verify``
explicitly, so the configured CA wins over ``REQUESTS_CA_BUNDLE``.

Status table (``JIRAError.response`` carries the headers)::

    429, 503        RateLimited(retry_after from Retry-After)
    other 5xx       RetryLater
    401             StopSync (credentials refused; no secret in the message)
    403             StopSync (no permission for what was asked)
    400             ConfigError (a search or request Jira refuses: its errorMessages)
    transport       RetryLater (TLS failure: StopSync naming ca_bundle)

Writes refine 400/403/404 per record (``writes``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.base import (
    CallCounter,
    ConfigError,
    ConnectorError,
    RateLimited,
    RetryLater,
    StopSync,
)
from connectors.http import retry_after, transport_error
from connectors.jira.settings import JiraSettings

SYSTEM = "Jira"
ZONE_TTL = timedelta(hours=1)
T = TypeVar("T")
_WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def jira_messages(exc: JIRAError) -> tuple[list[str], dict[str, str]]:
    """Jira's ``errorMessages`` and ``errors`` from a failed answer (empty if not JSON)."""
    body: Any = None
    if exc.response is not None:
        try:
            body = exc.response.json()
        except ValueError:
            body = None
    if not isinstance(body, dict):
        return ([str(exc.text)] if exc.text else []), {}
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    if not messages and body.get("message"):
        messages = [str(body["message"])]
    return messages, {str(k): str(v) for k, v in errors.items()}


def describe_error(exc: JIRAError) -> str:
    messages, errors = jira_messages(exc)
    parts = messages + [f"{k}: {v}" for k, v in errors.items()]
    return "; ".join(parts) or f"HTTP {exc.status_code}"


def translate(exc: JIRAError, what: str, name: str,
              now: datetime | None = None) -> ConnectorError:
    """The connector error for a failed call (never the library's text: it can hold headers).

    ``now`` reads a Retry-After given as an HTTP date (the library itself crashes on one)."""
    status = exc.status_code or 0
    headers = exc.response.headers if exc.response is not None else {}
    where = f"{SYSTEM} connection {name!r}"
    if status in (429, 503):
        return RateLimited(f"{where}: throttled while {what} ({status})",
                           retry_after=retry_after(headers, now))
    if status >= 500 or status == 0:
        return RetryLater(f"{where}: {what} failed ({status or 'no answer'})")
    if status == 401:
        return StopSync(f"{where}: the credentials were refused (401) while {what}; check "
                        "auth (email + api_token, or pat) and that the token is not revoked")
    if status == 403:
        return StopSync(f"{where}: permission refused (403) while {what}: "
                        f"{describe_error(exc)}")
    return ConfigError(f"{where}: {what} was refused ({status}): {describe_error(exc)}")


class JiraApi:
    """The calls the connector makes, each counted in ``calls`` (``read``/``write``)."""

    def __init__(self, settings: JiraSettings, now: Callable[[], datetime] | None = None,
                 factory: Callable[..., Any] = JIRA) -> None:
        self.settings = settings
        self.now = now or (lambda: datetime.now(UTC))
        self.calls = CallCounter()
        self._factory = factory
        self._client: Any = None
        self._fields: list[dict[str, Any]] | None = None
        self._zone: str | None = None
        self._zone_read: datetime | None = None

    # -- the client -------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        s = self.settings
        auth: dict[str, Any] = ({"token_auth": s.pat} if s.pat
                                else {"basic_auth": (s.email, s.api_token)})
        options = {"verify": s.ca_bundle or True, "check_update": False,
                   "rest_api_version": "2"}
        self.calls.add("read")  # the constructor's GET /serverInfo
        client = self.call("connecting", lambda: self._factory(
            server=s.url, options=options, max_retries=0, timeout=s.timeout,
            get_server_info=True, **auth))
        client._session.hooks["response"].append(self._count)
        return client

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        method = (response.request.method or "GET").upper() if response.request else "GET"
        path = response.request.path_url if response.request else ""
        is_search = "/search" in path.split("?")[0]
        self.calls.add("write" if method in _WRITES and not is_search else "read")

    @property
    def cloud(self) -> bool:
        return getattr(self.client, "deploymentType", None) == "Cloud"

    def call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except JIRAError as exc:
            raise translate(exc, what, self.settings.name, self.now()) from None
        except requests.RequestException as exc:
            raise transport_error(exc, f"{SYSTEM} connection {self.settings.name!r}") from None

    def url(self, path: str) -> str:
        return f"{self.settings.url}/rest/api/2/{path.lstrip('/')}"

    # -- site metadata ------------------------------------------------------------------
    def fields(self) -> list[dict[str, Any]]:
        """``GET /field`` once; also primes the library's name cache (else it GETs again)."""
        if self._fields is None:
            raw = self.call("reading the field list", lambda: self.client.fields())
            self._fields = [f for f in raw if isinstance(f, dict) and f.get("id")]
            names = {n: f["id"] for f in self._fields for n in f.get("clauseNames") or ()}
            if names and hasattr(self.client, "_fields_cache_value"):
                self.client._fields_cache_value = names
        return self._fields

    def zone(self) -> str | None:
        """The API user's profile time zone, which JQL dates use (``GET /myself``, asked
        again after an hour: a profile can be changed while the daemon runs)."""
        now = self.now()
        if self._zone_read is None or now - self._zone_read >= ZONE_TTL:
            me = self.call("reading the API user's profile", lambda: self.client.myself())
            self._zone = me.get("timeZone") if isinstance(me, dict) else None
            self._zone_read = now
        return self._zone

    # -- search ---------------------------------------------------------------------------
    def search_page(self, jql: str, fields: Sequence[str], expand: str | None,
                    size: int, token: Any) -> tuple[list[dict[str, Any]], Any]:
        """One page of a search and the token of the next one (``None`` after the last).

        Cloud: ``/search/jql`` with ``nextPageToken``; Data Center: ``/search`` with
        ``startAt``. A 400 is a ``ConfigError`` carrying Jira's messages."""
        self.fields()
        what = f"searching ({jql})"
        if self.cloud:
            body = self.call(what, lambda: self.client.enhanced_search_issues(
                jql, nextPageToken=token, maxResults=size, fields=list(fields),
                expand=expand, json_result=True))
            issues = list(body.get("issues") or [])
            nxt = body.get("nextPageToken")
            if nxt is not None and nxt == token:
                raise RetryLater(f"{SYSTEM}: the search answered the same page token twice")
            return issues, (nxt if nxt and not body.get("isLast") else None)
        start = int(token or 0)
        body = self.call(what, lambda: self.client.search_issues(
            jql, startAt=start, maxResults=size, fields=list(fields), expand=expand,
            json_result=True))
        issues = list(body.get("issues") or [])
        total = body.get("total")
        after = int(body.get("startAt", start)) + len(issues)
        more = bool(issues) and (total is None or after < int(total))
        return issues, (after if more else None)

    # -- raw calls (the library's helpers cost extra GETs) -----------------------------------
    def request(self, method: str, path: str, what: str, *, body: Any = None,
                params: dict[str, Any] | None = None) -> Any:
        """One request on the library's session (auth, CA, timeout); JSON answer or None.

        Raises ``JIRAError`` as the library does: callers decide per status."""
        data = json.dumps(body) if body is not None else None
        response = self.client._session.request(method, self.url(path), data=data,
                                                params=params)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        return self.call(what, lambda: self.request("GET", path, what, params=params))
