"""The allow-list of mapping transforms.

A transform is named in YAML (``transform: {date: {format: "%d/%m/%Y"}}``)
and looked up here; nothing else can run. Each entry is a pair of pure
functions, ``to_remote`` and ``to_local`` (``None`` for outbound-only
transforms such as ``constant`` and ``template``), plus what it needs to be
checked at load time: an argument check and the field types it fits.

``lookup`` is the only transform that reads outside its arguments: it asks a
``MappingContext`` for the sync links of another entity on the same
connection.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, available_timezones

from core.mapping import conversions as cv
from core.mapping.conversions import TransformError

__all__ = ["MappingContext", "TRANSFORMS", "TransformKind", "TransformError", "ArgProblem"]


class MappingContext(Protocol):
    """What a ``lookup`` transform asks of the engine: the sync links of an entity."""

    def remote_id_for(self, entity: str, local_id: str) -> str | None:
        """The remote id linked to the store's ``local_id``, or ``None`` if not linked."""

    def local_id_for(self, entity: str, remote_id: str) -> str | None:
        """The store id linked to ``remote_id``, or ``None`` if not linked."""

    def find_local(self, entity: str, field: str, value: str) -> list[str]:
        """Store ids of the ``entity`` rows whose ``field`` equals ``value`` (any case)."""

    def value_of(self, entity: str, local_id: str, field: str) -> str | None:
        """The ``field`` of one ``entity`` row."""


ArgProblem = tuple[tuple[str | int, ...], str, str]
"""(path below the transform's name, what is wrong, what would be right)."""

Convert = Callable[[Any, Any, Mapping[str, Any], "MappingContext | None"], Any]

TEXT = frozenset({"string", "text"})
NUMERIC = frozenset({"integer", "number"})


@dataclass(frozen=True)
class TransformKind:
    """One allow-listed transform.

    ``local_types`` are the local field types it reads (empty for a source
    such as ``constant``, which has no local side); ``remote_types`` the
    remote ``FieldSpec.type`` values it can write or read.
    """

    name: str
    to_remote: Convert
    to_local: Convert | None
    local_types: frozenset[str]
    remote_types: frozenset[str]
    check: Callable[[Any], list[ArgProblem]] = lambda args: []

    @property
    def out_only(self) -> bool:
        return self.to_local is None

    @property
    def is_source(self) -> bool:
        """Makes a value from nothing (or the whole record): must come first in a chain."""
        return not self.local_types


def _plain(fn: Callable[[Any, Any], Any]) -> Convert:
    """Adapt a ``(value, args)`` conversion to the registry's call shape."""
    return lambda value, args, record, ctx: fn(value, args or {})


# argument checks -------------------------------------------------------------

def _check_date_format(args: Any) -> list[ArgProblem]:
    fmt = (args or {}).get("format")
    sample = date(2001, 2, 3)
    if fmt is None:
        return []
    try:
        ok = datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except ValueError:
        ok = False
    if ok:
        return []
    return [(("format",), f"format {fmt!r} cannot write and read back a full date",
             "use strftime codes for day, month and year, e.g. %Y-%m-%d")]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_datetime(args: Any) -> list[ArgProblem]:
    args = args or {}
    problems: list[ArgProblem] = []
    zone = args.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ValueError, KeyError, OSError):
            close = difflib.get_close_matches(zone, sorted(_zones()), n=1)
            hint = f"did you mean {close[0]!r}?" if close else \
                "use an IANA time zone name such as Europe/Paris or UTC"
            problems.append((("timezone",), f"unknown time zone {zone!r}", hint))
    fmt = args.get("format")
    if fmt is not None:
        sample = datetime(2001, 2, 3, 4, 5, 6)
        try:
            ok = datetime.strptime(sample.strftime(fmt), fmt).replace(tzinfo=None) == sample
        except ValueError:
            ok = False
        if not ok:
            problems.append((("format",), f"format {fmt!r} cannot write and read back a "
                             "date-time to the second", "e.g. %Y-%m-%dT%H:%M:%S"))
    return problems


def _check_number(args: Any) -> list[ArgProblem]:
    scale = (args or {}).get("scale", 1)
    if scale == 0 or not math.isfinite(scale):
        return [(("scale",), f"scale must be a non-zero number, not {scale}",
                 "e.g. scale: 100 for percent")]
    return []


def _check_enum(args: Any) -> list[ArgProblem]:
    """Inbound needs one local answer per remote value."""
    explicit = {cv.enum_key(k) for k in (args.get("map_in") or {})}
    seen: dict[Any, str] = {}
    problems: list[ArgProblem] = []
    for local, remote in args["map"].items():
        key = cv.enum_key(remote)
        if remote is None or key in explicit:
            continue
        if key in seen:
            problems.append((("map", local), f"remote value {remote!r} is mapped from both "
                             f"{seen[key]!r} and {local!r}, so inbound is ambiguous",
                             f"add map_in: {{{remote}: {seen[key]}}} to say which one"))
        seen.setdefault(key, local)
    return problems


def template_names(template: str) -> tuple[str, ...]:
    """The local field names a (well-formed) template reads, in order."""
    return tuple(name for _, name, _, _ in cv.template_parts(template) if name)


