"""sObject Rows and sObject Rows by External ID.

- ``POST sobjects/T/`` (and ``POST sobjects/T/Id``): 201 ``{id, success, errors}``.
- ``GET sobjects/T/{id}?fields=``: the record; ``PATCH``: 204; ``DELETE``: 204.
  An unknown id is 404 ``NOT_FOUND``, a deleted one 404 ``ENTITY_IS_DELETED``.
- ``PATCH sobjects/T/{ExtField}/{value}``: upsert. 201 ``{id, success, errors,
  created: true}`` when created; when updated, 200 with ``created: false``
  (API 46.0 and later) or 204 (earlier versions); 300 with the matching
  records' URLs when several match; 404 ``NOT_FOUND`` when none matches and
  ``?updateOnly=true``. ``GET``/``DELETE`` by external id work the same way.
- Validation failures are 400 with every error of the record.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from sandbox.salesforce import ids, records, writes
from sandbox.salesforce.errors import ApiError, RecordError, not_found
from sandbox.salesforce.records import RejectHook
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.store import Store
from sandbox.salesforce.wire import Reply, read_json

CREATED_FLAG_SINCE = 46.0


def _fail(errors: list[RecordError]) -> ApiError:
    statuses = {"ENTITY_IS_DELETED": 404, "NOT_FOUND": 404}
    return ApiError.from_record_errors(errors, statuses.get(errors[0].status_code, 400))


def create(store: Store, obj: ObjectDef, body: Any, reject: RejectHook | None) -> Reply:
    outcome = writes.create(store, obj, records.deserialize(obj, body), reject)
    if outcome.errors:
        raise ApiError.from_record_errors(outcome.errors)
    return Reply(201, {"id": outcome.id, "success": True, "errors": []})


def _live(store: Store, obj: ObjectDef, record_id: str) -> dict[str, Any]:
    record = store.raw(obj.name, record_id) if ids.is_valid(record_id) else None
    if record is None or ids.prefix_of(record_id) != obj.key_prefix:
        raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                       f"not accessible: {record_id}" if not ids.is_valid(record_id)
                       else "The requested resource does not exist")
    if record["IsDeleted"]:
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return record


def _fields(obj: ObjectDef, request: Request) -> list[str] | None:
    wanted = request.args.get("fields")
    if not wanted:
        return None
    names = []
    for name in wanted.split(","):
        fdef = obj.field(name.strip())
        if fdef is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name.strip()}' on entity "
                           f"'{obj.name}'. If you are attempting to use a custom field, be "
                           "sure to append the '__c' after the custom field name.")
        names.append(fdef.name)
    return names


def row(store: Store, obj: ObjectDef, record_id: str, request: Request, version: str,
        reject: RejectHook | None) -> Reply:
    if request.method == "POST":
        if record_id != "Id":
            raise ApiError(405, "METHOD_NOT_ALLOWED", "HTTP Method 'POST' not allowed. "
                           "Allowed are GET,PATCH,DELETE")
        return create(store, obj, read_json(request), reject)
    record = _live(store, obj, record_id)
    if request.method == "GET":
        return Reply(200, records.render(obj, record, version, _fields(obj, request)))
    if request.method == "DELETE":
        store.delete_record(obj, record["Id"])
        return Reply(204)
    outcome = writes.update(store, obj, record["Id"],
                            records.deserialize(obj, read_json(request)), reject)
    if outcome.errors:
        raise _fail(outcome.errors)
    return Reply(204)


def _external_field(obj: ObjectDef, field_name: str) -> str:
    fdef = obj.field(field_name)
    if fdef is None or not (fdef.external_id or fdef.type == "id"):
        raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                       f"not accessible: {field_name}")
    return fdef.name


def _multiple(obj: ObjectDef, matches: list[str], version: str) -> Reply:
    return Reply(300, [records.record_url(version, obj.name, m) for m in matches])


def by_external_id(store: Store, obj: ObjectDef, field_name: str, value: str,
                   request: Request, version: str, reject: RejectHook | None) -> Reply:
    name = _external_field(obj, field_name)
    if request.method == "PATCH":
        return _upsert(store, obj, name, value, request, version, reject)
    matches = store.match_external(obj.name, name, value)
    if len(matches) > 1:
        return _multiple(obj, matches, version)
    if not matches:
        raise not_found()
    if request.method == "DELETE":
        store.delete_record(obj, matches[0])
        return Reply(204)
    record = store.raw(obj.name, matches[0])
    assert record is not None
    return Reply(200, records.render(obj, record, version, _fields(obj, request)))


def _upsert(store: Store, obj: ObjectDef, field_name: str, value: str, request: Request,
            version: str, reject: RejectHook | None) -> Reply:
    update_only = request.args.get("updateOnly", "false").lower() == "true"
    given = records.deserialize(obj, read_json(request))
    fdef = obj.fields[field_name]
    if fdef.type == "id":
        key: Any = value
    else:
        try:
            key = records.values.from_json(fdef.type, value)
        except records.values.ValueTypeError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", str(exc)) from exc
    outcome = writes.upsert(store, obj, field_name, key, given, reject, update_only)
    if outcome.matches:
        return _multiple(obj, outcome.matches, version)
    if outcome.errors:
        raise _fail(outcome.errors)
    with_flag = float(version) >= CREATED_FLAG_SINCE
    body: dict[str, Any] = {"id": outcome.id, "success": True, "errors": []}
    if with_flag:
        body["created"] = outcome.created
    if outcome.created:
        return Reply(201, body)
    return Reply(200, body) if with_flag else Reply(204)
