"""The pure value conversions behind the mapping transforms.

Every function here takes a value and the transform's (frozen) arguments and
returns a new value; none mutates its input or keeps state. A value that
cannot be converted raises ``TransformError`` with a message for people; the
caller adds the field name (``FieldValueError``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

ISO_DATE = "%Y-%m-%d"


class TransformError(ValueError):
    """A value this transform cannot convert."""


# enum ---------------------------------------------------------------------

def _allowed(values: Any) -> str:
    return ", ".join(repr(v) for v in values if v is not None)


def enum_to_remote(value: Any, args: Mapping[str, Any]) -> Any:
    table = args["map"]
    if isinstance(value, str) and value in table:
        return table[value]
    if "default_out" in args:
        return args["default_out"]
    raise TransformError(f"unknown value {value!r} (allowed: {_allowed(table)})")


def enum_inverse(args: Mapping[str, Any]) -> dict[Any, str | None]:
    """Remote value -> local value: ``map_in`` first, then the inverted ``map``."""
    inverse: dict[Any, str | None] = {}
    for local, remote in args["map"].items():
        if remote is not None:
            inverse.setdefault(enum_key(remote), local)
    for remote, local in (args.get("map_in") or {}).items():
        inverse[enum_key(remote)] = local
    return inverse


def enum_key(value: Any) -> Any:
    # YAML keys of map_in are always text; compare option-set numbers as text too.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def enum_to_local(value: Any, args: Mapping[str, Any]) -> Any:
    inverse = enum_inverse(args)
    key = enum_key(value)
    if isinstance(key, str | int) and key in inverse:
        return inverse[key]
    if "default_in" in args:
        return args["default_in"]
    raise TransformError(f"unknown value {value!r} (allowed: {_allowed(args['map'].values())})")


# date and datetime ----------------------------------------------------------

def date_to_remote(value: Any, args: Mapping[str, Any]) -> str:
    fmt = args.get("format") or ISO_DATE
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise TransformError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TransformError("expected a date")
    return value.strftime(fmt)


def date_to_local(value: Any, args: Mapping[str, Any]) -> date:
    fmt = args.get("format") or ISO_DATE
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise TransformError(f"expected a date written as {fmt}")
    try:
        return datetime.strptime(value.strip(), fmt).date()
    except ValueError:
        raise TransformError(f"{value!r} does not match the date format {fmt}") from None


def datetime_to_remote(value: Any, args: Mapping[str, Any]) -> str:
    """Aware UTC (a naive value is taken as UTC) -> wall time in ``timezone``."""
    zone = ZoneInfo(args.get("timezone") or "UTC")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise TransformError(f"{value!r} is not an ISO date-time") from None
    if not isinstance(value, datetime):
        raise TransformError("expected a date-time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    wall = value.astimezone(zone)
    fmt = args.get("format")
    return wall.strftime(fmt) if fmt else wall.isoformat()


def datetime_to_local(value: Any, args: Mapping[str, Any]) -> datetime:
    """Remote text (wall time in ``timezone`` unless it carries an offset) -> aware UTC."""
    zone = ZoneInfo(args.get("timezone") or "UTC")
    fmt = args.get("format")
    if isinstance(value, str):
        try:
            parsed = datetime.strptime(value.strip(), fmt) if fmt else \
                datetime.fromisoformat(value.strip())
        except ValueError:
            expected = f"the format {fmt}" if fmt else "ISO 8601"
            raise TransformError(f"{value!r} does not match {expected}") from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise TransformError("expected a date-time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


# numbers --------------------------------------------------------------------

def to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TransformError("expected a number")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise TransformError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise TransformError(f"{value!r} is not a finite number")
    return number


def _rounded(number: Decimal, decimals: int | None) -> Decimal:
    if decimals is None:
        return number
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _plain(number: Decimal, whole: bool) -> int | float:
    return int(number) if whole and number == number.to_integral_value() else float(number)


def number_to_remote(value: Any, args: Mapping[str, Any]) -> int | float:
    scale = to_decimal(args.get("scale", 1))
    decimals = args.get("decimals")
    result = _rounded(to_decimal(value) * scale, decimals)
    whole = decimals == 0 or (decimals is None and isinstance(value, int)
                              and scale == scale.to_integral_value())
    return _plain(result, whole)


def number_to_local(value: Any, args: Mapping[str, Any]) -> int | float:
    scale = to_decimal(args.get("scale", 1))
    result = to_decimal(value) / scale
    return _plain(result, isinstance(value, int) and scale == 1)


def currency_convert(value: Any, args: Mapping[str, Any]) -> Decimal:
    return _rounded(to_decimal(value), args.get("decimals", 2))


# text -------------------------------------------------------------------------

_CASES = {"upper": str.upper, "lower": str.lower, "title": str.title}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise TransformError("expected text")


def _normalise(value: Any, args: Mapping[str, Any]) -> str:
    text = _as_text(value)
    if args.get("trim"):
        text = text.strip()
    case = args.get("case")
    return _CASES[case](text) if case else text


def string_to_remote(value: Any, args: Mapping[str, Any]) -> str:
    text = _normalise(value, args)
    limit = args.get("truncate")
    return text[:limit] if limit is not None else text


def string_to_local(value: Any, args: Mapping[str, Any]) -> str:
    return _normalise(value, args)


# booleans -------------------------------------------------------------------

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})


def boolean_to_remote(value: Any, args: Mapping[str, Any]) -> Any:
    if not isinstance(value, bool):
        raise TransformError("expected true or false")
    if args and "true" in args:
        return args["true"] if value else args["false"]
    return value


def boolean_to_local(value: Any, args: Mapping[str, Any]) -> bool:
    if isinstance(value, bool):
        return value
    if args and "true" in args:
        text = str(value).strip().casefold()
        if text == args["true"].casefold():
            return True
        if text == args["false"].casefold():
            return False
        raise TransformError(f"expected {args['true']!r} or {args['false']!r}")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
        return value.strip().casefold() in _TRUE
    raise TransformError("expected true or false")


# templates ------------------------------------------------------------------

def template_parts(template: str) -> list[tuple[str, str | None, str, str | None]]:
    """``string.Formatter().parse`` of the template; raises ``ValueError`` if malformed."""
    return list(string.Formatter().parse(template))


def template_render(template: str, record: Mapping[str, Any]) -> str:
    """Fill ``{name}``/``{name:spec}``/``{name!r}`` from local values; ``None`` is blank.

    Only plain names reach here (the loader refuses attribute access and
    indexing), so rendering never touches anything but the values given.
    """
    out: list[str] = []
    for literal, name, spec, conversion in template_parts(template):
        out.append(literal)
        if name is None:
            continue
        value = record.get(name)
        if value is None:
            continue
        if conversion == "r":
            value = repr(value)
        elif conversion in ("s", "a"):
            value = str(value) if conversion == "s" else ascii(value)
        try:
            out.append(format(value, spec or ""))
        except (ValueError, TypeError):
            raise TransformError(f"cannot format {name}={value!r} with ':{spec}'") from None
    return "".join(out)
