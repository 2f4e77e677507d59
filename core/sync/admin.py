"""Looking after running syncs: status, dead letters, conflicts.

Store-facing functions shared by the CLI (``contracthub status``,
``deadletters``, ``conflicts``) and any later HTTP API. They take a ``Hub``
(its clock and actor are used for every change), return plain JSON-ready
dicts, and raise ``AdminError`` for something the caller asked that cannot
be done (an unknown or already-resolved id).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.hub import Hub
from core.sync.local import LOCAL_FIELDS, apply_values, get_row, norm
from core.sync_models import Conflict, DeadLetter, Link, OutboxEntry, SyncRun

TAKES = ("local", "remote")


class AdminError(LookupError):
    """A request about sync state that cannot be carried out (one line for the user)."""


def _iso(value: Any) -> str | None:
    return audit.jsonable(value) if value is not None else None


def run_dict(r: SyncRun) -> dict[str, Any]:
    return {"id": r.id, "sync": r.sync, "started_at": _iso(r.started_at),
            "ended_at": _iso(r.ended_at), "status": r.status, "pulled": r.pulled,
            "created": r.created, "updated": r.updated, "deleted": r.deleted,
            "pushed": r.pushed, "conflicts": r.conflicts, "dead_lettered": r.dead_lettered,
            "api_calls": r.api_calls, "error": r.error}


def dead_letter_dict(d: DeadLetter) -> dict[str, Any]:
    return {"id": d.id, "sync": d.sync, "direction": d.direction, "record_key": d.record_key,
            "error_code": d.error_code, "error": d.error, "attempts": d.attempts,
            "next_retry_at": _iso(d.next_retry_at), "created_at": _iso(d.created_at),
            "resolved_at": _iso(d.resolved_at)}


def conflict_dict(c: Conflict) -> dict[str, Any]:
    return {"id": c.id, "sync": c.sync, "entity": c.entity, "local_id": c.local_id,
            "remote_id": c.remote_id, "field": c.field, "base": c.base, "local": c.local,
            "remote": c.remote, "policy": c.policy, "outcome": c.outcome,
            "created_at": _iso(c.created_at), "resolved_at": _iso(c.resolved_at)}


# -- dead letters ---------------------------------------------------------------
def list_dead_letters(hub: Hub, *, sync: str | None = None, include_resolved: bool = False
                      ) -> list[dict[str, Any]]:
    with hub.session() as s:
        q = select(DeadLetter).order_by(DeadLetter.id)
        if sync:
            q = q.where(DeadLetter.sync == sync)
        if not include_resolved:
            q = q.where(DeadLetter.resolved_at.is_(None))
        return [dead_letter_dict(d) for d in s.scalars(q)]


def replayable(d: DeadLetter) -> bool:
    """Can a cycle retry it? Outbound ones are pushed again, inbound ones applied again
    from the record they hold; a refused remote deletion holds no record to apply."""
    return d.direction == "out" or "fields" in (d.record or {})


def dead_letters_to_replay(hub: Hub, ids: Iterable[int] = (), *, all_open: bool = False
                           ) -> list[dict[str, Any]]:
    """The open dead letters ``ids`` (or all open replayable ones); AdminError for an
    unknown, resolved or unreplayable id, or for nothing asked."""
    wanted = sorted(set(ids))
    if not wanted and not all_open:
        raise AdminError("name the dead letters to replay (IDs), or use --all")
    with hub.session() as s:
        if all_open:
            rows = [d for d in s.scalars(select(DeadLetter)
                                         .where(DeadLetter.resolved_at.is_(None))
                                         .order_by(DeadLetter.id)) if replayable(d)]
        else:
            found = {d.id: d for d in s.scalars(select(DeadLetter)
                                                .where(DeadLetter.id.in_(wanted)))}
            missing = [str(i) for i in wanted if i not in found]
            if missing:
                raise AdminError(f"no dead letter with id {', '.join(missing)}")
            done = [str(i) for i in wanted if found[i].resolved_at is not None]
            if done:
                raise AdminError(f"dead letter {', '.join(done)} is already resolved")
            stuck = [str(i) for i in wanted if not replayable(found[i])]
            if stuck:
                raise AdminError(f"dead letter {', '.join(stuck)} cannot be replayed: "
                                 f"{found[int(stuck[0])].error} (fix it in the store)")
            rows = [found[i] for i in wanted]
        return [dead_letter_dict(d) for d in rows]


def mark_due(hub: Hub, ids: Iterable[int]) -> int:
    """Make dead letters due now (the next cycle of their sync retries them)."""
    id_list = list(ids)
    now = hub.clock.now()
    with hub.session() as s, s.begin():
        rows = list(s.scalars(select(DeadLetter).where(DeadLetter.id.in_(id_list))))
        for d in rows:
            d.next_retry_at, d.resolved_at = now, None
        return len(rows)


# -- conflicts ------------------------------------------------------------------
def list_conflicts(hub: Hub, *, include_resolved: bool = False, sync: str | None = None
                   ) -> list[dict[str, Any]]:
    with hub.session() as s:
        q = select(Conflict).order_by(Conflict.id)
        if not include_resolved:
            q = q.where(Conflict.outcome == "pending")
        if sync:
            q = q.where(Conflict.sync == sync)
        return [conflict_dict(c) for c in s.scalars(q)]


def resolve_conflict(hub: Hub, conflict_id: int, take: str) -> dict[str, Any]:
    """Settle a pending conflict by a person's choice.

    ``remote``: the conflict's remote value is written to the local row (the
    change fans out to other syncs through the outbox like any local edit);
    ``local``: the record is queued on the conflict's sync so the local value
    is pushed. Either way the conflict is closed and an audit event written.
    """
    if take not in TAKES:
        raise AdminError(f"--take must be local or remote, not {take!r}")
    with hub.session() as s, s.begin():
        c = s.get(Conflict, conflict_id)
        if c is None:
            raise AdminError(f"no conflict with id {conflict_id}")
        if c.outcome != "pending" or c.resolved_at is not None:
            raise AdminError(f"conflict {conflict_id} is already resolved "
                             f"(outcome {c.outcome})")
        now, actor = hub.clock.now(), hub.config.actor
        obj = get_row(s, c.entity, c.local_id) if c.entity in LOCAL_FIELDS else None
        if obj is None:
            raise AdminError(f"conflict {conflict_id}: local {c.entity} {c.local_id} no longer "
                             "exists")
        current = norm(getattr(obj, c.field, None))
        if take == "remote":
            apply_values(obj, c.entity, {c.field: c.remote})
        else:
            s.add(OutboxEntry(sync=c.sync, entity=c.entity, local_id=c.local_id, op="upsert",
                              created_at=now))
        c.outcome, c.resolved_at = take, now
        value = c.remote if take == "remote" else current
        audit.append(s, at=now, actor=actor, action="sync.conflict_resolved", entity=c.entity,
                     entity_id=c.local_id,
                     payload={"conflict": c.id, "sync": c.sync, "field": c.field,
                              "take": take, "value": value, "local": c.local,
                              "remote": c.remote, "remote_id": c.remote_id})
        s.flush()
        return conflict_dict(c) | {"value": value}


# -- status ---------------------------------------------------------------------
def _count_by_sync(s: Session, model: Any, *where: Any) -> dict[str, int]:
    q = select(model.sync, func.count()).group_by(model.sync)
    for w in where:
        q = q.where(w)
    return {name: n for name, n in s.execute(q).all()}


def status(hub: Hub, *, first: int = 5) -> dict[str, Any]:
    """Per sync: last run, outbox backlog, open dead letters, pending conflicts,
    flagged remote deletions; then the first few open dead letters and conflicts."""
    configured = [x.name for x in hub.config.syncs]
    with hub.session() as s:
        last_ids = s.execute(select(func.max(SyncRun.id)).group_by(SyncRun.sync)).scalars()
        last = {r.sync: r for r in s.scalars(select(SyncRun).where(SyncRun.id.in_(list(
            last_ids))))}
        outbox = _count_by_sync(s, OutboxEntry)
        dead = _count_by_sync(s, DeadLetter, DeadLetter.resolved_at.is_(None))
        pending = _count_by_sync(s, Conflict, Conflict.outcome == "pending")
        flagged = _count_by_sync(s, Link, Link.remote_deleted.is_(True))
        names = list(dict.fromkeys(configured + sorted(
            set(last) | set(outbox) | set(dead) | set(pending) | set(flagged))))
        syncs = [{"name": n, "configured": n in configured,
                  "last_run": run_dict(last[n]) if n in last else None,
                  "outbox": outbox.get(n, 0), "dead_letters": dead.get(n, 0),
                  "conflicts": pending.get(n, 0), "remote_deleted": flagged.get(n, 0)}
                 for n in names]
        first_dead = [dead_letter_dict(d) for d in s.scalars(
            select(DeadLetter).where(DeadLetter.resolved_at.is_(None))
            .order_by(DeadLetter.id).limit(first))]
        first_conflicts = [conflict_dict(c) for c in s.scalars(
            select(Conflict).where(Conflict.outcome == "pending")
            .order_by(Conflict.id).limit(first))]
        unentitled = tickets_without_entitlement(s, first)
    return {"syncs": syncs, "dead_letters": {"open": sum(dead.values()), "first": first_dead},
            "conflicts": {"pending": sum(pending.values()), "first": first_conflicts},
            "tickets_without_entitlement": unentitled}


def tickets_without_entitlement(s: Session, first: int) -> dict[str, Any]:
    """Tickets flagged "no entitlement found": no customer matched, or none in force."""
    from core.models import Customer, Ticket
    from core.sla import NO_ENTITLEMENT

    flagged = Ticket.coverage == NO_ENTITLEMENT
    count = s.scalar(select(func.count()).select_from(Ticket).where(flagged)) or 0
    rows = s.execute(select(Ticket.key, Customer.name).outerjoin(
        Customer, Customer.id == Ticket.customer_id).where(flagged)
        .order_by(Ticket.created_at.desc(), Ticket.key).limit(first)).all()
    return {"count": count, "first": [
        {"key": key, "customer": name,
         "reason": "no contract in force" if name else "customer not determined"}
        for key, name in rows]}
