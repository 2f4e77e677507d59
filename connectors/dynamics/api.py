"""One Dataverse Web API client per connection: token, headers, budget, call accounting.

Every call goes through ``DataverseApi.send(kind, method, url, ...)``, which

1. paces itself when the service-protection window runs low: Dataverse
   reports the requests left in its five-minute window in
   ``x-ms-ratelimit-burst-remaining-xrm-requests``; once that falls below
   ``(1 - budget_share)`` of ``request_limit``, each call first waits
   ``300 / remaining`` seconds on the clock: what is left is spread over a
   whole window, by the end of which the requests that used it up have left
   it. The connection slows down before the 429 wall rather than hitting it;
2. counts the call by kind in ``calls`` (``connectors.base.CallCounter``);
3. sends the OData headers (``OData-Version``/``OData-MaxVersion: 4.0``,
   ``Accept: application/json``) with a bearer token for ``{org_url}/.default``
   from ``connectors.msal_auth``; a 401 drops that token, fetches a new one
   (once, shared by every thread that saw it) and repeats the call once;
4. refuses to follow a link (``@odata.nextLink``/``deltaLink``) that points
   outside the org's API URL: the token is never sent anywhere else.

Answers other than 2xx become connector errors (``errors.failure``). The
client itself never retries; ``writes`` and the engine do, through
``core.retry``.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from connectors.base import CallCounter, ConfigError
from connectors.dynamics.errors import SYSTEM, failure, not_json
from connectors.dynamics.settings import DynamicsSettings
from connectors.http import make_session, transport_error
from connectors.msal_auth import MsalAuth
from core.clock import Clock

REMAINING = "x-ms-ratelimit-burst-remaining-xrm-requests"
WINDOW_SECONDS = 300.0
ODATA_HEADERS = {"OData-Version": "4.0", "OData-MaxVersion": "4.0",
                 "Accept": "application/json"}


class DataverseApi:
    def __init__(self, settings: DynamicsSettings, clock: Clock,
                 session: requests.Session | None = None, auth: MsalAuth | None = None) -> None:
        self.settings, self.clock = settings, clock
        self.calls = CallCounter()
        self.session = session or make_session(settings.ca_bundle, timeout=settings.timeout,
                                               proxy=settings.proxy)
        self.auth = auth or MsalAuth(settings.auth, session=self.session,
                                     system="Dynamics 365")
        self.remaining: int | None = None
        self._lock = threading.Lock()

    @property
    def reserve(self) -> float:
        return (1.0 - self.settings.budget_share) * self.settings.request_limit

    def _pace(self) -> None:
        with self._lock:
            remaining = self.remaining
        if remaining is not None and remaining < self.reserve:
            wait = WINDOW_SECONDS / max(1, remaining)
            self.clock.sleep(wait)

    def url(self, path_or_link: str) -> str:
        if path_or_link.startswith("https://"):
            if not path_or_link.startswith(self.settings.api_url):
                raise ConfigError(f"{SYSTEM}: a link in an answer points outside "
                                  f"{self.settings.api_url}; not following it")
            return path_or_link
        return self.settings.api_url + path_or_link.lstrip("/")

    def send(self, kind: str, method: str, path_or_link: str, what: str, *,
             headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
             json: Any = None, data: bytes | None = None,
             ok: tuple[int, ...] = (200, 201, 204)) -> requests.Response:
        """The answer to one call (a 2xx in ``ok``); raises a connector error otherwise."""
        url = self.url(path_or_link)
        scope = self.settings.scope
        for attempt in (1, 2):
            self._pace()
            token = self.auth.token(scope)
            self.calls.add(kind)
            try:
                response = self.session.request(
                    method, url, params=params, json=json, data=data,
                    headers={**ODATA_HEADERS, **(headers or {}),
                             "Authorization": f"Bearer {token}"})
            except requests.RequestException as exc:
                raise transport_error(exc, SYSTEM) from None
            self._note_budget(response)
            if response.status_code == 401 and attempt == 1:
                self.auth.refresh(scope, token)
                continue
            if response.status_code in ok:
                return response
            raise failure(response, what)
        raise AssertionError("unreachable")

    def get_json(self, kind: str, path_or_link: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = self.send(kind, "GET", path_or_link, what, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise not_json(what)
        return body

    def _note_budget(self, response: requests.Response) -> None:
        value = response.headers.get(REMAINING)
        if value is None:
            return
        try:
            remaining = int(float(value.replace(",", "")))
        except ValueError:
            return
        with self._lock:
            self.remaining = remaining