def _check_template(template: Any) -> list[ArgProblem]:
    try:
        parts = cv.template_parts(template)
    except ValueError as exc:
        return [((), f"malformed template: {exc}", "write {field} around each field name; "
                 "double the braces, {{ and }}, for a literal brace")]
    problems: list[ArgProblem] = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            shown = "{" + name + "}"
            why = "attribute access and indexing are not allowed" if \
                any(c in name for c in ".[") else "only field names are allowed"
            problems.append(((), f"{shown}: {why}", "use a plain local field name, e.g. {number}"))
        if spec and "{" in spec:
            problems.append(((), f"nested field in format spec of {{{name}}}",
                             "use a literal format spec such as {value:.2f}"))
        if conversion not in (None, "s", "r"):
            problems.append(((), f"conversion !{conversion} is not allowed", "use !s or !r"))
    return problems


# the registry ------------------------------------------------------------------

def _lookup_to_remote(value: Any, args: Any, record: Mapping[str, Any],
                      ctx: MappingContext | None) -> str:
    entity = args["entity"]
    if ctx is None:
        raise TransformError("lookup needs a mapping context (sync links)")
    remote_id = ctx.remote_id_for(entity, str(value))
    if remote_id is None:
        raise TransformError(f"{entity} {value!r} has no linked record on this connection yet")
    return remote_id


def _lookup_to_local(value: Any, args: Any, record: Mapping[str, Any],
                     ctx: MappingContext | None) -> str:
    entity = args["entity"]
    if ctx is None:
        raise TransformError("lookup needs a mapping context (sync links)")
    local_id = ctx.local_id_for(entity, str(value))
    if local_id is None:
        raise TransformError(f"remote record {value!r} is not linked to any local {entity}")
    return local_id


def _find_to_local(value: Any, args: Any, record: Mapping[str, Any],
                   ctx: MappingContext | None) -> str | None:
    """A remote value that names a local row (a domain, a name): its store id.

    No match gives ``None`` -- the record is kept without the reference and
    flagged, never guessed; several matches are an error naming them.
    """
    if ctx is None:
        raise TransformError("find needs a mapping context (the store)")
    ids = ctx.find_local(args["entity"], args["by"], str(value))
    if len(ids) > 1:
        raise TransformError(f"{len(ids)} {args['entity']}s have {args['by']} {value!r} "
                             f"(ids {', '.join(ids)}): refusing to guess")
    return ids[0] if ids else None


def _find_to_remote(value: Any, args: Any, record: Mapping[str, Any],
                    ctx: MappingContext | None) -> str | None:
    if ctx is None:
        raise TransformError("find needs a mapping context (the store)")
    return ctx.value_of(args["entity"], str(value), args["by"])


_ANY_REMOTE = frozenset({"string", "text", "integer", "number", "boolean", "date",
                         "datetime", "reference", "enum", "id"})

TRANSFORMS: Mapping[str, TransformKind] = {kind.name: kind for kind in (
    TransformKind("enum", _plain(cv.enum_to_remote), _plain(cv.enum_to_local),
                  TEXT, TEXT | {"enum", "integer"}, _check_enum),
    TransformKind("date", _plain(cv.date_to_remote), _plain(cv.date_to_local),
                  TEXT | {"date"}, TEXT | {"date"}, _check_date_format),
    TransformKind("datetime", _plain(cv.datetime_to_remote), _plain(cv.datetime_to_local),
                  TEXT | {"datetime"}, TEXT | {"datetime"}, _check_datetime),
    TransformKind("number", _plain(cv.number_to_remote), _plain(cv.number_to_local),
                  NUMERIC, NUMERIC | TEXT, _check_number),
    TransformKind("currency", _plain(cv.currency_convert), _plain(cv.currency_convert),
                  NUMERIC, NUMERIC | TEXT),
    TransformKind("string", _plain(cv.string_to_remote), _plain(cv.string_to_local),
                  TEXT, TEXT | {"enum", "id"}),
    TransformKind("boolean", _plain(cv.boolean_to_remote), _plain(cv.boolean_to_local),
                  frozenset({"boolean"}), TEXT | {"boolean", "enum"}),
    TransformKind("lookup", _lookup_to_remote, _lookup_to_local,
                  frozenset({"reference"}), frozenset({"reference", "id"})),
    TransformKind("find", _find_to_remote, _find_to_local,
                  frozenset({"reference"}), TEXT | {"enum", "id"}),
    TransformKind("constant", lambda value, args, record, ctx: args, None,
                  frozenset(), _ANY_REMOTE),
    TransformKind("template", lambda value, args, record, ctx: cv.template_render(args, record),
                  None, frozenset(), TEXT, _check_template),
)}
"""Every transform a mapping may name, by name."""

TYPE_HINTS = {
    "boolean": "use {boolean: {}} for true/false fields",
    "date": "use {date: {format: ...}} for date fields",
    "datetime": "use {datetime: {timezone: ...}} for date-time fields",
    "integer": "use {number: {...}} for numeric fields",
    "number": "use {number: {...}} or {currency: {}} for numeric fields",
    "reference": "use {lookup: {entity: ...}} for references to other records",
}
"""What to suggest when a transform does not fit a field of this type."""
