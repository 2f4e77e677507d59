"""Small HTTP and time helpers shared by the Jira emulator's resources.

Promises:
- ``jira_time(dt)`` writes an instant the way Jira's REST API does:
  ``2026-03-02T09:15:30.000+0000`` (milliseconds, UTC, ``+HHMM`` offset);
- ``parse_jira_time(text)`` reads that form and the ISO 8601 variants clients
  send (``Z``, ``+00:00``, no milliseconds) into an aware UTC datetime;
- ``to_ms(dt)`` truncates an aware datetime to Jira's millisecond precision;
- ``read_json(request)`` is the body as JSON or a 400 in Jira's error shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.jira.errors import INVALID_PAYLOAD, JiraError

JSON_TYPE = "application/json;charset=UTF-8"
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})$"
)


@dataclass
class Reply:
    """What a resource answers: status, JSON-able body (None: no body), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE, headers=headers)


def read_json(request: Request) -> Any:
    """The request body as JSON (``{}`` when empty); 400 when it is not JSON."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise JiraError(400, [INVALID_PAYLOAD]) from exc


def to_ms(dt: datetime) -> datetime:
    """Aware UTC, truncated to whole milliseconds (what Jira stores)."""
    if dt.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    dt = dt.astimezone(UTC)
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def jira_time(dt: datetime | None) -> str | None:
    """``2026-03-02T09:15:30.000+0000``; None stays None."""
    if dt is None:
        return None
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_jira_time(text: str) -> datetime:
    """Read Jira's timestamp form (or an ISO 8601 variant with an offset) as aware UTC.

    Raises ``ValueError`` for anything else, including timestamps without an offset."""
    match = _ISO.match(text.strip())
    if match is None:
        raise ValueError(f"not a Jira timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0").ljust(6, "0"))
    if zone == "Z":
        offset = "+0000"
    else:
        offset = zone.replace(":", "")
    base = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                    micro)
    parsed = datetime.strptime(base.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset,
                               "%Y-%m-%dT%H:%M:%S.%f%z")
    return parsed.astimezone(UTC)
