"""Applying pulled pages: match or create, three-way merge, deletions.

Every record is applied inside a savepoint, so one bad record is
dead-lettered and the rest of the page still commits (with its cursor, by
the caller, in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import Deletion, RemoteRecord, SkipRecord
from core import audit
from core.changes import ENTITY_CLASSES, ContractLocked
from core.mapping import FieldValueError, to_local
from core.sync.local import (
    LocalValueError,
    apply_values,
    create_row,
    get_row,
    norm,
    read_values,
)
from core.sync.merge import merge
from core.sync.plan import Counts, Plan
from core.sync.state import (
    LinkContext,
    base_part,
    dead_letter,
    link_by_local,
    link_by_remote,
    pending_conflict_fields,
    record_conflict,
    resolve_dead_letter,
    set_base,
)
from core.sync_models import Link, OutboxEntry

RECORD_ERRORS = (FieldValueError, LocalValueError, SkipRecord, IntegrityError, ContractLocked)


@dataclass
class PullContext:
    sync: str
    mapping: Any
    session: Session
    now: datetime
    actor: str
    counts: Counts
    plan: Plan | None = None

    @property
    def entity(self) -> str:
        return self.mapping.local_entity


def record_json(rec: RemoteRecord) -> dict[str, Any]:
    return {"id": rec.id, "version": rec.version, "fields": audit.jsonable(dict(rec.fields)),
            "modified": rec.modified.isoformat() if rec.modified else None}


def record_from_json(d: dict[str, Any]) -> RemoteRecord:
    mod = datetime.fromisoformat(d["modified"]) if d.get("modified") else None
    return RemoteRecord(d["id"], d["version"], d["fields"], mod)


def apply_record(ctx: PullContext, rec: RemoteRecord) -> None:
    s = ctx.session
    link = link_by_remote(s, ctx.sync, rec.id)
    if link is not None and link.remote_version == rec.version and not link.remote_deleted:
        ctx.counts.unchanged += 1  # our own write coming back, or a re-read
        return
    try:
        with s.begin_nested():
            _apply(ctx, rec, link)
        resolve_dead_letter(s, ctx.sync, "in", rec.id, ctx.now)
    except RECORD_ERRORS as exc:
        code = type(exc).__name__
        msg = getattr(exc, "user_message", None) or str(exc).splitlines()[0]
        dead_letter(s, sync=ctx.sync, direction="in", key=rec.id, record=record_json(rec),
                    code=code, error=f"{ctx.mapping.remote_object} {rec.id}: {msg}", now=ctx.now)
        ctx.counts.dead_lettered += 1
        if ctx.plan:
            ctx.plan.note("in", "dead-letter", rec.id, {"error": msg})


def _apply(ctx: PullContext, rec: RemoteRecord, link: Link | None) -> None:
    s, m = ctx.session, ctx.mapping
    lookups = LinkContext(s, m.connection)
    remote_in = to_local(m, rec.fields, lookups)
    obj = get_row(s, ctx.entity, link.local_id) if link is not None else None
    if link is None:
        obj, link = _pair(ctx, rec)
    if obj is None:
        obj = create_row(s, ctx.entity, {k: v for k, v in remote_in.items()})
        link = link or Link(sync=ctx.sync, connection=m.connection, remote_object=m.remote_object,
                            entity=ctx.entity, local_id=str(obj.id), base={})
        link.local_id = str(obj.id)
        s.add(link)
        ctx.counts.created += 1
        if ctx.plan:
            ctx.plan.note("in", "create", rec.id, {k: (None, norm(v)) for k, v in remote_in.items()})
        _finish(ctx, rec, link, {k: norm(v) for k, v in remote_in.items()}, push=True)
        return
    local = read_values(obj, ctx.entity)
    directions = {f.local: f.direction for f in m.inbound_fields() if f.local}
    policies = {f: m.policy_for(f) for f in directions}
    local_mod = getattr(obj, "updated_at", None)
    local_newer = None if local_mod is None or rec.modified is None else local_mod > rec.modified
    result = merge(base_part(link, "local"), local, remote_in, policies, directions,
                   local_newer=local_newer,
                   pending=pending_conflict_fields(s, ctx.sync, link.local_id))
    if result.take:
        apply_values(obj, ctx.entity, result.take)
        ctx.counts.updated += 1
        if ctx.plan:
            ctx.plan.note("in", "update", rec.id,
                          {k: (norm(local.get(k)), norm(v)) for k, v in result.take.items()})
    for c in result.conflicts:
        record_conflict(s, sync=ctx.sync, entity=ctx.entity, local_id=link.local_id,
                        remote_id=rec.id, field=c.field, base=c.base, local=c.local,
                        remote=c.remote, policy=c.policy, outcome=c.outcome, now=ctx.now,
                        actor=ctx.actor)
        ctx.counts.conflicts += 1
        if ctx.plan:
            ctx.plan.note("in", "conflict", rec.id, {c.field: (c.local, c.remote)},
                          extra=f"{c.policy} -> {c.outcome}")
    # an inbound change can alter what out-fields derive from it (a template, an
    # out-only copy of the same local field): queue a push; it diffs against the
    # remote base, so it costs a call only when some out-field really differs
    _finish(ctx, rec, link, result.base, push=result.push or bool(result.take))


def _pair(ctx: PullContext, rec: RemoteRecord) -> tuple[Any, Link | None]:
    """First sight of a remote record: is it one of ours already?

    By the upsert key (it holds the store's id, so a push that crashed before
    its local commit is recognised), then by the mapping's match field.
    """
    s, m = ctx.session, ctx.mapping
    candidates: list[Any] = []
    key = rec.fields.get(m.upsert_key) if m.upsert_key else None
    if key not in (None, "") and str(key).isdigit():
        obj = get_row(s, ctx.entity, str(key))
        if obj is not None:
            candidates.append(obj)
    if not candidates and m.match_local and rec.fields.get(m.match_remote) not in (None, ""):
        cls = ENTITY_CLASSES[ctx.entity]
        match_value = to_local(m, {m.match_remote: rec.fields[m.match_remote]},
                               LinkContext(s, m.connection)).get(m.match_local,
                                                                 rec.fields[m.match_remote])
        candidates = list(s.scalars(select(cls).where(
            getattr(cls, m.match_local) == match_value).limit(2)))
        if len(candidates) > 1:
            raise SkipRecord(f"several local {ctx.entity}s have {m.match_local}="
                             f"{match_value!r}: ids {', '.join(str(c.id) for c in candidates)}")
    if not candidates:
        return None, None
    obj = candidates[0]
    link = link_by_local(s, ctx.sync, str(obj.id))
    if link is not None and link.remote_id not in (None, rec.id):
        raise SkipRecord(f"local {ctx.entity} {obj.id} is already linked to "
                         f"{link.remote_id}; {rec.id} looks like a duplicate")
    if link is None:
        link = Link(sync=ctx.sync, connection=m.connection, remote_object=m.remote_object,
                    entity=ctx.entity, local_id=str(obj.id), base={})
        s.add(link)
    return obj, link


def _finish(ctx: PullContext, rec: RemoteRecord, link: Link, local_base: dict[str, Any], *,
            push: bool) -> None:
    link.remote_id, link.remote_version, link.remote_deleted = rec.id, rec.version, False
    remote_base = base_part(link, "remote")
    out_names = {f.remote for f in ctx.mapping.outbound_fields()} | {ctx.mapping.upsert_key}
    remote_base.update({k: norm(v) for k, v in rec.fields.items() if k in out_names})
    set_base(link, local=local_base, remote=remote_base)
    link.updated_at = ctx.now
    ctx.session.flush()
    if push:
        ctx.session.add(OutboxEntry(sync=ctx.sync, entity=ctx.entity, local_id=link.local_id,
                                    op="upsert", created_at=ctx.now))


def apply_deletion(ctx: PullContext, d: Deletion, *, reason: str) -> None:
    s, m = ctx.session, ctx.mapping
    link = link_by_remote(s, ctx.sync, d.id)
    if link is None or link.remote_deleted:
        return
    ctx.counts.deleted += 1
    if ctx.plan:
        ctx.plan.note("in", "delete", d.id, {}, extra=f"{m.deletes} ({reason})")
    if m.deletes == "propagate":
        obj = get_row(s, ctx.entity, link.local_id)
        try:
            with s.begin_nested():
                if obj is not None:
                    s.delete(obj)
                s.delete(link)
            _audit_delete(ctx, link, "deleted locally", reason)
            return
        except (IntegrityError, ContractLocked) as exc:
            ctx.counts.dead_lettered += 1
            dead_letter(s, sync=ctx.sync, direction="in", key=d.id, record={"deleted": d.id},
                        code="DELETE_REFUSED", retry=False, now=ctx.now,
                        error=f"{m.remote_object} {d.id} was deleted remotely, but local "
                              f"{ctx.entity} {link.local_id} cannot be: "
                              f"{str(exc).splitlines()[0]}")
            link = link_by_remote(s, ctx.sync, d.id) or link
    link.remote_deleted = True
    link.updated_at = ctx.now
    if m.deletes == "flag":
        _audit_delete(ctx, link, "flagged", reason)


def _audit_delete(ctx: PullContext, link: Link, what: str, reason: str) -> None:
    audit.append(ctx.session, at=ctx.now, actor=ctx.actor, action="sync.remote_deleted",
                 entity=ctx.entity, entity_id=link.local_id,
                 payload={"sync": ctx.sync, "remote_id": link.remote_id, "handled": what,
                          "detected_by": reason})
