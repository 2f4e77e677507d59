"""Reading and writing the engine's own rows: links, cursors, dead letters, conflicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.changes import ENTITY_CLASSES
from core.sync_models import Conflict, Cursor, DeadLetter, Link

T = TypeVar("T")

DEAD_LETTER_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                       timedelta(hours=2), timedelta(hours=12))


class LinkContext:
    """The ``MappingContext`` lookups use: links of one connection, by entity."""

    def __init__(self, session: Session, connection: str) -> None:
        self.session, self.connection = session, connection

    def remote_id_for(self, entity: str, local_id: str) -> str | None:
        return self.session.scalar(select(Link.remote_id).where(
            Link.connection == self.connection, Link.entity == entity,
            Link.local_id == str(local_id), Link.remote_id.is_not(None)).limit(1))

    def local_id_for(self, entity: str, remote_id: str) -> str | None:
        return self.session.scalar(select(Link.local_id).where(
            Link.connection == self.connection, Link.entity == entity,
            Link.remote_id == str(remote_id)).limit(1))


    def find_local(self, entity: str, field: str, value: str) -> list[str]:
        cls = ENTITY_CLASSES[entity]
        col = getattr(cls, field)
        return [str(i) for i in self.session.scalars(
            select(cls.id).where(func.lower(col) == value.strip().lower()).limit(5))]

    def value_of(self, entity: str, local_id: str, field: str) -> str | None:
        row = self.session.get(ENTITY_CLASSES[entity], int(local_id))
        return None if row is None else getattr(row, field)


def link_by_remote(s: Session, sync: str, remote_id: str) -> Link | None:
    return s.scalar(select(Link).where(Link.sync == sync, Link.remote_id == remote_id))


def link_by_local(s: Session, sync: str, local_id: str) -> Link | None:
    return s.scalar(select(Link).where(Link.sync == sync, Link.local_id == str(local_id)))


def base_part(link: Link, part: str) -> dict[str, Any]:
    return dict((link.base or {}).get(part, {}))


def set_base(link: Link, *, local: dict[str, Any] | None = None,
             remote: dict[str, Any] | None = None) -> None:
    base = dict(link.base or {})
    if local is not None:
        base["local"] = local
    if remote is not None:
        base["remote"] = remote
    link.base = base  # a new dict, so the JSON column is seen as changed


def load_cursor(s: Session, sync: str) -> Cursor:
    cur = s.get(Cursor, sync)
    if cur is None:
        cur = Cursor(sync=sync, version=1, value={}, state={})
        s.add(cur)
        s.flush()
    return cur


def dead_letter(s: Session, *, sync: str, direction: str, key: str, record: dict[str, Any],
                code: str, error: str, now: datetime, retry: bool = True) -> DeadLetter:
    dl = s.scalar(select(DeadLetter).where(DeadLetter.sync == sync,
                                           DeadLetter.direction == direction,
                                           DeadLetter.record_key == key))
    if dl is None:
        dl = DeadLetter(sync=sync, direction=direction, record_key=key, attempts=0,
                        created_at=now)
        s.add(dl)
    _forget(s, ("dead letters", sync, direction))
    dl.attempts += 1
    dl.record, dl.error_code, dl.error = audit.jsonable(record), code, error
    dl.resolved_at = None
    step = DEAD_LETTER_BACKOFF[min(dl.attempts - 1, len(DEAD_LETTER_BACKOFF) - 1)]
    dl.next_retry_at = now + step if retry else None
    return dl


def resolve_dead_letter(s: Session, sync: str, direction: str, key: str, now: datetime) -> None:
    unresolved = _memo(s, ("dead letters", sync, direction), lambda: frozenset(s.scalars(
        select(DeadLetter.record_key).where(DeadLetter.sync == sync,
                                            DeadLetter.direction == direction,
                                            DeadLetter.resolved_at.is_(None)))))
    if unresolved is not None and key not in unresolved:
        return  # the common case: a record that never failed costs no query
    dl = s.scalar(select(DeadLetter).where(DeadLetter.sync == sync,
                                           DeadLetter.direction == direction,
                                           DeadLetter.record_key == key,
                                           DeadLetter.resolved_at.is_(None)))
    if dl is not None:
        dl.resolved_at, dl.next_retry_at = now, None


def pending_conflict_fields(s: Session, sync: str, local_id: str) -> frozenset[str]:
    def load() -> dict[str, frozenset[str]]:
        held: dict[str, set[str]] = {}
        for lid, field in s.execute(select(Conflict.local_id, Conflict.field).where(
                Conflict.sync == sync, Conflict.outcome == "pending")):
            held.setdefault(lid, set()).add(field)
        return {lid: frozenset(fields) for lid, fields in held.items()}

    held = _memo(s, ("pending conflicts", sync), load)
    if held is not None:
        return held.get(str(local_id), frozenset())
    return frozenset(s.scalars(select(Conflict.field).where(
        Conflict.sync == sync, Conflict.local_id == str(local_id),
        Conflict.outcome == "pending")))


# Per-transaction memos of the few rows every record would otherwise ask about (a
# sync's unresolved dead letters, its conflicts held for a person), so a page of
# records costs one query for them, not one per record. A memo lives as long as the
# session's root transaction and is dropped whenever this module writes such a row.
_MEMO = "core.sync.state memo"


def _memo(s: Session, key: tuple[str, ...], load: Callable[[], T]) -> T | None:
    tx = s.get_transaction()
    if tx is None:
        return None
    owner, memo = s.info.get(_MEMO, (None, {}))
    if owner is not tx:
        memo = {}
        s.info[_MEMO] = (tx, memo)
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[no-any-return]


def _forget(s: Session, key: tuple[str, ...]) -> None:
    _, memo = s.info.get(_MEMO, (None, {}))
    memo.pop(key, None)


def record_conflict(s: Session, *, sync: str, entity: str, local_id: str, remote_id: str,
                    field: str, base: Any, local: Any, remote: Any, policy: str, outcome: str,
                    now: datetime, actor: str) -> Conflict:
    c = Conflict(sync=sync, entity=entity, local_id=str(local_id), remote_id=remote_id,
                 field=field, base=base, local=local, remote=remote, policy=policy,
                 outcome=outcome, created_at=now,
                 resolved_at=None if outcome == "pending" else now)
    s.add(c)
    _forget(s, ("pending conflicts", sync))
    audit.append(s, at=now, actor=actor, action="sync.conflict", entity=entity,
                 entity_id=local_id, payload={"sync": sync, "field": field, "base": base,
                                              "local": local, "remote": remote,
                                              "policy": policy, "outcome": outcome})
    return c
