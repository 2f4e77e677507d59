"""Salesforce error shapes.

Top-level errors (the whole request failed) are a JSON list
``[{"message", "errorCode", "fields"?}]`` with an HTTP status; per-record
errors inside sObject Collections results use ``statusCode`` instead:
``{"statusCode", "message", "fields"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_FOUND_MESSAGE = "The requested resource does not exist"
SESSION_MESSAGE = "Session expired or invalid"
LIMIT_MESSAGE = "TotalRequests Limit exceeded."
ROLLED_BACK_MESSAGE = (
    "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header"
)


@dataclass
class RecordError:
    """One error about one record (``statusCode`` form)."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def as_record_error(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}

    def as_top_level(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.status_code, "fields": self.fields}


class ApiError(Exception):
    """An error that answers the whole request: status + ``[{message, errorCode}]``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.headers = dict(headers or {})
        self.items = items

    def body(self) -> list[dict[str, Any]]:
        """``[{"message", "errorCode", "fields"?}, ...]``."""
        if self.items is not None:
            return self.items
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    @classmethod
    def from_record_errors(cls, errors: list[RecordError], status: int = 400) -> ApiError:
        """A top-level error listing every one of ``errors``."""
        first = errors[0]
        return cls(status, first.status_code, first.message, first.fields,
                   items=[e.as_top_level() for e in errors])


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def invalid_session() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", SESSION_MESSAGE)


def limit_exceeded() -> ApiError:
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_MESSAGE)


def default_fault_body(status: int) -> list[dict[str, Any]]:
    """The body Salesforce sends with ``status`` when nothing more specific is known."""
    bodies = {
        400: ("Bad request", "INVALID_INPUT"),
        401: (SESSION_MESSAGE, "INVALID_SESSION_ID"),
        403: (LIMIT_MESSAGE, "REQUEST_LIMIT_EXCEEDED"),
        404: (NOT_FOUND_MESSAGE, "NOT_FOUND"),
        429: ("ConcurrentPerOrgLongTxn Limit exceeded.", "REQUEST_LIMIT_EXCEEDED"),
        500: ("An unexpected error occurred. Please include this ErrorId if you contact "
              "support: 1234567890-12345 (-1234567890)", "UNKNOWN_EXCEPTION"),
        502: ("Bad gateway", "SERVER_UNAVAILABLE"),
        503: ("Server is temporarily unavailable. Try again later.", "SERVER_UNAVAILABLE"),
        504: ("Gateway timeout", "SERVER_UNAVAILABLE"),
    }
    message, code = bodies.get(status, ("Unexpected error", "UNKNOWN_EXCEPTION"))
    return [{"message": message, "errorCode": code}]
