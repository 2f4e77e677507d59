"""From a Drive failure to what happens next (the taxonomy of ``connectors.base``).

    429; 403 userRateLimitExceeded/rateLimitExceeded   RateLimited(Retry-After)
    500, 502, 503, 504, timeouts, resets               RetryLater
    401 (after google-auth's own refresh), 403 other   StopSync
    404                                                NotFound (the caller decides)
    400 and the rest                                   SkipRecord
    TLS verification failure                           StopSync (check ca_bundle)
    token refused (RefreshError)                       StopSync

The messages carry the status, Drive's reason and message: never a token,
never key material.
"""

from __future__ import annotations

import json
import ssl

from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError

from connectors.base import ConnectorError, RateLimited, RetryLater, SkipRecord, StopSync
from connectors.http import retry_after

RATE_REASONS = {"userRateLimitExceeded", "rateLimitExceeded"}
SYSTEM = "Google Drive"


class NotFound(SkipRecord):
    """The file (or folder) is not there (404)."""


def reason_of(exc: HttpError) -> tuple[str, str]:
    try:
        body = json.loads(exc.content.decode() if isinstance(exc.content, bytes)
                          else exc.content)
        error = body["error"]
        items = error.get("errors") or [{}]
        return str(items[0].get("reason", "")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return "", ""


def from_http_error(exc: HttpError, what: str) -> ConnectorError:
    status = int(exc.resp.status)
    reason, message = reason_of(exc)
    text = f"{SYSTEM} answered {status} {reason or ''} to {what}: {message}".replace("  ", " ")
    wait = retry_after({k.lower(): v for k, v in dict(exc.resp).items()})
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        return RateLimited(text, retry_after=wait)
    if status >= 500:
        return RateLimited(text, retry_after=wait) if wait is not None else RetryLater(text)
    if status in (401, 403):
        return StopSync(text)
    if status == 404:
        return NotFound(text)
    return SkipRecord(text)


def from_exception(exc: BaseException, what: str) -> ConnectorError:
    """Anything the transport or the auth library raised."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, HttpError):
        return from_http_error(exc, what)
    cause = exc.args[0] if isinstance(exc, auth_errors.TransportError) and exc.args else None
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError):
        return StopSync(f"{SYSTEM}: TLS verification failed during {what}; "
                        "check the connection's ca_bundle")
    if isinstance(exc, auth_errors.RefreshError):
        return StopSync(f"{SYSTEM}: the service account's token was refused during {what} "
                        "(check key_file and that the account is enabled)")
    if isinstance(exc, auth_errors.TransportError | OSError | ConnectionError):
        return RetryLater(f"{SYSTEM} unreachable during {what}: {exc.__class__.__name__}")
    raise exc
