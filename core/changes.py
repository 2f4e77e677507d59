"""What happens in the same transaction as every change to the store.

A ``before_flush`` hook, so no code path can forget it:
- every create/update/delete of a contract appends an audit event (with the
  changed fields, old and new) -- a status change is its own action;
- a locked (executed) contract refuses changes to its terms: later changes
  must be amendments;
- every change to a synced entity writes one outbox row per sync that
  consumes that entity, except the sync the change came from (its echo).

Session ``info`` carries the context: ``clock``, ``actor`` and, for changes
applied by the sync engine, ``origin_sync``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from core import audit
from core.clock import SystemClock
from core.models import Contract, Customer, Document, Ticket
from core.sync_models import OutboxEntry, SyncSubscription

ENTITY_CLASSES: dict[str, type] = {"customer": Customer, "contract": Contract,
                                   "ticket": Ticket, "document": Document}
ENTITY_OF = {cls: name for name, cls in ENTITY_CLASSES.items()}
MUTABLE_WHEN_LOCKED = frozenset({"status", "auto_renew", "renewal_notice_days", "updated_at",
                                 "description"})
_SYSTEM_CLOCK = SystemClock()


class ContractLocked(Exception):
    """An executed contract's terms cannot change; draft an amendment instead."""


def changed_fields(obj: Any) -> dict[str, tuple[Any, Any]]:
    state = inspect(obj)
    out: dict[str, tuple[Any, Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                out[attr.key] = (old, new)
    return out


def _contract_events(session: Session, now: Any, actor: str) -> None:
    for obj in list(session.new):
        if isinstance(obj, Contract):
            audit.append(session, at=now, actor=actor, action="contract.created",
                         entity="contract", entity_id=obj.number,
                         payload={"kind": obj.kind, "status": obj.status,
                                  "customer": obj.customer.name if obj.customer else None,
                                  "start_date": obj.start_date, "end_date": obj.end_date})
    for obj in list(session.dirty):
        if not isinstance(obj, Contract) or not session.is_modified(obj):
            continue
        changes = changed_fields(obj)
        if not changes:
            continue
        if obj.locked and "locked" not in changes:
            forbidden = sorted(set(changes) - MUTABLE_WHEN_LOCKED)
            if forbidden:
                raise ContractLocked(
                    f"contract {obj.number} is executed and locked; cannot change "
                    f"{', '.join(forbidden)} (draft an amendment instead)")
        action = "contract.status_changed" if set(changes) - {"updated_at"} == {"status"} \
            else "contract.updated"
        audit.append(session, at=now, actor=actor, action=action, entity="contract",
                     entity_id=obj.number,
                     payload={"changes": {k: [o, n] for k, (o, n) in changes.items()
                                          if k != "updated_at"}})
    for obj in list(session.deleted):
        if isinstance(obj, Contract):
            if obj.locked:
                raise ContractLocked(f"contract {obj.number} is executed and cannot be deleted")
            audit.append(session, at=now, actor=actor, action="contract.deleted",
                         entity="contract", entity_id=obj.number, payload={})


def _outbox(session: Session, now: Any) -> None:
    origin = session.info.get("origin_sync")
    touched: dict[str, list[tuple[Any, str]]] = {}
    for op, objs in (("upsert", session.new), ("upsert", session.dirty),
                     ("delete", session.deleted)):
        for obj in objs:
            entity = ENTITY_OF.get(type(obj))
            if entity is None or (op == "upsert" and obj in session.dirty
                                  and not session.is_modified(obj)):
                continue
            touched.setdefault(entity, []).append((obj, op))
    if not touched:
        return
    with session.no_autoflush:
        subs = session.execute(select(SyncSubscription.sync, SyncSubscription.entity)
                               .where(SyncSubscription.entity.in_(list(touched)))).all()
    pending: list[tuple[Any, str, str]] = []
    for sync, entity in subs:
        if sync == origin:
            continue
        for obj, op in touched[entity]:
            pending.append((obj, sync, op))
    if pending:
        session.info.setdefault("_outbox_pending", []).extend(pending)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    clock = session.info.get("clock") or _SYSTEM_CLOCK
    now = clock.now()
    actor = session.info.get("actor", "system")
    for obj in list(session.new) + list(session.dirty):
        if type(obj) in ENTITY_OF and hasattr(obj, "updated_at") and (
                obj in session.new or session.is_modified(obj)):
            obj.updated_at = now
    _contract_events(session, now, actor)
    # pending rows of a flush that failed (its savepoint rolled back) never got ids:
    # left here they would become outbox rows for local id "None" at the next flush
    session.info.pop("_outbox_pending", None)
    _outbox(session, now)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    """New rows have ids only now: turn the pending changes into outbox rows."""
    pending = session.info.pop("_outbox_pending", [])
    if pending:
        now = (session.info.get("clock") or _SYSTEM_CLOCK).now()
        session.info["_outbox_rows"] = [
            OutboxEntry(sync=sync, entity=ENTITY_OF[type(obj)], local_id=str(obj.id), op=op,
                        created_at=now) for obj, sync, op in pending if obj.id is not None]


@event.listens_for(Session, "after_flush_postexec")
def _after_flush_postexec(session: Session, _ctx: Any) -> None:
    """Rows added here are flushed by the same commit (its flush loop)."""
    session.add_all(session.info.pop("_outbox_rows", []))
