"""Reading request bodies into field values, checking them, rendering records.

- ``deserialize`` fails the whole request (400) the way Salesforce's JSON
  reader does: an unknown field is ``INVALID_FIELD``, a value of the wrong
  type ``JSON_PARSER_ERROR``.
- ``check`` returns the per-record errors of a create or an update:
  read-only fields (``INVALID_FIELD_FOR_INSERT_UPDATE``), missing required
  fields (``REQUIRED_FIELD_MISSING``), restricted picklists
  (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), over-long text
  (``STRING_TOO_LONG``), bad references (``MALFORMED_ID``,
  ``INVALID_CROSS_REFERENCE_KEY``), duplicate unique values
  (``DUPLICATE_VALUE``), then the configurable rejection hook.
- ``render`` is the wire form of a record with its ``attributes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sandbox.salesforce import ids, values
from sandbox.salesforce.errors import ApiError, RecordError
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.store import USER_ID, Store

# (object name, the record as it would be after the write, on the wire) -> error
RejectHook = Callable[[str, dict[str, Any]], "RecordError | str | None"]


def deserialize(obj: ObjectDef, body: Any) -> dict[str, Any]:
    """Typed values by canonical field name; ``attributes`` is ignored."""
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR",
                       f"Cannot deserialize instance of {obj.name} from "
                       f"{values._token_name(body)} value")
    out: dict[str, Any] = {}
    for key, raw in body.items():
        if key == "attributes":
            continue
        fdef = obj.field(key)
        if fdef is None:
            raise ApiError(400, "INVALID_FIELD",
                           f"No such column '{key}' on sobject of type {obj.name}")
        try:
            out[fdef.name] = values.from_json(fdef.type, raw)
        except values.ValueTypeError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", str(exc)) from exc
    return out


def _label(obj: ObjectDef, name: str) -> str:
    fdef = obj.field(name)
    return (fdef.label if fdef and fdef.label else name) if fdef else name


def _reference_error(store: Store, obj: ObjectDef, name: str, value: Any) -> RecordError | None:
    fdef = obj.fields[name]
    label = _label(obj, name)
    if not ids.is_valid(value):
        return RecordError("MALFORMED_ID", f"{label}: id value of incorrect type: {value}",
                           [name])
    targets = {ids.KEY_PREFIXES.get(t) for t in fdef.reference_to}
    if ids.prefix_of(value) not in targets:
        return RecordError("FIELD_INTEGRITY_EXCEPTION",
                           f"{label}: id value of incorrect type: {value}", [name])
    if "User" in fdef.reference_to:
        exists = ids.to18(value) == USER_ID
    else:
        target = store.raw(fdef.reference_to[0], value)
        exists = target is not None and not target["IsDeleted"]
    if not exists:
        return RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
    return None


def check(
    store: Store,
    obj: ObjectDef,
    given: Mapping[str, Any],
    existing: Mapping[str, Any] | None,
    reject: RejectHook | None = None,
    skip_unique_for: Iterable[str] = (),
) -> list[RecordError]:
    """Per-record errors for creating (``existing`` None) or updating a record."""
    creating = existing is None
    errors: list[RecordError] = []
    locked = [n for n in given
              if not (obj.fields[n].createable if creating else obj.fields[n].updateable)]
    if locked:
        message = ("cannot specify Id in an insert call" if locked == ["Id"] and creating
                   else f"Unable to create/update fields: {', '.join(locked)}. Please check "
                   "the security settings of this field and verify that it is read/write "
                   "for your profile or permission set.")
        errors.append(RecordError("INVALID_FIELD_FOR_INSERT_UPDATE", message, locked))
    merged = dict(existing or {})
    merged.update({n: v for n, v in given.items() if n not in locked})
    missing = [f.name for f in obj.fields.values()
               if f.required and merged.get(f.name) in (None, "")
               and (creating or f.name in given)]
    if missing:
        errors.append(RecordError("REQUIRED_FIELD_MISSING",
                                  f"Required fields are missing: [{', '.join(missing)}]",
                                  missing))
    for name, value in given.items():
        fdef = obj.fields[name]
        if value is None or name in locked:
            continue
        if fdef.type == "picklist" and fdef.restricted and value not in fdef.picklist:
            errors.append(RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                      f"{_label(obj, name)}: bad value for restricted "
                                      f"picklist field: {value}", [name]))
        elif isinstance(value, str) and fdef.length and len(value) > fdef.length \
                and fdef.type not in ("id", "reference"):
            errors.append(RecordError("STRING_TOO_LONG",
                                      f"{_label(obj, name)}: data value too large: "
                                      f"{value[:40]} (max length={fdef.length})", [name]))
        elif fdef.type == "reference":
            problem = _reference_error(store, obj, name, value)
            if problem:
                errors.append(problem)
    skip = set(skip_unique_for)
    for fdef in obj.fields.values():
        value = given.get(fdef.name)
        if not fdef.unique or value is None or fdef.name in skip:
            continue
        others = [i for i in store.match_external(obj.name, fdef.name, value)
                  if existing is None or i != existing.get("Id")]
        if others:
            errors.append(RecordError("DUPLICATE_VALUE",
                                      f"duplicate value found: {fdef.name} duplicates value "
                                      f"on record with id: {others[0]}", []))
    if not errors and reject is not None:
        verdict = reject(obj.name, {k: values.to_json(v) for k, v in merged.items()})
        if isinstance(verdict, str):
            verdict = RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", verdict, [])
        if verdict is not None:
            errors.append(verdict)
    return errors


def record_url(version: str, obj_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{obj_name}/{record_id}"


def render(obj: ObjectDef, record: Mapping[str, Any], version: str,
           fields: Iterable[str] | None = None) -> dict[str, Any]:
    """``{"attributes": {type, url}, field: value, ...}`` in wire form."""
    out: dict[str, Any] = {
        "attributes": {"type": obj.name, "url": record_url(version, obj.name, record["Id"])},
    }
    for name in fields if fields is not None else obj.fields:
        out[name] = values.to_json(record.get(name))
    return out
