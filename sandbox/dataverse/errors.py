"""Dataverse Web API error answers: ``{"error": {"code": "0x...", "message": "..."}}``.

Codes used (the hex codes Dataverse puts in ``error.code``):

    0x80060888  OData syntax / unknown property ($filter, $select, payload)
    0x80040217  row not found ("account With Id = ... Does Not Exist")
    0x80060882  If-Match etag does not match the row version (412)
    0x80040237  a row with that key already exists (If-None-Match: * -> 412)
    0x80044331  validation (length, option value)
    0x80072322  service protection: number of requests in the window (429)
    0x80072491  emulator: refused or expired change-tracking token; Dataverse
                documents the 30-day expiry (ExpireChangeTrackingInDays), not this code
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

SYNTAX = "0x80060888"
NOT_FOUND = "0x80040217"
ETAG_MISMATCH = "0x80060882"
DUPLICATE = "0x80040237"
VALIDATION = "0x80044331"
THROTTLED = "0x80072322"
BAD_TOKEN = "0x80072491"


class DataverseError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def not_found(table: str, row_id: str) -> DataverseError:
    return DataverseError(404, NOT_FOUND, f"{table} With Id = {row_id} Does Not Exist")


def unknown_property(name: str, type_name: str) -> DataverseError:
    return DataverseError(400, SYNTAX, f"Could not find a property named '{name}' on type "
                                       f"'{type_name}'.")


def no_resource(path: str) -> DataverseError:
    return DataverseError(404, SYNTAX, f"Resource not found for the segment '{path}'.")


def default_fault_body(status: int) -> dict[str, Any]:
    """The body of an injected fault, in Dataverse's shape."""
    if status == 429:
        return DataverseError(429, THROTTLED, "Number of requests exceeded the limit of 6000 "
                                              "over time window of 300 seconds.").body()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": {"code": "0x80040216" if status >= 500 else SYNTAX,
                      "message": f"{phrase} (injected by the sandbox)"}}
