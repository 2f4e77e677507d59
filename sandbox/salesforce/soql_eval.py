"""Binding a parsed SOQL query to the schema, and running it on rows.

``compile_query(text, lookup)`` parses, then checks names and literal types
the way Salesforce does: an unknown object is ``INVALID_TYPE``, an unknown
or unfilterable/unsortable field ``INVALID_FIELD``, a literal of the wrong
type ``INVALID_QUERY_FILTER_OPERATOR``, an OFFSET over 2,000
``NUMBER_OUTSIDE_VALID_RANGE``. ``CompiledQuery.run(rows, today)`` filters,
orders and slices typed rows:

- text compares case-insensitively (``=``, ``LIKE``, ordering); ids by
  their 15-character case-sensitive core, so 15 and 18 characters match;
- dates compare as dates and datetimes as instants, whatever the offset;
- ``!=`` and ``NOT IN`` keep rows whose value is null (SOQL semantics);
- ORDER BY puts nulls first when ascending and last when descending unless
  ``NULLS FIRST|LAST`` says otherwise; ties keep creation order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sandbox.salesforce import ids
from sandbox.salesforce.soql import (
    BoolOp,
    Compare,
    FieldRef,
    InList,
    Like,
    Literal,
    Not,
    Query,
    SoqlError,
    parse,
)

MAX_OFFSET = 2000
TEXT = {"string", "textarea", "picklist", "email", "phone", "url"}
IDS = {"id", "reference"}
NUMBERS = {"int", "double", "currency", "percent"}
_TYPE_WORD = {"date": "date", "datetime": "dateTime", "boolean": "boolean", "int": "integer"}


class FieldLike(Protocol):
    name: str
    type: str

    @property
    def filterable(self) -> bool: ...

    @property
    def sortable(self) -> bool: ...


class ObjectLike(Protocol):
    name: str

    def field(self, name: str) -> Any: ...


Lookup = Callable[[str], Any]
Row = dict[str, Any]


@dataclass
class CompiledQuery:
    """A checked query: canonical names, a row predicate and an ordering."""

    query: Query
    object_name: str
    fields: list[str]
    types: dict[str, str]
    canonical: dict[str, str]

    @property
    def count_only(self) -> bool:
        return self.query.count

    def run(self, rows: Sequence[Row], today: date) -> list[Row]:
        """Matching rows, ordered, after OFFSET and LIMIT."""
        where = self.query.where
        matched = [r for r in rows if where is None or self._test(where, r, today)]
        for item in reversed(self.query.order):
            name = self._name(item.field)
            nulls = [r for r in matched if r.get(name) is None]
            rest = [r for r in matched if r.get(name) is not None]
            rest.sort(key=lambda r, n=name: _sort_key(self.types[n], r[n]),
                      reverse=item.descending)
            nulls_first = item.nulls_first if item.nulls_first is not None \
                else not item.descending
            matched = nulls + rest if nulls_first else rest + nulls
        start = self.query.offset or 0
        end = None if self.query.limit is None else start + self.query.limit
        return matched[start:end]

    def _name(self, ref: FieldRef) -> str:
        return self.canonical[ref.name.lower()]

    def _test(self, cond: Any, row: Row, today: date) -> bool:
        if isinstance(cond, BoolOp):
            results = (self._test(part, row, today) for part in cond.parts)
            return all(results) if cond.op == "AND" else any(results)
        if isinstance(cond, Not):
            return not self._test(cond.inner, row, today)
        name = self._name(cond.field)
        ftype = self.types[name]
        value = row.get(name)
        if isinstance(cond, Like):
            return value is not None and re.fullmatch(
                cond.value.like or "", str(value), re.IGNORECASE | re.DOTALL) is not None
        if isinstance(cond, InList):
            hit = any(_compare(ftype, value, "=", lit, today) for lit in cond.items)
            return not hit if cond.negate else hit
        assert isinstance(cond, Compare)
        return _compare(ftype, value, cond.op, cond.value, today)


def _sort_key(ftype: str, value: Any) -> Any:
    if ftype in TEXT:
        return str(value).casefold()
    if ftype in IDS:
        return ids.core(value) if isinstance(value, str) and ids.is_valid(value) else value
    if ftype == "datetime":
        return value.astimezone(UTC)
    return value


def _date_range(keyword: tuple[str, int], today: date) -> tuple[date, date]:
    name, n = keyword
    one = timedelta(days=1)
    if name == "YESTERDAY":
        return today - one, today
    if name == "TOMORROW":
        return today + one, today + 2 * one
    if name == "LAST_N_DAYS":
        return today - n * one, today + one
    if name == "NEXT_N_DAYS":
        return today + one, today + (n + 1) * one
    return today, today + one


def _compare(ftype: str, value: Any, op: str, lit: Literal, today: date) -> bool:
    if lit.kind == "null":
        return (value is None) == (op == "=") if op in ("=", "!=") else False
    if value is None:
        return op == "!="
    if lit.kind == "date_range":
        day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
        low, high = _date_range(lit.value, today)
        inside = low <= day < high
        return {"=": inside, "!=": not inside, "<": day < low, "<=": day < high,
                ">": day >= high, ">=": day >= low}[op]
    left, right = _sort_key(ftype, value), _sort_key(ftype, lit.value)
    if ftype in NUMBERS:
        left, right = float(left), float(right)
    return {"=": left == right, "!=": left != right, "<": left < right,
            "<=": left <= right, ">": left > right, ">=": left >= right}[op]


# checking ------------------------------------------------------------------
def _type_error(ref: FieldRef, ftype: str, text: str, pos: int) -> SoqlError:
    if ftype in TEXT or ftype in IDS:
        detail = (f"value of filter criterion for field '{ref.name}' must be of type "
                  "string and should be enclosed in quotes")
    else:
        word = _TYPE_WORD.get(ftype, "double")
        detail = (f"value of filter criterion for field '{ref.name}' must be of type "
                  f"{word} and should not be enclosed in quotes")
    return SoqlError("INVALID_QUERY_FILTER_OPERATOR", detail, text, pos)


def _check_literal(ref: FieldRef, ftype: str, lit: Literal, text: str, op: str) -> None:
    if lit.kind == "null":
        return
    allowed = {
        "string": TEXT | IDS, "number": NUMBERS, "boolean": {"boolean"},
        "date": {"date"}, "datetime": {"datetime"}, "date_range": {"date", "datetime"},
    }[lit.kind]
    if ftype not in allowed:
        raise _type_error(ref, ftype, text, lit.pos)
    if ftype in IDS and not ids.is_valid(lit.value):
        raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {lit.value}",
                        text, lit.pos)
    if ftype == "boolean" and op not in ("=", "!="):
        raise SoqlError("INVALID_QUERY_FILTER_OPERATOR",
                        f"invalid operator on boolean field: {op}", text, lit.pos)


def compile_query(text: str, lookup: Lookup) -> CompiledQuery:
    """Parse ``text`` and bind it to the object ``lookup(name)`` returns."""
    query = parse(text)
    obj: ObjectLike | None = lookup(query.object.name)
    if obj is None:
        raise SoqlError(
            "INVALID_TYPE",
            f"sObject type '{query.object.name}' is not supported. If you are attempting to "
            "use a custom object, be sure to append the '__c' after the entity name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
            text, query.object.pos)
    canonical: dict[str, str] = {}
    types: dict[str, str] = {}

    def resolve(ref: FieldRef, purpose: str = "select") -> str:
        if "." in ref.name:
            relation = ref.name.split(".", 1)[0]
            raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{relation}' "
                            "in field path. If you are attempting to use a custom relationship,"
                            " be sure to append the '__r' after the custom relationship name.",
                            text, ref.pos)
        fdef: FieldLike | None = obj.field(ref.name)
        if fdef is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"No such column '{ref.name}' on entity '{obj.name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field "
                "name. Please reference your WSDL or the describe call for the appropriate "
                "names.", text, ref.pos)
        if purpose == "filter" and not fdef.filterable:
            raise SoqlError("INVALID_FIELD", f"field '{fdef.name}' can not be filtered in a "
                            "query call", text, ref.pos)
        if purpose == "sort" and not fdef.sortable:
            raise SoqlError("INVALID_FIELD", f"field '{fdef.name}' can not be sorted in a "
                            "query call", text, ref.pos)
        canonical[ref.name.lower()] = fdef.name
        types[fdef.name] = fdef.type
        return fdef.name

    names: list[str] = []
    for ref in query.fields:
        name = resolve(ref)
        if name not in names:
            names.append(name)

    def check(cond: Any) -> None:
        if isinstance(cond, BoolOp):
            for part in cond.parts:
                check(part)
        elif isinstance(cond, Not):
            check(cond.inner)
        elif isinstance(cond, Like):
            name = resolve(cond.field, "filter")
            if types[name] not in TEXT or cond.value.kind != "string":
                raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on "
                                f"field '{cond.field.name}': LIKE", text, cond.value.pos)
        elif isinstance(cond, InList):
            name = resolve(cond.field, "filter")
            for lit in cond.items:
                if lit.kind == "date_range":
                    raise _type_error(cond.field, types[name], text, lit.pos)
                _check_literal(cond.field, types[name], lit, text, "=")
        else:
            name = resolve(cond.field, "filter")
            _check_literal(cond.field, types[name], cond.value, text, cond.op)

    if query.where is not None:
        check(query.where)
    for item in query.order:
        resolve(item.field, "sort")
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE",
                        f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    return CompiledQuery(query, obj.name, names, types, canonical)
