"""Writes, one request per record: alternate-key upserts, etag-checked updates, deletes.

- a new record (no remote id): ``PATCH {set}({key_field}='<store id>')`` -- an
  upsert on the alternate key that holds the store's id, so a replayed write
  updates instead of duplicating (201 created, 200 updated). Without a key
  field: ``POST {set}``;
- a linked record: ``PATCH {set}(<id>)`` with ``If-Match: <etag>`` when the
  engine knows the version it based the change on (``*`` otherwise): never a
  create. 412 means someone changed the row since: ``STALE_VERSION``,
  retryable -- the engine keeps the change, reads the row again on its next
  pull (a three-way merge) and sends what is left with the new etag. 404
  means the row is gone: ``REMOTE_DELETED``;
- a deletion: ``DELETE {set}(<id>)``; a row already gone counts as deleted.

Every write asks ``Prefer: return=representation`` with ``$select`` of the
primary id, so the answer carries the row's new ``@odata.etag``: the version
the engine stores is exactly the one the next pull reads back, and the echo
is recognised without a merge.

Why no ``$batch``: a change set is one transaction -- one stale etag would
roll back every other record in it -- while per-record results are what the
engine needs; and Dataverse's service protection counts execution time as
well as requests, so a batch does not buy throughput past the limits.
``batch_max`` is therefore only how many records one ``write`` call (one
engine commit) carries.

Retries: a throttled or failed request is retried here, per record, through
``core.retry`` (Retry-After honoured on the clock) -- except the first of a
batch, which raises for the engine's own retry (nothing was written yet).
When a later record runs out of retries, the records already written keep
their results and the rest come back ``THROTTLED`` (retryable): a retried
batch would otherwise resend updates whose etags it just moved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.base import REMOTE_DELETED, RecordError, RetryLater, WriteOp, WriteResult
from connectors.dynamics.api import DataverseApi
from connectors.dynamics.errors import Refused
from connectors.dynamics.metadata import TableInfo, checked_name
from core.retry import RetryPolicy, call_with_retry

BATCH_MAX = 100
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RETURN_ROW = "return=representation"


def key_literal(value: str) -> str:
    """A string key value as an OData literal: quoted, quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def wire_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


class RecordWriter:
    def __init__(self, api: DataverseApi, policy: RetryPolicy | None = None) -> None:
        self.api, self.policy = api, policy or RetryPolicy()

    def write(self, table: TableInfo, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        if len(batch) > BATCH_MAX:
            raise ValueError(f"batch of {len(batch)} exceeds {BATCH_MAX}")
        if key_field:
            checked_name(key_field, "key column")
        results: list[WriteResult] = []
        for i, op in enumerate(batch):
            try:
                if i == 0:
                    results.append(self._one(table, key_field, op))
                else:
                    results.append(call_with_retry(lambda op=op: self._one(table, key_field, op),
                                                   policy=self.policy,
                                                   sleep=self.api.clock.sleep))
            except RetryLater as exc:
                if i == 0:
                    raise
                error = RecordError("THROTTLED", exc.user_message, retryable=True)
                results += [WriteResult(o.key, o.remote_id, error=error) for o in batch[i:]]
                break
        return results

    def _one(self, table: TableInfo, key_field: str | None, op: WriteOp) -> WriteResult:
        if op.remote_id and not GUID.match(op.remote_id):
            return WriteResult(op.key, op.remote_id, error=RecordError(
                "INVALID_ID", f"{op.remote_id!r} is not a Dataverse row id"))
        try:
            if op.op == "delete":
                return self._delete(table, op)
            return self._upsert(table, key_field, op)
        except Refused as exc:
            return WriteResult(op.key, op.remote_id, error=self._record_error(exc, op))

    def _record_error(self, exc: Refused, op: WriteOp) -> RecordError:
        if exc.status == 404 and op.remote_id and op.remote_id.lower() in exc.message.lower():
            return RecordError(REMOTE_DELETED, exc.message)
        if exc.status == 412:
            return RecordError("STALE_VERSION", f"the row changed in Dynamics since it was "
                                                f"read ({exc.code}: {exc.message})",
                               retryable=True)
        return RecordError(exc.code, exc.message or exc.code)

    def _body(self, table: TableInfo, op: WriteOp) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in op.fields.items():
            lookup = table.lookups.get(name)
            if lookup is not None:
                body[f"{lookup.nav}@odata.bind"] = (
                    f"/{lookup.target_set}({value})" if value else None)
            else:
                body[checked_name(name, "column")] = wire_value(value)
        return body

    def _upsert(self, table: TableInfo, key_field: str | None, op: WriteOp) -> WriteResult:
        body = self._body(table, op)
        headers = {"Prefer": RETURN_ROW}
        params = {"$select": table.primary_id}
        if op.remote_id:
            if key_field:
                body[key_field] = op.key
            headers["If-Match"] = op.base_version or "*"
            path = f"{table.entity_set}({op.remote_id})"
            method = "PATCH"
        elif key_field:
            path = f"{table.entity_set}({key_field}={key_literal(op.key)})"
            method = "PATCH"
        else:
            path, method = table.entity_set, "POST"
        response = self.api.send("write", method, path, f"writing {table.logical_name} "
                                 f"{op.key}", headers=headers, params=params, json=body)
        row = _row(response)
        rid = str(row.get(table.primary_id) or op.remote_id or "")
        version = str(row.get("@odata.etag") or "") or None
        if not rid or version is None:
            raise RetryLater(f"dynamics: the answer to writing {table.logical_name} {op.key} "
                             "carried no row id or etag")
        return WriteResult(op.key, rid, version, created=response.status_code == 201)

    def _delete(self, table: TableInfo, op: WriteOp) -> WriteResult:
        if not op.remote_id:
            return WriteResult(op.key, None)
        try:
            self.api.send("delete", "DELETE", f"{table.entity_set}({op.remote_id})",
                          f"deleting {table.logical_name} {op.key}")
        except Refused as exc:
            if exc.status != 404:
                raise
        return WriteResult(op.key, op.remote_id)


def _row(response: Any) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}
