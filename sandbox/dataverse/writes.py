"""Creating, updating, upserting and deleting rows, with Dataverse's conditional headers.

``PATCH /{set}({key})`` where the key is the primary id or an alternate key
(``chub_contracthubid='42'``) is an upsert:

    row missing,  no condition          -> created            (204, or 201 + row)
    row missing,  If-Match: *           -> 404, nothing created
    row present,  If-None-Match: *      -> 412, nothing changed
    row present,  If-Match: W/"<old>"   -> 412 (0x80060882), nothing changed
    row present,  otherwise             -> updated            (204, or 200 + row)

``Prefer: return=representation`` asks for the row in the answer (with
``$select`` applied). Every write answers ``OData-EntityId`` with the row's
URL. ``POST /{set}`` creates (204 + ``OData-EntityId``, or 201 with the row).
Payload values are checked against the columns (unknown property, length,
option values, dates); a lookup is set through ``"<nav>@odata.bind":
"/accounts(<id>)"`` and must name an existing row.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.dataverse.errors import (
    DUPLICATE,
    ETAG_MISMATCH,
    SYNTAX,
    VALIDATION,
    DataverseError,
    not_found,
)
from sandbox.dataverse.query import Answer, parse_select, render
from sandbox.dataverse.schema import Column, Table
from sandbox.dataverse.store import Store, etag

_BIND = re.compile(r"^(?:.*/)?(?P<set>[A-Za-z_][A-Za-z0-9_]*)\((?P<id>[0-9a-fA-F-]{36})\)$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")


def parse_key(table: Table, raw: str) -> tuple[str | None, dict[str, Any]]:
    """``(primary id, {})`` for ``(guid)``, ``(None, {column: value})`` for an alternate key."""
    raw = raw.strip()
    if _GUID.match(raw):
        return raw.lower(), {}
    values: dict[str, Any] = {}
    for m in re.finditer(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(,|$)",
                         raw):
        name, text = m.group(1), m.group(2)
        values[name] = text[1:-1].replace("''", "'") if text.startswith("'") else text
    key_sets = [set(cols) for cols in table.keys.values()]
    if not values or set(values) not in key_sets:
        raise DataverseError(400, SYNTAX, f"Invalid key '{raw}' for '{table.logical_name}': "
                                          "it is not the primary key or an alternate key.")
    return None, values


def read_payload(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise DataverseError(400, SYNTAX, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise DataverseError(400, SYNTAX, "The request body must be a JSON object.")
    return body


def values_from(store: Store, table: Table, body: dict[str, Any]) -> dict[str, Any]:
    """The payload as column values, checked as Dataverse checks them."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name.endswith("@odata.bind"):
            col = table.nav_property(name[:-len("@odata.bind")])
            if col is None or not col.writable:
                raise _undeclared(name[:-len("@odata.bind")], table)
            out[col.name] = _bind(store, col, value)
            continue
        col = table.columns.get(name)
        if col is None or col.type in ("Lookup", "Owner"):
            raise _undeclared(name, table)
        if not col.writable:
            continue  # system columns are set by the platform, not the caller
        out[col.name] = _coerce(table, col, value)
    return out


def _undeclared(name: str, table: Table) -> DataverseError:
    return DataverseError(400, SYNTAX, f"The property '{name}' does not exist on type "
                                       f"'{table.type_name}'. Make sure to only use property "
                                       "names that are defined by the type.")


def _bind(store: Store, col: Column, value: Any) -> str | None:
    if value is None:
        return None
    m = _BIND.match(str(value))
    target = store.by_set(m.group("set")) if m else None
    if m is None or target is None or target.logical_name not in col.targets:
        raise DataverseError(400, SYNTAX, f"Invalid reference '{value}' for '{col.nav}'.")
    rid = m.group("id").lower()
    if store.get(target.logical_name, rid) is None:
        raise not_found(target.logical_name, rid)
    return rid


