"""sObject Collections: create, update, upsert, delete and retrieve in one call.

A well-formed request answers 200 with one result per record, in request
order: ``{id, success, errors: [{statusCode, message, fields}]}`` (upsert
adds ``created``). At most 200 records (400 ``EXCEEDED_ID_LIMIT`` above).
Bodies are read whole first, so an unknown field or a value of the wrong type
fails the request (400). With ``allOrNone`` true, one failing record rolls
every change back and the other records answer
``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sandbox.salesforce import records, writes
from sandbox.salesforce.errors import ROLLED_BACK_MESSAGE, ApiError, RecordError
from sandbox.salesforce.records import RejectHook
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.store import Store
from sandbox.salesforce.writes import Outcome

MAX_RECORDS = 200
LIMIT_MESSAGE = "record limit reached. cannot submit more than 200 records into this call"


class _Rollback(Exception):
    pass


def _records(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be an object with a "
                       "'records' list")
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise ApiError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean")
    if len(body["records"]) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", LIMIT_MESSAGE)
    return body["records"], all_or_none


def _typed(store: Store, item: Any, only: ObjectDef | None = None) -> tuple[ObjectDef, dict]:
    attributes = item.get("attributes") if isinstance(item, dict) else None
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(type_name, str):
        raise ApiError(400, "INVALID_TYPE", "Each record must have an attributes map with "
                       "a type")
    obj = store.object(type_name)
    if obj is None or (only is not None and obj.name != only.name):
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported"
                       + (f" in a request for {only.name}" if obj and only else "."))
    return obj, records.deserialize(obj, item)


def _result(outcome: Outcome, upsert: bool, show_failed_id: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if outcome.ok or show_failed_id:
        out["id"] = outcome.id
    out["success"] = outcome.ok
    out["errors"] = [e.as_record_error() for e in outcome.errors]
    if upsert:
        out["created"] = outcome.created and outcome.ok
    return out


def _run(store: Store, work: list[Callable[[], Outcome]], all_or_none: bool,
         upsert: bool = False, show_failed_id: bool = True) -> list[dict[str, Any]]:
    outcomes: list[Outcome] = []
    try:
        with store.transaction():
            outcomes = [step() for step in work]
            if all_or_none and not all(o.ok for o in outcomes):
                raise _Rollback
    except _Rollback:
        rolled = RecordError("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK_MESSAGE, [])
        outcomes = [Outcome(id=None if o.created else o.id, errors=o.errors or [rolled])
                    for o in outcomes]
        return [_result(o, upsert, show_failed_id and o.id is not None) for o in outcomes]
    return [_result(o, upsert, show_failed_id) for o in outcomes]


def create_many(store: Store, body: Any, reject: RejectHook | None) -> list[dict[str, Any]]:
    items, all_or_none = _records(body)
    typed = [_typed(store, item) for item in items]
    work = [lambda o=obj, g=given: writes.create(store, o, g, reject) for obj, given in typed]
    return _run(store, work, all_or_none, show_failed_id=False)


def update_many(store: Store, body: Any, reject: RejectHook | None) -> list[dict[str, Any]]:
    items, all_or_none = _records(body)
    typed = [_typed(store, item) for item in items]

    def step(obj: ObjectDef, given: dict[str, Any]) -> Outcome:
        record_id = given.pop("Id", None)
        if record_id is None:
            return Outcome(errors=[RecordError("MISSING_ARGUMENT",
                                               "Id not specified in an update call", [])])
        return writes.update(store, obj, record_id, given, reject)

    return _run(store, [lambda o=o, g=g: step(o, g) for o, g in typed], all_or_none)


def upsert_many(store: Store, obj: ObjectDef, field_name: str, body: Any,
                reject: RejectHook | None) -> list[dict[str, Any]]:
    fdef = obj.field(field_name)
    if fdef is None or not (fdef.external_id or fdef.type == "id"):
        raise ApiError(400, "INVALID_FIELD", f"Field name provided, {field_name} is not an "
                       f"External ID or indexed field for {obj.name}")
    items, all_or_none = _records(body)
    typed = [_typed(store, item, only=obj)[1] for item in items]
    keys = [str(g.get(fdef.name)).casefold() for g in typed if g.get(fdef.name) is not None]
    repeated = {k for k, n in Counter(keys).items() if n > 1}

    def step(given: dict[str, Any]) -> Outcome:
        value = given.get(fdef.name)
        if value is None:
            return Outcome(errors=[RecordError("MISSING_ARGUMENT",
                                               f"{fdef.name} not specified", [])])
        if str(value).casefold() in repeated:
            return Outcome(errors=[RecordError("DUPLICATE_VALUE", "Duplicate external id "
                                               f"specified: {value}", [fdef.name])])
        outcome = writes.upsert(store, obj, fdef.name, value, given, reject)
        if outcome.matches:
            return Outcome(errors=[RecordError(
                "DUPLICATE_EXTERNAL_ID", f"{fdef.name}: more than one record found for "
                f"external id field: [{', '.join(outcome.matches)}]", [])])
        return outcome

    return _run(store, [lambda g=g: step(g) for g in typed], all_or_none, upsert=True)


def delete_many(store: Store, ids_param: str | None, all_or_none_param: str | None
                ) -> list[dict[str, Any]]:
    record_ids = [i for i in (ids_param or "").split(",") if i]
    if not record_ids:
        raise ApiError(400, "MISSING_ARGUMENT", "Missing required parameter: ids")
    if len(record_ids) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", LIMIT_MESSAGE)
    all_or_none = (all_or_none_param or "false").lower() == "true"
    work = [lambda i=i: writes.delete(store, None, i) for i in record_ids]
    return _run(store, work, all_or_none)


def retrieve_many(store: Store, obj: ObjectDef, id_list: list[str], field_list: list[str],
                  version: str) -> list[dict[str, Any] | None]:
    """Records by id (``None`` for an id that names no live record)."""
    if not id_list or not field_list:
        raise ApiError(400, "MISSING_ARGUMENT", "ids and fields are required")
    names = []
    for name in field_list:
        fdef = obj.field(name)
        if fdef is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity "
                           f"'{obj.name}'")
        names.append(fdef.name)
    out: list[dict[str, Any] | None] = []
    for record_id in id_list:
        record = store.get(obj.name, record_id)
        out.append(records.render(obj, record, version, names) if record else None)
    return out
