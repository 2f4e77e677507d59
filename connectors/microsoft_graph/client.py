"""Plain HTTPS to Microsoft Graph with an msal token, every call under the hub's retry
policy.

``call`` sends one request (bearer token added unless ``auth=False``, as for the
pre-authenticated upload and download URLs), counts it, maps a failure to the
taxonomy and retries what ``core.retry`` says (429/503 wait exactly Retry-After on
the clock). A 401 drops the token and retries once with a fresh one; a second 401
stops the sync. Status table (refining ``connectors.http``)::

    401 twice / 403        StopSync   (token refused / no grant on the site)
    404                    NotFound   (a SkipRecord the connector may expect)
    409                    Conflict   (nameAlreadyExists)
    410                    Gone       (delta resyncRequired)
    416                    RangeRefused (upload fragment not where the server is)
    other 4xx              SkipRecord;  429, 503 RateLimited;  5xx RetryLater
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests

from connectors.base import CallCounter, ConnectorError, SkipRecord, StopSync
from connectors.http import error_for, make_session, transport_error
from connectors.microsoft_graph.settings import GraphSettings
from connectors.msal_auth import MsalAuth
from core.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)
SYSTEM = "Microsoft Graph"


class NotFound(SkipRecord):
    pass


class Conflict(SkipRecord):
    pass


class Gone(SkipRecord):
    pass


class RangeRefused(SkipRecord):
    pass


_BY_STATUS: dict[int, type[ConnectorError]] = {404: NotFound, 409: Conflict, 410: Gone,
                                               416: RangeRefused}


def graph_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        return response.reason or "no details"


class GraphClient:
    def __init__(self, settings: GraphSettings, *, sleep: Callable[[float], None],
                 policy: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.session = make_session(settings.ca_bundle, timeout=settings.timeout,
                                    proxy=settings.proxy)
        self.auth = MsalAuth(settings.auth, session=self.session, system=SYSTEM)
        self.sleep = sleep
        self.policy = policy or RetryPolicy()
        self.calls = CallCounter()

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else self.settings.graph_url + path

    def call(self, what: str, method: str, path: str, *, auth: bool = True,
             ok: tuple[int, ...] = (200, 201, 202, 204), **kwargs: Any) -> requests.Response:
        def once() -> requests.Response:
            return self._send(what, method, path, auth, ok, kwargs)

        def waiting(seconds: float, exc: BaseException) -> None:
            log.info("%s %s: waiting %.1fs (%s)", SYSTEM, what, seconds, exc)

        return call_with_retry(once, policy=self.policy, sleep=self.sleep, on_wait=waiting)

    def _send(self, what: str, method: str, path: str, auth: bool, ok: tuple[int, ...],
              kwargs: dict[str, Any]) -> requests.Response:
        url = self.url(path)
        refreshed = False
        while True:
            headers = dict(kwargs.get("headers") or {})
            token = None
            if auth:
                token = self.auth.token(self.settings.scope)
                headers["Authorization"] = f"Bearer {token}"
            self.calls.add(what)
            try:
                response = self.session.request(method, url, allow_redirects=False,
                                                **{**kwargs, "headers": headers})
            except requests.RequestException as exc:
                raise transport_error(exc, f"{SYSTEM} {what}") from None
            if response.status_code in ok:
                return response
            if response.status_code == 401 and auth and not refreshed and token:
                self.auth.refresh(self.settings.scope, token)
                refreshed = True
                continue
            raise self._error(what, response)

    def _error(self, what: str, response: requests.Response) -> ConnectorError:
        status, message = response.status_code, graph_message(response)
        text = f"{SYSTEM} {what} answered {status}: {message}"
        if status == 401:
            return StopSync(f"{text}; the token was refused after a refresh: check the app "
                            "registration's Graph permission")
        if status == 403:
            return StopSync(f"{text}; the app needs write access to this site (a "
                            "Sites.Selected grant)")
        kind = _BY_STATUS.get(status)
        if kind is not None:
            return kind(text)
        return error_for(status, message, headers=response.headers, system=f"{SYSTEM} {what}")
