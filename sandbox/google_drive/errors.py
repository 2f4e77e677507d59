"""Drive v3 error bodies: ``{error: {code, message, errors: [{domain, reason, message}]}}``."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE"}
DEFAULT_REASONS = {400: ("global", "badRequest", "Bad Request"),
                   401: ("global", "authError", "Invalid Credentials"),
                   403: ("usageLimits", "userRateLimitExceeded", "User rate limit exceeded."),
                   404: ("global", "notFound", "File not found."),
                   429: ("usageLimits", "rateLimitExceeded", "Rate limit exceeded."),
                   500: ("global", "backendError", "Backend Error"),
                   503: ("global", "backendError", "Backend Error")}


class DriveError(Exception):
    """An API answer other than success, raised anywhere in a handler."""

    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global",
                 location: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.domain = code, reason, message, domain
        self.location = location
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason,
                                "message": self.message}
        if self.location:
            item.update(location=self.location, locationType="parameter")
        return {"error": {"code": self.code, "message": self.message, "errors": [item],
                          "status": STATUS_NAMES.get(self.code, "UNKNOWN")}}


def error_body(code: int) -> dict[str, Any]:
    """The vendor-shaped body of a fault answer without an explicit one."""
    domain, reason, message = DEFAULT_REASONS.get(code, ("global", "unknown", "Error"))
    return DriveError(code, reason, message, domain=domain).body()


def invalid(message: str, location: str) -> DriveError:
    return DriveError(400, "invalid", message, location=location)


def not_found(file_id: str) -> DriveError:
    return DriveError(404, "notFound", f"File not found: {file_id}.", location="fileId")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json; charset=UTF-8")
