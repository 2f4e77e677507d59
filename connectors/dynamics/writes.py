"""Writes: one ``$batch`` call per batch, one independent request per record inside it.

Each record becomes one request:

- a new record (no remote id): ``PATCH {set}({key_field}='<store id>')`` -- an
  upsert on the alternate key that holds the store's id, so a replayed write
  updates instead of duplicating (201 created, 200 updated). Without a key
  field: ``POST {set}``;
- a linked record: ``PATCH {set}(<id>)`` with ``If-Match: <etag>`` when the
  engine knows the version it based the change on (``*`` otherwise): never a
  create. 412 means someone changed the row since: ``STALE_VERSION``,
  retryable -- the engine keeps the change, reads the row again on its next
  pull (a three-way merge) and sends what is left with the new etag. 404
  naming the row means it is gone: ``REMOTE_DELETED``;
- a deletion: ``DELETE {set}(<id>)``; a row already gone counts as deleted.

Every upsert asks ``Prefer: return=representation`` with ``$select`` of the
primary id, so its answer carries the row's new ``@odata.etag``: the version
the engine stores is exactly the one the next pull reads back, and the echo
is recognised without a merge.

Batching: the requests travel in one ``POST $batch`` with ``Prefer:
odata.continue-on-error`` and *without* change sets. A change set is one
transaction: one stale etag would roll back every other record in it, while
the engine wants each record to succeed or fail alone. So N records cost
ceil(N / 200) calls (Dataverse takes up to 1,000 requests a batch; 200 keeps
a batch well inside its two-minute execution limit and one engine commit
small). A throttled or failed batch call (429, 5xx) raises before anything
ran, and the engine's retry policy sends it again after Retry-After; a
request that fails inside a batch (a 429/5xx part) comes back as a
retryable per-record error, so a retry never resends what was written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connectors.base import REMOTE_DELETED, RecordError, RetryLater, WriteOp, WriteResult
from connectors.dynamics import batch
from connectors.dynamics.api import DataverseApi
from connectors.dynamics.errors import SYSTEM
from connectors.dynamics.metadata import TableInfo, checked_name

BATCH_MAX = 200
RETURN_ROW = "return=representation"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def key_literal(value: str) -> str:
    """A string key value as an OData literal: quoted, quotes doubled, URL-safe."""
    return quote("'" + value.replace("'", "''") + "'", safe="'")


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
    def __init__(self, api: DataverseApi) -> None:
        self.api = api

    def write(self, table: TableInfo, key_field: str | None,
              ops: Sequence[WriteOp]) -> list[WriteResult]:
        if len(ops) > BATCH_MAX:
            raise ValueError(f"batch of {len(ops)} exceeds {BATCH_MAX}")
        if key_field:
            checked_name(key_field, "key column")
        results: dict[int, WriteResult] = {}
        parts: list[tuple[int, batch.Part]] = []
        for i, op in enumerate(ops):
            if op.remote_id and not GUID.match(op.remote_id):
                results[i] = WriteResult(op.key, op.remote_id, error=RecordError(
                    "INVALID_ID", f"{op.remote_id!r} is not a Dataverse row id"))
            elif op.op == "delete" and not op.remote_id:
                results[i] = WriteResult(op.key, None)
            else:
                parts.append((i, self._request(table, key_field, op)))
        if parts:
            answers = self._send(table, [p for _, p in parts])
            for n, (i, _) in enumerate(parts):
                answer = answers[n] if n < len(answers) else None
                results[i] = self._result(table, ops[i], answer)
        return [results[i] for i in range(len(ops))]

    # -- requests --------------------------------------------------------------
    def _request(self, table: TableInfo, key_field: str | None, op: WriteOp) -> batch.Part:
        base = self.api.settings.api_url + table.entity_set
        if op.op == "delete":
            return batch.Part("DELETE", f"{base}({op.remote_id})")
        body = self._body(table, op)
        headers = {"Prefer": RETURN_ROW}
        select = f"?$select={table.primary_id}"
        if op.remote_id:
            if key_field:
                body[key_field] = op.key
            headers["If-Match"] = op.base_version or "*"
            return batch.Part("PATCH", f"{base}({op.remote_id}){select}", headers, body)
        if key_field:
            return batch.Part("PATCH", f"{base}({key_field}={key_literal(op.key)}){select}",
                              headers, body)
        return batch.Part("POST", f"{base}{select}", headers, body)

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

    def _send(self, table: TableInfo, parts: list[batch.Part]) -> list[batch.Answer]:
        content_type, body = batch.encode(parts)
        what = f"a batch of {len(parts)} {table.logical_name} writes"
        response = self.api.send("write", "POST", "$batch", what, data=body,
                                 headers={"Content-Type": content_type,
                                          "Prefer": "odata.continue-on-error"})
        try:
            return batch.decode(response.headers.get("Content-Type", ""), response.text)
        except ValueError as exc:
            raise RetryLater(f"{SYSTEM}: the answer to {what} could not be read ({exc})"
                             ) from None

    # -- answers ---------------------------------------------------------------
    def _result(self, table: TableInfo, op: WriteOp, answer: batch.Answer | None
                ) -> WriteResult:
        if answer is None:
            return WriteResult(op.key, op.remote_id, error=RecordError(
                "NOT_RUN", "Dataverse stopped the batch before this record", retryable=True))
        if answer.status >= 400:
            if op.op == "delete" and answer.status == 404:
                return WriteResult(op.key, op.remote_id)  # already gone
            return WriteResult(op.key, op.remote_id, error=self._record_error(answer, op))
        if op.op == "delete":
            return WriteResult(op.key, op.remote_id)
        row = answer.body if isinstance(answer.body, dict) else {}
        rid = str(row.get(table.primary_id) or op.remote_id or "")
        version = row.get("@odata.etag")
        if not rid or not version:
            return WriteResult(op.key, op.remote_id, error=RecordError(
                "NO_ROW", "the answer carried no row id or etag", retryable=True))
        return WriteResult(op.key, rid, str(version), created=answer.status == 201)

    def _record_error(self, answer: batch.Answer, op: WriteOp) -> RecordError:
        error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
        code = str((error or {}).get("code") or f"HTTP_{answer.status}")
        message = str((error or {}).get("message") or f"HTTP {answer.status}")
        if answer.status == 404 and op.remote_id and op.remote_id.lower() in message.lower():
            return RecordError(REMOTE_DELETED, message)
        if answer.status == 412:
            return RecordError("STALE_VERSION", f"the row changed in Dynamics since it was "
                                                f"read ({code}: {message})", retryable=True)
        if answer.status == 429 or answer.status >= 500:
            return RecordError("THROTTLED" if answer.status == 429 else code,
                               f"{code}: {message}", retryable=True)
        return RecordError(code, message)
