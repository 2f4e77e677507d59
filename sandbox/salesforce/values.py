"""Converting field values between JSON and Python, Salesforce style.

Stored values are typed: ``str``, ``bool``, ``int``, ``float``,
``datetime.date`` and timezone-aware UTC ``datetime.datetime`` (millisecond
precision), or ``None``. On the wire dates are ``YYYY-MM-DD`` and datetimes
``2026-01-05T09:00:00.000+0000``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sandbox.salesforce import ids

TEXT_TYPES = {"string", "textarea", "picklist", "id", "reference", "email", "phone", "url"}
NUMBER_TYPES = {"int", "double", "currency", "percent"}

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})$"
)


class ValueTypeError(ValueError):
    """A JSON value that cannot be read as the field's type."""


def format_datetime(value: datetime) -> str:
    """``2026-01-05T09:00:00.000+0000`` (UTC, milliseconds)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def truncate_ms(value: datetime) -> datetime:
    """The instant in UTC with sub-millisecond digits dropped."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def parse_date(text: str) -> date | None:
    match = _DATE_RE.match(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 instant with an explicit zone (``Z`` or an offset), or None."""
    match = _DATETIME_RE.match(text)
    if not match:
        return None
    fraction = (match[7] or "0")[:6].ljust(6, "0")
    zone = match[8]
    if zone == "Z":
        tz = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        parsed = datetime(
            int(match[1]), int(match[2]), int(match[3]),
            int(match[4]), int(match[5]), int(match[6]), int(fraction), tzinfo=tz,
        )
    except ValueError:
        return None
    return truncate_ms(parsed)


def _token_name(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    return "VALUE_NULL"


def _fail(kind: str, value: Any) -> ValueTypeError:
    shown = value if not isinstance(value, (dict, list)) else ""
    return ValueTypeError(
        f"Cannot deserialize instance of {kind} from {_token_name(value)} value {shown} "
        "or request may be missing a required field"
    )


def from_json(field_type: str, value: Any) -> Any:
    """Read a JSON value written to a field of ``field_type``.

    Raises ``ValueTypeError`` (the API answers ``JSON_PARSER_ERROR``) when the
    value cannot be read as that type. Scalars are accepted for text fields
    (numbers and booleans become their text), as the Salesforce parser does.
    """
    if value is None:
        return None
    if field_type in TEXT_TYPES:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise _fail("string", value)
    if field_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _fail("boolean", value)
    if field_type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise _fail("int", value)
    if field_type in NUMBER_TYPES:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise _fail("double", value)
    if field_type == "date":
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None and isinstance(value, str):
            instant = parse_datetime(value)
            parsed = instant.date() if instant else None
        if parsed is None:
            raise _fail("date", value)
        return parsed
    if field_type == "datetime":
        instant = parse_datetime(value) if isinstance(value, str) else None
        if instant is None:
            raise _fail("datetime", value)
        return instant
    raise _fail(field_type, value)


def to_json(value: Any) -> Any:
    """The wire form of a stored value."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def normalize_id(value: Any) -> Any:
    """Valid ids become their 18-character form; anything else is unchanged."""
    if isinstance(value, str) and ids.is_valid(value):
        return ids.to18(value)
    return value