def _coerce(table: Table, col: Column, value: Any) -> Any:
    if value is None:
        return None
    bad = DataverseError(400, SYNTAX, f"Cannot convert the literal '{value}' to the expected "
                                      f"type of '{col.name}'.")
    if col.type in ("String", "Memo"):
        if not isinstance(value, str):
            raise bad
        if col.max_length is not None and len(value) > col.max_length:
            raise DataverseError(400, VALIDATION, f"A validation error occurred. The length "
                                 f"of the '{col.name}' attribute of the '{table.logical_name}' "
                                 f"entity exceeded the maximum allowed length of "
                                 f"'{col.max_length}'.")
        return value
    if col.type == "Picklist":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        if value not in col.options.values():
            raise DataverseError(400, VALIDATION, f"A validation error occurred. The value "
                                 f"{value} of '{col.name}' on record of type "
                                 f"'{table.logical_name}' is outside the valid range. Accepted "
                                 f"Values: {','.join(map(str, col.options.values()))}")
        return value
    if col.type == "DateTime":
        try:
            if col.date_only:
                return date.fromisoformat(str(value)[:10])
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            raise bad from None
    if col.type in ("Integer", "BigInt"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if col.type in ("Decimal", "Money", "Double"):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise bad from None
    if col.type == "Boolean":
        if not isinstance(value, bool):
            raise bad
        return value
    if col.type == "Uniqueidentifier":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise bad from None
    return value


def _entity_id(root: str, table: Table, rid: str) -> dict[str, str]:
    return {"OData-EntityId": f"{root}{table.entity_set}({rid})"}


def _answer(store: Store, table: Table, rid: str, status_with_body: int, prefer: str,
            select_raw: str | None, root: str) -> tuple[int, Answer]:
    headers = _entity_id(root, table, rid)
    if "return=representation" in prefer:
        row = store.get(table.logical_name, rid)
        assert row is not None
        body = render(table, row, parse_select(table, select_raw))
        body = {"@odata.context": f"{root}$metadata#{table.entity_set}/$entity", **body}
        headers["Preference-Applied"] = "return=representation"
        return status_with_body, Answer(body, headers)
    return 204, Answer({}, headers)


def create(store: Store, table: Table, body: dict[str, Any], prefer: str,
           select_raw: str | None, root: str) -> tuple[int, Answer]:
    values = values_from(store, table, body)
    rid = str(values.pop(table.primary_id, None) or uuid.uuid4())
    for cols in table.keys.values():
        key = {c: values.get(c) for c in cols}
        if all(v is not None for v in key.values()) and store.by_key(table.logical_name, key):
            raise DataverseError(412, DUPLICATE, "A record with matching key values already "
                                                 "exists.")
    if store.get(table.logical_name, rid) is not None:
        raise DataverseError(412, DUPLICATE, "A record with matching key values already exists.")
    store.insert(table.logical_name, values, rid)
    return _answer(store, table, rid, 201, prefer, select_raw, root)


def upsert(store: Store, table: Table, key_raw: str, body: dict[str, Any],
           headers: Any, prefer: str, select_raw: str | None, root: str) -> tuple[int, Answer]:
    rid, alt = parse_key(table, key_raw)
    found = rid if rid and store.get(table.logical_name, rid) else (
        store.by_key(table.logical_name, alt) if alt else None)
    values = values_from(store, table, body)
    if_match, if_none = headers.get("If-Match"), headers.get("If-None-Match")
    if found is None:
        if if_match:
            raise not_found(table.logical_name, rid or key_raw)
        values.update(alt)
        values.pop(table.primary_id, None)
        new_id = store.insert(table.logical_name, values, rid)
        return _answer(store, table, new_id, 201, prefer, select_raw, root)
    if if_none == "*":
        raise DataverseError(412, DUPLICATE, "A record with matching key values already exists.")
    row = store.get(table.logical_name, found)
    assert row is not None
    if if_match and if_match != "*" and if_match != etag(row):
        raise DataverseError(412, ETAG_MISMATCH, "The version of the existing record doesn't "
                                                 "match the RowVersion property provided.")
    values.pop(table.primary_id, None)
    store.update(table.logical_name, found, values)
    return _answer(store, table, found, 200, prefer, select_raw, root)


def delete(store: Store, table: Table, key_raw: str, headers: Any) -> None:
    rid, alt = parse_key(table, key_raw)
    found = rid if rid and store.get(table.logical_name, rid) else (
        store.by_key(table.logical_name, alt) if alt else None)
    if found is None:
        raise not_found(table.logical_name, rid or key_raw)
    if_match = headers.get("If-Match")
    row = store.get(table.logical_name, found)
    if if_match and if_match != "*" and row is not None and if_match != etag(row):
        raise DataverseError(412, ETAG_MISMATCH, "The version of the existing record doesn't "
                                                 "match the RowVersion property provided.")
    store.delete(table.logical_name, found)


def get_row(store: Store, table: Table, key_raw: str, select_raw: str | None,
            root: str) -> Answer:
    rid, alt = parse_key(table, key_raw)
    found = rid if rid and store.get(table.logical_name, rid) else (
        store.by_key(table.logical_name, alt) if alt else None)
    if found is None:
        raise not_found(table.logical_name, rid or key_raw)
    row = store.get(table.logical_name, found)
    assert row is not None
    body = render(table, row, parse_select(table, select_raw))
    return Answer({"@odata.context": f"{root}$metadata#{table.entity_set}/$entity", **body},
                  {"ETag": etag(row)})
