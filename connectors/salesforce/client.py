"""One Salesforce API client per connection: session, token, budget, call accounting.

Every call goes through ``SalesforceApi.call(kind, fn)``, which

1. refuses to start when the org's API usage (from the last
   ``Sforce-Limit-Info: api-usage=N/M``) has reached ``budget_share`` of the
   daily limit -- ``StopSync`` before the wall, not after it. A reading
   older than ``BUDGET_RECHECK`` lets one call through to learn the current
   usage (the limit is a rolling 24-hour window, so it frees up by itself);
2. counts the call by kind in ``calls`` (a ``connectors.base.CallCounter``);
3. on a 401 ``INVALID_SESSION_ID`` refreshes the token once (single-flight,
   see ``auth``) and repeats the call once; a second 401 is ``StopSync``;
4. turns every other failure into the connector error taxonomy
   (``errors.translate``).

It never retries anything else: the engine wraps reads and writes in the
hub's one tenacity policy (``core.retry``), which honours Retry-After. The
session is ``connectors.http.make_session`` (the CA bundle wins over
``REQUESTS_CA_BUNDLE``; a timeout on every request) with one response hook
that records the limit header and raises ``RateLimited``/``RetryLater`` for
429 and 5xx answers while their headers are still at hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.base import CallCounter, RetryLater, StopSync
from connectors.http import make_session
from connectors.salesforce.auth import Token, TokenSource
from connectors.salesforce.errors import SYSTEM, parse_limit_info, status_error, translate
from connectors.salesforce.settings import SalesforceSettings
from core.clock import Clock

T = TypeVar("T")
BUDGET_RECHECK = timedelta(minutes=15)


class SalesforceApi:
    def __init__(self, settings: SalesforceSettings, clock: Clock,
                 session: requests.Session | None = None) -> None:
        self.settings, self.clock = settings, clock
        self.calls = CallCounter()
        self.session = session or make_session(settings.ca_bundle, timeout=settings.timeout,
                                               proxy=settings.proxy)
        self.session.hooks.setdefault("response", []).append(self._on_response)
        self.tokens = TokenSource(settings, self.session, clock, self.calls)
        self.usage: tuple[int, int] | None = None
        self.usage_at: datetime | None = None
        self._lock = threading.Lock()
        self._client: tuple[Salesforce, Token] | None = None

    # -- the response hook -------------------------------------------------
    def _on_response(self, response: requests.Response, *args: Any,
                     **kwargs: Any) -> requests.Response:
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            with self._lock:
                self.usage, self.usage_at = usage, self.clock.now()
        error = status_error(response)
        if error is not None:
            response.close()
            raise error
        return response

    # -- calls ---------------------------------------------------------------
    def check_budget(self) -> None:
        with self._lock:
            usage, at = self.usage, self.usage_at
        if usage is None or at is None or self.clock.now() - at > BUDGET_RECHECK:
            return
        used, limit = usage
        share = self.settings.budget_share
        if limit and used >= share * limit:
            raise StopSync(f"{SYSTEM}: daily API budget at {used}/{limit} (stop at "
                           f"{share:.0%}); the sync resumes when usage falls below that")

    def client(self) -> tuple[Salesforce, Token]:
        token = self.tokens.current()
        with self._lock:
            if self._client is None or self._client[1] is not token:
                sf = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                                session=self.session, version=self.settings.api_version)
                self._client = (sf, token)
            return self._client

    def call(self, kind: str, fn: Callable[[Salesforce], T], what: str | None = None) -> T:
        what = what or kind
        for attempt in (1, 2):
            self.check_budget()
            sf, token = self.client()
            self.calls.add(kind)
            try:
                return fn(sf)
            except SalesforceExpiredSession as exc:
                if attempt == 2:
                    raise translate(exc, what) from None
                self.tokens.refresh(token)
            except (SalesforceError, requests.RequestException) as exc:
                raise translate(exc, what) from None
        raise AssertionError("unreachable")

    # -- queries -------------------------------------------------------------
    def query_pages(self, soql: str, kind: str = "query", *, batch_size: int | None = None,
                    what: str = "a query") -> Iterator[dict[str, Any]]:
        """Every page of a SOQL query, following ``nextRecordsUrl`` until ``done``."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size or self.settings.batch_size}"}
        page = _page(self.call(kind, lambda sf: sf.query(soql, headers=headers), what), what)
        seen: set[str] = set()
        while True:
            yield page
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            if next_url in seen:
                raise RetryLater(f"{SYSTEM}: {what} repeated a page locator; reading again")
            seen.add(next_url)
            page = _page(self.call(kind, lambda sf, u=next_url: sf.query_more(
                u, identifier_is_url=True, headers=headers), what), what)

    def restful(self, kind: str, path: str, *, method: str = "GET", what: str | None = None,
                **kwargs: Any) -> Any:
        return self.call(kind, lambda sf: sf.restful(path, method=method, **kwargs), what)


def _page(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict) or not isinstance(answer.get("records"), list):
        raise RetryLater(f"{SYSTEM}: the answer to {what} has no records list")
    return answer
