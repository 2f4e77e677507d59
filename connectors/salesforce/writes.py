"""Batch writes through sObject Collections: one API call per kind of change, 200 records each.

A batch is split by what each record needs:

- new records (no remote id): ``PATCH composite/sobjects/{T}/{key_field}``,
  an upsert on the external-id field that holds the store's id, so a replayed
  batch updates instead of duplicating (``POST composite/sobjects`` when the
  mapping has no key);
- linked records: ``PATCH composite/sobjects`` by ``Id`` (the key field is
  set too). Not an upsert on the key: a record paired by name on the first
  sync does not carry the key yet, and an upsert would create a twin;
- deletions: ``DELETE composite/sobjects?ids=...&allOrNone=false``; a record
  that is already gone counts as deleted.

All with ``allOrNone: false``: each record succeeds or fails alone and the
results come back one per record, in order. A failed record becomes a
``RecordError`` (the engine dead-letters it); several records matching one
key (``DUPLICATE_EXTERNAL_ID``) is ``MULTIPLE_MATCHES`` with the candidate
ids -- never a guess. A whole request refused as malformed because of one
record's value (``JSON_PARSER_ERROR``) is split in halves until the bad
record stands alone; any other refused request fails each of its records.

Versions: Salesforce's answer carries no ``SystemModstamp``, and reading it
back would cost a query per batch and could pick up a person's edit made
in between (the engine would then skip that edit as its own echo). A write
therefore returns an *unconfirmed* version (``written@<time>/<nonce>``) that
never equals a read version: the next pull, which reads the record anyway
because its stamp moved, is matched against the link's base values by the
three-way merge and changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.base import RecordError, RetryLater, WriteOp, WriteResult
from connectors.salesforce.client import SalesforceApi
from connectors.salesforce.cursor import checked_name, soql_instant
from connectors.salesforce.errors import SYSTEM, Refused, record_error
from core.clock import Clock

BATCH_MAX = 200
GONE = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"})
Indexed = list[tuple[int, WriteOp]]


class CollectionWriter:
    def __init__(self, api: SalesforceApi, clock: Clock) -> None:
        self.api, self.clock = api, clock

    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        if len(batch) > BATCH_MAX:
            raise ValueError(f"batch of {len(batch)} exceeds the collections limit {BATCH_MAX}")
        results: dict[int, WriteResult] = {}
        deletes = [(i, op) for i, op in enumerate(batch) if op.op == "delete"]
        updates = [(i, op) for i, op in enumerate(batch) if op.op != "delete" and op.remote_id]
        creates = [(i, op) for i, op in enumerate(batch) if op.op != "delete"
                   and not op.remote_id]
        checked_name(object_name)
        if key_field:
            checked_name(key_field)
        if creates:
            path = (f"composite/sobjects/{object_name}/{key_field}" if key_field
                    else "composite/sobjects")
            method = "PATCH" if key_field else "POST"
            results.update(self._send(creates, lambda part: self._records(
                object_name, key_field, part, with_id=False), path, method,
                upsert=bool(key_field)))
        if updates:
            results.update(self._send(updates, lambda part: self._records(
                object_name, key_field, part, with_id=True), "composite/sobjects", "PATCH",
                upsert=False))
        if deletes:
            results.update(self._delete(deletes))
        return [results[i] for i in range(len(batch))]

    # -- upserts and updates -------------------------------------------------
    def _records(self, object_name: str, key_field: str | None, part: Indexed, *,
                 with_id: bool) -> dict[str, Any]:
        records = []
        for _, op in part:
            record: dict[str, Any] = {"attributes": {"type": object_name}}
            if with_id:
                record["Id"] = op.remote_id
            record.update({name: wire_value(v) for name, v in op.fields.items()})
            if key_field:
                record[key_field] = op.key
            records.append(record)
        return {"allOrNone": False, "records": records}

    def _send(self, part: Indexed, body: Callable[[Indexed], dict[str, Any]], path: str,
              method: str, *, upsert: bool) -> dict[int, WriteResult]:
        try:
            answer = self.api.restful("write", path, method=method, json=body(part),
                                      what=f"a collections write ({len(part)} records)")
        except Refused as exc:
            if exc.code == "JSON_PARSER_ERROR" and len(part) > 1:
                half = len(part) // 2
                return {**self._send(part[:half], body, path, method, upsert=upsert),
                        **self._send(part[half:], body, path, method, upsert=upsert)}
            error = RecordError(exc.code, exc.message or exc.code, exc.fields)
            return {i: WriteResult(op.key, op.remote_id, error=error) for i, op in part}
        items = _results(answer, len(part))
        out: dict[int, WriteResult] = {}
        for (i, op), item in zip(part, items, strict=True):
            if item.get("success"):
                created = bool(item.get("created")) if upsert else not op.remote_id
                out[i] = WriteResult(op.key, str(item.get("id") or op.remote_id),
                                     self._version(), created=created)
            else:
                out[i] = WriteResult(op.key, op.remote_id, error=record_error(item.get("errors")))
        return out

    # -- deletions -------------------------------------------------------------
    def _delete(self, part: Indexed) -> dict[int, WriteResult]:
        ids = ",".join(str(op.remote_id) for _, op in part)
        try:
            answer = self.api.restful("delete", "composite/sobjects", method="DELETE",
                                      params={"ids": ids, "allOrNone": "false"},
                                      what=f"a collections delete ({len(part)} records)")
        except Refused as exc:
            error = RecordError(exc.code, exc.message or exc.code, exc.fields)
            return {i: WriteResult(op.key, op.remote_id, error=error) for i, op in part}
        out: dict[int, WriteResult] = {}
        for (i, op), item in zip(part, _results(answer, len(part)), strict=True):
            error = None if item.get("success") else record_error(item.get("errors"))
            if error is not None and error.code in GONE:
                error = None
            out[i] = WriteResult(op.key, op.remote_id, error=error)
        return out

    def _version(self) -> str:
        return f"written@{soql_instant(self.clock.now())}/{secrets.token_hex(4)}"


def _results(answer: Any, expected: int) -> list[Mapping[str, Any]]:
    if not isinstance(answer, list) or len(answer) != expected or \
            not all(isinstance(item, Mapping) for item in answer):
        got = len(answer) if isinstance(answer, list) else type(answer).__name__
        raise RetryLater(f"{SYSTEM}: sObject Collections answered {got} results for "
                         f"{expected} records")
    return answer


def wire_value(value: Any) -> Any:
    """A value as Salesforce's JSON reader takes it (dates ISO, decimals as numbers)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return soql_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire_value(v) for v in value]
    return value
