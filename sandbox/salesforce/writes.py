"""The API's write operations on one record, shared by the single-record
resources and sObject Collections.

Each returns an ``Outcome``: the record id, whether it was created, the
per-record errors (empty on success) and, for an upsert whose external id
matched several records, the matching ids. Nothing is written when there
are errors. Callers hold the store lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce import ids, records
from sandbox.salesforce.errors import RecordError
from sandbox.salesforce.records import RejectHook
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.store import Store


@dataclass
class Outcome:
    id: str | None = None
    created: bool = False
    errors: list[RecordError] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.matches


def _id_problem(store: Store, obj: ObjectDef, record_id: Any) -> RecordError | None:
    """Why ``record_id`` does not name a live record of ``obj`` (or None)."""
    if not isinstance(record_id, str) or not ids.is_valid(record_id):
        return RecordError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: "
                           f"{record_id}", ["Id"])
    if ids.prefix_of(record_id) != obj.key_prefix:
        return RecordError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: "
                           f"{record_id}", ["Id"])
    record = store.raw(obj.name, record_id)
    if record is None:
        return RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
    if record["IsDeleted"]:
        return RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
    return None


def create(store: Store, obj: ObjectDef, given: dict[str, Any],
           reject: RejectHook | None = None) -> Outcome:
    errors = records.check(store, obj, given, None, reject)
    if errors:
        return Outcome(errors=errors)
    return Outcome(id=store.create_record(obj, given), created=True)


def update(store: Store, obj: ObjectDef, record_id: Any, given: dict[str, Any],
           reject: RejectHook | None = None) -> Outcome:
    problem = _id_problem(store, obj, record_id)
    if problem:
        shown = record_id if isinstance(record_id, str) else None
        return Outcome(id=shown, errors=[problem])
    existing = store.raw(obj.name, record_id)
    assert existing is not None
    changes = {k: v for k, v in given.items() if k != "Id"}
    errors = records.check(store, obj, changes, existing, reject)
    if errors:
        return Outcome(id=existing["Id"], errors=errors)
    store.update_record(obj, existing["Id"], changes)
    return Outcome(id=existing["Id"])


def upsert(store: Store, obj: ObjectDef, field_name: str, value: Any, given: dict[str, Any],
           reject: RejectHook | None = None, update_only: bool = False) -> Outcome:
    """Create or update by external id ``field_name`` = ``value``."""
    fdef = obj.field(field_name)
    assert fdef is not None
    body_value = given.get(fdef.name)
    if fdef.type != "id" and body_value is not None and \
            str(body_value).casefold() != str(value).casefold():
        return Outcome(errors=[RecordError(
            "INVALID_FIELD", f"The value of the {fdef.name} field in the URL and the request "
            "body must match", [fdef.name])])
    matches = store.match_external(obj.name, fdef.name, value) if value not in (None, "") \
        else []
    if len(matches) > 1:
        return Outcome(matches=matches)
    if matches:
        changes = {k: v for k, v in given.items() if k != fdef.name}
        return update(store, obj, matches[0], changes, reject)
    if update_only or fdef.type == "id":
        return Outcome(errors=[RecordError("NOT_FOUND", "The requested resource does not "
                                           "exist", [])])
    new_values = dict(given)
    if fdef.type != "id":
        new_values[fdef.name] = value
    return create(store, obj, new_values, reject)


def delete(store: Store, obj: ObjectDef | None, record_id: Any) -> Outcome:
    """Delete by id; ``obj`` None means "whatever object the key prefix names"."""
    if obj is None:
        prefix = ids.prefix_of(record_id) if isinstance(record_id, str) else ""
        obj = next((o for o in store.schema.values() if o.key_prefix == prefix), None)
        if obj is None or not ids.is_valid(record_id):
            return Outcome(id=record_id if isinstance(record_id, str) else None, errors=[
                RecordError("MALFORMED_ID", f"malformed id {record_id}", [])])
    problem = _id_problem(store, obj, record_id)
    if problem:
        return Outcome(id=record_id if isinstance(record_id, str) else None, errors=[problem])
    canonical = ids.to18(record_id)
    store.delete_record(obj, canonical)
    return Outcome(id=canonical)
