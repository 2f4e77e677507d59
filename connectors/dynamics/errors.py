"""Dataverse answers -> the connector error taxonomy.

Whole-call failures (``{"error": {"code", "message"}}`` with a status)::

    429, 503 (+ Retry-After)              RateLimited     (service protection, busy)
    other 5xx, timeouts, lost connection  RetryLater
    401                                   refreshed once by the client, then StopSync
    403                                   StopSync        (the application user's roles)
    404                                   Refused(status=404)  (the caller decides: a
                                                          write's row deleted, a table unknown)
    400, 412, other 4xx                   Refused         (a SkipRecord: writes turn it into
                                                          a per-record RecordError)
    TLS verification failure              StopSync        (check ca_bundle)

Messages carry Dataverse's code and message, never a header, body or token.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.base import ConnectorError, RetryLater, SkipRecord, StopSync
from connectors.http import error_for

SYSTEM = "dynamics"


class Refused(SkipRecord):
    """A 4xx: Dataverse refused the request as written (``code`` says why)."""

    def __init__(self, user_message: str, *, status: int, code: str, message: str) -> None:
        super().__init__(user_message)
        self.status, self.code, self.message = status, code, message


def error_body(response: requests.Response) -> tuple[str, str]:
    """(code, message) of an error answer, whatever its shape."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or "UNKNOWN"), str(error.get("message") or "")
    text = (response.text or "").strip().splitlines()
    return "UNKNOWN", text[0][:200] if text else f"HTTP {response.status_code}"


def failure(response: requests.Response, what: str) -> ConnectorError:
    """The error for a non-2xx answer to ``what``."""
    status = response.status_code
    code, message = error_body(response)
    said = f"{code}: {message}" if message else code
    if status in (429, 503) or status >= 500:
        return error_for(status, f"{what}: {said}", headers=response.headers, system=SYSTEM)
    if status == 401:
        return StopSync(f"{SYSTEM}: {what} was refused (401) even with a fresh token; check "
                        "that the app registration is an application user in the "
                        "environment")
    if status == 403:
        return StopSync(f"{SYSTEM}: {what} was refused ({said}); check the application "
                        "user's security roles")
    return Refused(f"{SYSTEM}: {what} was refused ({said})", status=status, code=code,
                   message=message)


def not_json(what: str) -> RetryLater:
    return RetryLater(f"{SYSTEM}: the answer to {what} was not the JSON Dataverse sends")
