"""Salesforce answers -> the connector error taxonomy, and per-record errors -> ``RecordError``.

Whole-call failures (``[{message, errorCode, fields}]`` with a status)::

    429, 503 (+ Retry-After)              RateLimited     (raised by the session hook)
    other 5xx, timeouts, lost connection  RetryLater
    malformed JSON in a 2xx answer        RetryLater      (a proxy or gateway hiccup)
    400 INVALID_QUERY_LOCATOR             RetryLater      (the read restarts from its cursor)
    400 other                             Refused         (a SkipRecord: the write layer
                                                           turns it into per-record errors)
    401 INVALID_SESSION_ID                refreshed once by the client, then StopSync
    403 REQUEST_LIMIT_EXCEEDED            StopSync        (the org's daily budget is spent)
    403 other                             StopSync        (permissions)
    404                                   ConfigError     (unknown object or resource)
    TLS verification failure              StopSync        (check ca_bundle)

Messages carry Salesforce's error code and message, never a request body,
header or token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.base import (
    ConfigError,
    ConnectorError,
    RecordError,
    RetryLater,
    SkipRecord,
    StopSync,
)
from connectors.http import error_for, transport_error

SYSTEM = "salesforce"
LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
_ID_LIST = re.compile(r"\[([A-Za-z0-9,\s]+)\]")
RETRYABLE_RECORD_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE",
                                    "REQUEST_RUNNING_TOO_LONG"})


class Refused(SkipRecord):
    """A 400: Salesforce refused the request as written (the code says why)."""

    def __init__(self, user_message: str, *, code: str, message: str,
                 fields: tuple[str, ...] = ()) -> None:
        super().__init__(user_message)
        self.code, self.message, self.fields = code, message, fields


def first_error(content: Any) -> tuple[str, str, tuple[str, ...]]:
    """(errorCode, message, fields) of a top-level error body (a list, or anything)."""
    item = content[0] if isinstance(content, list) and content else content
    if isinstance(item, Mapping):
        code = str(item.get("errorCode") or item.get("error") or "UNKNOWN")
        message = _last_line(str(item.get("message") or item.get("error_description") or ""))
        fields = tuple(str(f) for f in item.get("fields") or ())
        return code, message, fields
    text = str(content or "").strip().splitlines()
    return "UNKNOWN", (text[0][:200] if text else ""), ()


def _last_line(message: str) -> str:
    """SOQL errors quote the query with a caret on lines above the reason: keep the reason."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def parse_limit_info(value: str | None) -> tuple[int, int] | None:
    """``api-usage=18/15000`` -> (18, 15000)."""
    match = LIMIT_INFO.search(value or "")
    return (int(match[1]), int(match[2])) if match else None


def status_error(response: requests.Response) -> ConnectorError | None:
    """The error for a throttled or failed answer (429, 5xx), before the library sees it."""
    status = response.status_code
    if status != 429 and status < 500:
        return None
    try:
        code, message, _ = first_error(response.json())
    except ValueError:
        code, message = "UNKNOWN", ""
    return error_for(status, f"{code}: {message}".rstrip(": "), headers=response.headers,
                     system=SYSTEM)


def translate(exc: SalesforceError | requests.RequestException | ConnectorError,
              what: str) -> ConnectorError:
    """The connector error for a failure while doing ``what``."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return RetryLater(f"{SYSTEM}: the answer to {what} was not valid JSON",
                          detail=f"{SYSTEM} {what}: {exc}")
    if isinstance(exc, requests.RequestException):
        return transport_error(exc, SYSTEM)
    code, message, fields = first_error(exc.content)
    said = f"{code}: {message}" if message else code
    if isinstance(exc, SalesforceExpiredSession):
        return StopSync(f"{SYSTEM}: the access token was refused ({said}) even after a "
                        "fresh login; check the connected app's session policy and the "
                        "integration user")
    if isinstance(exc, SalesforceRefusedRequest):
        if code == "REQUEST_LIMIT_EXCEEDED":
            return StopSync(f"{SYSTEM}: the org's daily API request limit is used up "
                            f"(REQUEST_LIMIT_EXCEEDED); syncing resumes when the rolling "
                            f"24-hour budget frees up")
        return StopSync(f"{SYSTEM}: {what} was refused ({said}); check the integration "
                        "user's permissions")
    if isinstance(exc, SalesforceResourceNotFound):
        return ConfigError(f"{SYSTEM}: {what}: not found ({said})")
    if isinstance(exc, SalesforceMalformedRequest):
        if code == "INVALID_QUERY_LOCATOR":
            return RetryLater(f"{SYSTEM}: the query locator expired during {what}; "
                              "reading again from the last cursor")
        return Refused(f"{SYSTEM}: {what} was refused ({said})", code=code, message=message,
                       fields=fields)
    return RetryLater(f"{SYSTEM}: {what} failed with HTTP {exc.status} ({said})")


def record_error(errors: Any) -> RecordError:
    """A ``RecordError`` from one collections result's ``errors`` list."""
    items = [e for e in errors or () if isinstance(e, Mapping)] or [{}]
    first = items[0]
    code = str(first.get("statusCode") or "UNKNOWN")
    message = "; ".join(str(e.get("message") or e.get("statusCode") or "") for e in items)
    fields = tuple(dict.fromkeys(str(f) for e in items for f in e.get("fields") or ()))
    if code in ("DUPLICATE_EXTERNAL_ID", "MULTIPLE_CHOICES"):
        return RecordError("MULTIPLE_MATCHES", message or "several records match the key",
                           fields, candidates=candidate_ids(message))
    return RecordError(code, message or code, fields,
                       retryable=code in RETRYABLE_RECORD_CODES)


def candidate_ids(message: str) -> tuple[str, ...]:
    """The record ids Salesforce lists in a multiple-match message ``[a, b]``."""
    match = _ID_LIST.search(message or "")
    if not match:
        return ()
    return tuple(i.strip() for i in match[1].split(",") if i.strip())
