"""Graph error bodies: ``{"error": {"code", "message", "innerError": {date, request-id,
client-request-id}}}`` with the status each code comes with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def body(self, now: datetime | None = None) -> dict[str, Any]:
        return error_body(self.code, self.message, now)


def error_body(code: str, message: str, now: datetime | None = None) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {"error": {"code": code, "message": message, "innerError": {
        "date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id, "client-request-id": request_id}}}


def fault_body(status: int) -> dict[str, Any]:
    """Vendor-shaped bodies for injected faults (throttling, outages)."""
    if status == 429:
        return error_body("TooManyRequests", "Too many requests; retry after the time "
                          "given in the Retry-After header.")
    if status == 503:
        return error_body("serviceNotAvailable", "The service is temporarily unavailable.")
    if status == 401:
        return error_body("InvalidAuthenticationToken", "Access token has expired or is "
                          "not yet valid.")
    return error_body("generalException", "An unspecified error has occurred.")


def item_not_found() -> GraphError:
    return GraphError(404, "itemNotFound", "The resource could not be found.")


def name_exists() -> GraphError:
    return GraphError(409, "nameAlreadyExists", "The specified item name already exists.")


def invalid(message: str) -> GraphError:
    return GraphError(400, "invalidRequest", message)
