"""HTTP plumbing every REST connector shares: a session whose CA choice wins,
and one table from a response status to what happens next.

``requests`` lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override
``Session.verify`` -- so a connector given a CA bundle (a TLS-inspecting
proxy, the sandbox) would silently trust the system store instead. The
session here ignores the environment (``trust_env = False``) and takes
proxies only from the connection's own ``proxy`` setting.

Status table (the error taxonomy of ``connectors.base``):

    429, 503 (+ Retry-After)        RateLimited(retry_after)
    500, 502, 504, timeouts         RetryLater
    401                             StopSync  (after the connector's one refresh)
    403                             StopSync  (vendors refine: Salesforce's budget)
    400, 404, 409, 412, 422         SkipRecord (the record is refused)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from connectors.base import ConnectorError, RateLimited, RetryLater, SkipRecord, StopSync

DEFAULT_TIMEOUT = 30.0


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(ca_bundle: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                 proxy: str | None = None) -> requests.Session:
    """A session that verifies TLS with ``ca_bundle`` (or the system store) for real."""
    s = _TimeoutSession(timeout)
    s.trust_env = False
    s.verify = ca_bundle or True
    if proxy:
        s.proxies = {"http": proxy, "https": proxy}
    return s


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: an integer, or an HTTP date."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for(status: int, message: str, *, headers: Mapping[str, str] | None = None,
              system: str = "remote") -> ConnectorError:
    """The exception that says what to do about a failed call."""
    text = f"{system} answered {status}: {message}"
    if status in (429, 503):
        return RateLimited(text, retry_after=retry_after(headers or {}))
    if status >= 500:
        return RetryLater(text)
    if status in (401, 403):
        return StopSync(text)
    return SkipRecord(text)


def transport_error(exc: requests.RequestException, system: str) -> ConnectorError:
    if isinstance(exc, requests.exceptions.SSLError):
        return StopSync(f"{system}: TLS verification failed ({exc.__class__.__name__}); "
                        "check the connection's ca_bundle")
    return RetryLater(f"{system} unreachable: {exc.__class__.__name__}")
