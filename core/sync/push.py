"""Draining a sync's outbox: the fewest write calls, idempotent, never blocked by one record.

Rows are read in id order, reduced to one operation per record, diffed
against the link's remote base (an unchanged record costs no call), and sent
in batches of the connector's ``batch_max``. Each batch's results -- links,
dead letters, and the deletion of exactly the outbox rows it covered -- are
committed in one transaction after the write. A crash between the write and
that commit replays the batch: the upsert key (the store's id) makes the
replay update, never duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectors.base import MULTIPLE_MATCHES, REMOTE_DELETED, Connector, WriteOp, WriteResult
from core.mapping import FieldValueError, to_remote
from core.sync.local import get_row, norm, read_values
from core.sync.plan import Counts, Plan
from core.sync.state import (
    LinkContext,
    base_part,
    dead_letter,
    link_by_local,
    pending_conflict_fields,
    resolve_dead_letter,
    set_base,
)
from core.sync_models import Link, OutboxEntry

MISSING = object()


@dataclass
class Prepared:
    ops: list[WriteOp]
    outbox_ids: list[int]
    local_values: dict[str, dict[str, Any]]


def prepare(s: Session, sync: str, mapping: Any, rows: list[OutboxEntry], now: datetime,
            counts: Counts, plan: Plan | None) -> Prepared:
    """Turn outbox rows into write operations (at most one per record)."""
    latest: dict[str, OutboxEntry] = {}
    for r in rows:
        latest[r.local_id] = r
    ops: list[WriteOp] = []
    local_values: dict[str, dict[str, Any]] = {}
    lookups = LinkContext(s, mapping.connection)
    for local_id, row in latest.items():
        link = link_by_local(s, sync, local_id)
        obj = get_row(s, mapping.local_entity, local_id)
        if obj is None:
            op = _deletion(s, mapping, link)
            if op is not None:
                ops.append(op)
                if plan:
                    plan.note("out", "delete", local_id, {})
            continue
        if link is not None and link.remote_deleted:
            continue  # deleted remotely: flagged, not resurrected
        values = read_values(obj, mapping.local_entity)
        try:
            remote = to_remote(mapping, values, lookups)
        except FieldValueError as exc:
            dead_letter(s, sync=sync, direction="out", key=local_id, record={"local": values},
                        code="FieldValueError", error=str(exc), now=now)
            counts.dead_lettered += 1
            if plan:
                plan.note("out", "dead-letter", local_id, {"error": str(exc)})
            continue
        for field in pending_conflict_fields(s, sync, local_id):
            for f in mapping.outbound_fields():
                if f.local == field:
                    remote.pop(f.remote, None)  # held for a person: do not overwrite
        base = base_part(link, "remote") if link is not None else {}
        creating = link is None or link.remote_id is None
        changed = {k: v for k, v in remote.items() if creating or base.get(k, MISSING) != norm(v)}
        key_missing = mapping.upsert_key and base.get(mapping.upsert_key) != local_id
        if not changed and not key_missing and not creating:
            continue
        ops.append(WriteOp(key=local_id, fields=changed,
                           remote_id=link.remote_id if link is not None else None,
                           base_version=link.remote_version if link is not None else None))
        local_values[local_id] = values
        if plan:
            old = {k: base.get(k) for k in changed}
            plan.note("out", "create" if creating else "update", local_id,
                      {k: (old[k], norm(v)) for k, v in changed.items()})
    return Prepared(ops, [r.id for r in rows], local_values)


def _deletion(s: Session, mapping: Any, link: Link | None) -> WriteOp | None:
    if link is None:
        return None
    if link.remote_id and mapping.deletes == "propagate" and not link.remote_deleted:
        return WriteOp(key=link.local_id, fields={}, remote_id=link.remote_id,
                       base_version=link.remote_version, op="delete")
    s.delete(link)
    return None


def record_results(s: Session, sync: str, mapping: Any, prepared: Prepared,
                   batch: list[WriteOp], results: list[WriteResult], now: datetime,
                   counts: Counts, on_remote_deleted: Callable[[str], None]) -> None:
    if len(results) != len(batch):
        raise RuntimeError(f"connector answered {len(results)} results for {len(batch)} records")
    for op, res in zip(batch, results, strict=True):
        if res.error is not None and res.error.code == REMOTE_DELETED and op.remote_id:
            on_remote_deleted(op.remote_id)
            continue
        if res.error is not None:
            err = res.error
            detail = err.message + (f" (candidates: {', '.join(err.candidates)})"
                                    if err.candidates else "")
            dead_letter(s, sync=sync, direction="out", key=op.key,
                        record={"fields": dict(op.fields), "remote_id": op.remote_id,
                                "candidates": list(err.candidates)},
                        code=err.code, error=f"{mapping.remote_object}: {detail}", now=now,
                        retry=err.code != MULTIPLE_MATCHES)
            counts.dead_lettered += 1
            continue
        counts.pushed += 1
        resolve_dead_letter(s, sync, "out", op.key, now)
        link = link_by_local(s, sync, op.key)
        if op.op == "delete":
            if link is not None:
                s.delete(link)
            continue
        if link is None:
            link = Link(sync=sync, connection=mapping.connection,
                        remote_object=mapping.remote_object, entity=mapping.local_entity,
                        local_id=op.key, base={})
            s.add(link)
        link.remote_id = res.remote_id or link.remote_id
        link.remote_version = res.version or link.remote_version
        link.updated_at = now
        remote_base = base_part(link, "remote")
        remote_base.update({k: norm(v) for k, v in op.fields.items()})
        if mapping.upsert_key:
            remote_base[mapping.upsert_key] = op.key
        local_base = base_part(link, "local")
        values = prepared.local_values.get(op.key, {})
        for f in mapping.outbound_fields():
            if f.local and f.direction == "both" and f.remote in op.fields:
                local_base[f.local] = norm(values.get(f.local))
        set_base(link, local=local_base, remote=remote_base)
    s.flush()


def drain(open_tx: Callable[[], Any], sync: str, mapping: Any, connector: Connector,
          write: Callable[[list[WriteOp]], list[WriteResult]], now: Callable[[], datetime],
          counts: Counts, plan: Plan | None, step: Callable[[str], None],
          on_remote_deleted: Callable[[Session, str], None], chunk_batches: int = 5) -> None:
    """Push until the outbox of ``sync`` is empty (or only holds records that failed)."""
    batch_max = max(1, connector.batch_max)
    last_id = 0
    while True:
        with open_tx() as s:
            rows = list(s.scalars(select(OutboxEntry).where(
                OutboxEntry.sync == sync, OutboxEntry.id > last_id)
                .order_by(OutboxEntry.id).limit(batch_max * chunk_batches)))
            if not rows:
                return
            last_id = rows[-1].id
            prepared = prepare(s, sync, mapping, rows, now(), counts, plan)
            if not prepared.ops:
                s.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(prepared.outbox_ids)))
                continue
        covered = {op.key for op in prepared.ops}
        for i in range(0, len(prepared.ops), batch_max):
            batch = prepared.ops[i:i + batch_max]
            results = write(batch)
            step("after_remote_write")
            with open_tx() as s:
                record_results(s, sync, mapping, prepared, batch, results, now(), counts,
                               lambda rid, s=s: on_remote_deleted(s, rid))
                keys = {op.key for op in batch}
                done = [r for r in rows if r.local_id in keys]
                if i + batch_max >= len(prepared.ops):  # last batch: also the skipped rows
                    done += [r for r in rows if r.local_id not in covered]
                s.execute(delete(OutboxEntry).where(OutboxEntry.id.in_([r.id for r in done])))
            step("after_push_commit")
