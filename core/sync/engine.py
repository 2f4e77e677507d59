"""One sync cycle: pull -> map -> reconcile -> push, with a run row for every cycle.

Pull: each page is applied in one transaction together with its new cursor,
so a crash replays at most one page and a replayed page changes nothing. A
transient failure restarts reading from the last committed cursor, through
the hub's one retry policy. Push: the outbox is drained in batches of the
connector's maximum (core.sync.push). Deletions: from the connector's
deletion feed, and from a periodic full id sweep that is only believed when
it completed -- a failed sweep, or one that would delete more than
``max_sweep_loss`` of the linked records (lost read permission looks like
that), deletes nothing.

A dry run does all of it inside one transaction that is rolled back, with a
connector whose writes are recorded instead of sent: it reads the remote
and writes nothing anywhere.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    Deletion,
    StopSync,
    WriteOp,
    WriteResult,
)
from core import derived
from core.changes import ENTITY_CLASSES
from core.hub import Hub
from core.retry import RetryPolicy, call_with_retry
from core.sync import push
from core.sync.plan import Counts, Plan
from core.sync.pull import PullContext, apply_deletion, apply_record, record_from_json
from core.sync.state import load_cursor
from core.sync_models import DeadLetter, Link, OutboxEntry, SyncRun, SyncSubscription

OWNER = f"{socket.gethostname()}:{os.getpid()}"


def _no_step(_name: str) -> None:
    return None


class CycleStopped(Exception):  # noqa: N818 -- a request, not a failure
    """Raised by a step hook to end a cycle at a safe point (the page in hand committed)."""


@dataclass
class SyncJob:
    """A configured sync, ready to run: its mapping and a connector instance."""

    name: str
    mapping: Any
    connector: Connector
    sweep_every: timedelta | None = timedelta(hours=24)
    max_sweep_loss: float = 0.5


@dataclass
class CycleResult:
    sync: str
    counts: Counts
    status: str = "ok"
    error: str | None = None
    plan: Plan | None = None
    run_id: int | None = None


@dataclass
class Cycle:
    hub: Hub
    job: SyncJob
    step: Callable[[str], None] = _no_step
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    force_sweep: bool = False
    counts: Counts = field(default_factory=Counts)
    plan: Plan | None = None
    _outer: Session | None = None

    @property
    def now(self) -> datetime:
        return self.hub.clock.now()

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One unit of work (a savepoint inside the rolled-back outer one on a dry run)."""
        if self._outer is not None:
            with self._outer.begin_nested():
                yield self._outer
            return
        s = self.hub.session(origin_sync=self.job.name)
        with s, s.begin():
            yield s

    # -- the cycle ------------------------------------------------------------
    def run(self) -> CycleResult:
        if self.dry_run:
            return self._run_dry()
        with self.tx() as s:
            run = SyncRun(sync=self.job.name, owner=OWNER, started_at=self.now)
            s.add(run)
            s.flush()
            run_id = run.id
        calls_before = self._api_calls()
        result = CycleResult(self.job.name, self.counts, run_id=run_id)
        try:
            self._cycle()
        except CycleStopped:
            result.status = "stopped"
        except (ConnectorError, ConfigError) as exc:
            result.status, result.error = "failed", exc.user_message
        except Exception as exc:  # recorded on the run row, then re-raised for the log
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
            self._close_run(run_id, result, calls_before)
            raise
        self._close_run(run_id, result, calls_before)
        return result

    def _cycle(self) -> None:
        self.prepare()
        self.retry_dead_letters()
        self.pull()
        self.refresh_derived()  # what was just pulled gets its derived fields before the push
        self.sweep_if_due()
        self.push()

    def _run_dry(self) -> CycleResult:
        self.plan = Plan(self.job.name)
        real = self.job.connector
        self.job = SyncJob(self.job.name, self.job.mapping, _DryRunConnector(real),
                           self.job.sweep_every, self.job.max_sweep_loss)
        outer = self.hub.session(origin_sync=self.job.name)
        outer.begin()
        self._outer = outer
        result = CycleResult(self.job.name, self.counts, plan=self.plan)
        try:
            self._cycle()
        except (ConnectorError, ConfigError) as exc:
            result.status, result.error = "failed", exc.user_message
        finally:
            outer.rollback()
            outer.close()
            self.job.connector = real
        return result

    def _api_calls(self) -> int:
        calls = getattr(self.job.connector, "calls", None)
        return calls.total if calls is not None else 0

    def _close_run(self, run_id: int, result: CycleResult, calls_before: int) -> None:
        self.counts.api_calls = self._api_calls() - calls_before
        with self.tx() as s:
            run = s.get(SyncRun, run_id)
            assert run is not None
            c = self.counts
            run.ended_at, run.status, run.error = self.now, result.status, result.error
            run.pulled, run.created, run.updated, run.deleted = (c.pulled, c.created, c.updated,
                                                                 c.deleted)
            run.pushed, run.conflicts, run.dead_lettered = c.pushed, c.conflicts, c.dead_lettered
            run.api_calls = c.api_calls

    # -- steps ----------------------------------------------------------------
    def prepare(self) -> None:
        """Bring derived fields up to date; on first sight, subscribe and queue every row."""
        self.refresh_derived()
        entity = self.job.mapping.local_entity
        with self.tx() as s:
            if s.get(SyncSubscription, self.job.name) is not None:
                return
            s.add(SyncSubscription(sync=self.job.name, entity=entity))
            s.flush()
            # one INSERT ... SELECT: the whole book is queued without loading a row
            # (100k ORM objects here were most of a backfill's memory)
            cls = ENTITY_CLASSES[entity]
            t = OutboxEntry.__table__
            s.execute(t.insert().from_select(
                ["sync", "entity", "local_id", "op", "created_at"],
                select(literal(self.job.name, String), literal(entity, String),
                       cast(cls.id, String), literal("upsert", String),
                       literal(self.now, t.c.created_at.type)).order_by(cls.id)))

    def refresh_derived(self) -> None:
        """In its own transaction with no origin: the changes fan out to every sync."""
        if self._outer is not None:
            derived.run_pass(self._outer, self.now)
            return
        s = self.hub.session()
        with s, s.begin():
            derived.run_pass(s, self.now)

    def pull(self) -> None:
        call_with_retry(self._pull_from_cursor, policy=self.retry, sleep=self.hub.clock.sleep)

    def _pull_from_cursor(self) -> None:
        m = self.job.mapping
        with self.tx() as s:
            cursor = dict(load_cursor(s, self.job.name).value or {})
        pages = self.job.connector.read_changes(m.remote_object, cursor or None,
                                                list(m.remote_fields()))
        for page in pages:
            with self.tx() as s:
                ctx = self._pull_context(s)
                for rec in page.records:
                    self.counts.pulled += 1
                    apply_record(ctx, rec)
                for d in page.deletions:
                    apply_deletion(ctx, d, reason="the remote's deletion feed")
                self.step("before_cursor_commit")
                cur = load_cursor(s, self.job.name)
                cur.value, cur.updated_at = dict(page.cursor), self.now
            self.step("after_page_commit")

    def _pull_context(self, s: Session) -> PullContext:
        return PullContext(self.job.name, self.job.mapping, s, self.now,
                           s.info.get("actor", "system"), self.counts, self.plan)

    def sweep_if_due(self) -> None:
        with self.tx() as s:
            state = dict(load_cursor(s, self.job.name).state or {})
        last = state.get("last_sweep")
        due = self.force_sweep or (
            self.job.sweep_every is not None and last is not None
            and self.now - datetime.fromisoformat(last) >= self.job.sweep_every)
        if last is None and not self.force_sweep:
            due = False  # first cycle: the full read just happened; start the clock
            self._mark_swept()
        if due:
            self.sweep()

    def sweep(self) -> None:
        m = self.job.mapping
        live = call_with_retry(lambda: self.job.connector.sweep_ids(m.remote_object),
                               policy=self.retry, sleep=self.hub.clock.sleep)
        with self.tx() as s:
            linked = s.execute(select(Link.remote_id).where(
                Link.sync == self.job.name, Link.remote_id.is_not(None),
                Link.remote_deleted.is_(False))).scalars().all()
            gone = [rid for rid in linked if rid not in live]
            if linked and len(gone) > self.job.max_sweep_loss * len(linked):
                raise StopSync(
                    f"sync {self.job.name}: the id sweep found {len(gone)} of {len(linked)} "
                    f"linked {m.remote_object} records missing; that looks like lost read "
                    "permission, not deletion, so nothing was deleted. Check the connection's "
                    "access, then run `contracthub sync --sweep`.")
            ctx = self._pull_context(s)
            for rid in gone:
                apply_deletion(ctx, Deletion(rid), reason="a full id sweep")
        self._mark_swept()

    def _mark_swept(self) -> None:
        with self.tx() as s:
            cur = load_cursor(s, self.job.name)
            cur.state = {**(cur.state or {}), "last_sweep": self.now.isoformat()}

    def push(self) -> None:
        def write(batch: list[WriteOp]) -> list[WriteResult]:
            m = self.job.mapping
            return call_with_retry(
                lambda: self.job.connector.write(m.remote_object, m.upsert_key, batch),
                policy=self.retry, sleep=self.hub.clock.sleep)

        def deleted(s: Session, remote_id: str) -> None:
            apply_deletion(self._pull_context(s), Deletion(remote_id),
                           reason="a write found it deleted")

        push.drain(self.tx, self.job.name, self.job.mapping, self.job.connector, write,
                   lambda: self.now, self.counts, self.plan, self.step, deleted)

    def retry_dead_letters(self) -> None:
        """Due dead letters: inbound records are applied again, outbound re-queued."""
        with self.tx() as s:
            due = s.scalars(select(DeadLetter).where(
                DeadLetter.sync == self.job.name, DeadLetter.resolved_at.is_(None),
                DeadLetter.next_retry_at.is_not(None), DeadLetter.next_retry_at <= self.now)
                .order_by(DeadLetter.id)).all()
            ctx = self._pull_context(s)
            for dl in due:
                if dl.direction == "in" and "fields" in dl.record:
                    dl.next_retry_at = None
                    apply_record(ctx, record_from_json(dl.record))
                elif dl.direction == "out":
                    dl.next_retry_at = None
                    s.add(OutboxEntry(sync=self.job.name, entity=self.job.mapping.local_entity,
                                      local_id=dl.record_key, op="upsert", created_at=self.now))


class _DryRunConnector:
    """Reads through to the real connector; writes are answered, never sent."""

    def __init__(self, real: Connector) -> None:
        self.real, self.name, self.batch_max = real, real.name, real.batch_max
        self.n = 0

    def __getattr__(self, item: str) -> Any:
        return getattr(self.real, item)

    def write(self, object_name: str, key_field: str | None,
              batch: list[WriteOp]) -> list[WriteResult]:
        out = []
        for op in batch:
            self.n += 1
            out.append(WriteResult(op.key, op.remote_id or f"(new {self.n})", "dry-run",
                                   created=op.remote_id is None))
        return out


def run_cycle(hub: Hub, job: SyncJob, **kw: Any) -> CycleResult:
    own = getattr(job, "run_cycle", None)  # an archive job runs itself (core.archive.job)
    if own is not None:
        return own(hub, **kw)  # type: ignore[no-any-return]
    return Cycle(hub, job, **kw).run()


def outbox_size(s: Session, sync: str) -> int:
    return s.scalar(select(func.count()).select_from(OutboxEntry)
                    .where(OutboxEntry.sync == sync)) or 0
