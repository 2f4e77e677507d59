"""An idle sync cycle costs the same over a small and a four-times larger store.

Counted, never timed: remote calls, SQL statements and rows loaded into the
ORM in a cycle where nothing changed, on SQLite and PostgreSQL. On SQLite
each statement's plan is also read: none may scan a whole table that grows
with the book (the derived pass once scanned every contract and ticket each
cycle, and refreshed every customer with a contract starting or ending this
week, on every cycle).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert

from connectors.memory import MemoryRemote
from core.models import Base, Contract, Customer, Ticket
from core.sync.engine import run_cycle
from tests.sync.conftest import ACCOUNTS, CONTRACTS, make_job

GROWING = ("contracts", "tickets", "customers", "sync_links")


def _book(hub: Any, first: int, n: int) -> None:
    """``n`` customers with a contract each, terms starting and ending within days of
    now (every cycle of the old derived pass refreshed them all) and an open ticket."""
    now = hub.clock.now()
    today = now.date()
    with hub.session() as s, s.begin():
        ids = s.scalars(insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                        [{"name": f"Idle {i:05d}", "updated_at": now}
                         for i in range(first, first + n)]).all()
        contract_ids = s.scalars(insert(Contract).returning(
            Contract.id, sort_by_parameter_order=True), [
            {"number": f"I-{first + k:05d}", "customer_id": cid, "kind": "support",
             "status": "active", "tier": "standard", "timezone": "Asia/Tokyo",
             "start_date": today - timedelta(days=k % 3),
             "end_date": today + timedelta(days=k % 3), "updated_at": now}
            for k, cid in enumerate(ids)]).all()
        s.execute(insert(Ticket), [
            {"key": f"IT-{first + k}", "customer_id": cid, "contract_id": kid,
             "severity": "sev3", "status": "Open", "created_at": now, "status_history": []}
            for k, (cid, kid) in enumerate(zip(ids, contract_ids, strict=True))])


def _converge(hub: Any, jobs: list[Any]) -> None:
    for _ in range(3):
        for job in jobs:
            assert run_cycle(hub, job).status == "ok"
        hub.clock.advance(120)


def _idle_cost(hub: Any, jobs: list[Any], remote: MemoryRemote) -> tuple[int, int, Counter,
                                                                        list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []
    loaded = [0]

    def on_execute(_conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any,
                   _many: bool) -> None:
        statements.append((stmt, params))

    def on_load(_target: Any, _ctx: Any) -> None:
        loaded[0] += 1

    calls_before = Counter(remote.calls.counts)
    event.listen(hub.engine, "before_cursor_execute", on_execute)
    event.listen(Base, "load", on_load, propagate=True)
    try:
        for job in jobs:
            result = run_cycle(hub, job)
            assert result.status == "ok"
            assert result.counts.pulled == result.counts.pushed == 0  # idle indeed
    finally:
        event.remove(hub.engine, "before_cursor_execute", on_execute)
        event.remove(Base, "load", on_load)
    hub.clock.advance(120)
    calls = Counter(remote.calls.counts)
    calls.subtract(calls_before)
    return len(statements), loaded[0], +calls, statements


def test_an_idle_cycle_costs_the_same_over_a_bigger_store(hub, clock):
    clock.set(clock.now().replace(hour=12))  # no midnight in any zone near the cycles
    remote = MemoryRemote(clock)
    jobs = [make_job(ACCOUNTS, remote, batch_max=200, page_size=200),
            make_job(CONTRACTS, remote, batch_max=200, page_size=200)]
    _book(hub, 0, 30)
    _converge(hub, jobs)
    small = _idle_cost(hub, jobs, remote)
    _book(hub, 30, 90)
    _converge(hub, jobs)
    big = _idle_cost(hub, jobs, remote)

    assert big[2] == small[2] == Counter({"read": 2})  # one read per synced object
    assert big[0] == small[0]  # statements
    assert big[1] == small[1] <= 20  # rows loaded: cursors, subscriptions; no customer
    if hub.engine.dialect.name == "sqlite":
        with hub.engine.connect() as conn:
            for stmt, params in big[3]:
                if not stmt.lstrip().upper().startswith("SELECT"):
                    continue
                plan = [row[-1] for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {stmt}", params)]
                scans = [p for p in plan if any(p.startswith(f"SCAN {t}") for t in GROWING)]
                assert not scans, f"{' '.join(stmt.split())}\n  scans: {scans}"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_boundary_crossed_refreshes_only_its_customer(hub, clock):
    """The narrowed derived pass still sees a contract ending at midnight in its zone."""
    from datetime import UTC, date, datetime

    from core import derived

    clock.set(datetime(2026, 3, 31, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo
    with hub.session() as s, s.begin():
        for name, end in (("Ends", date(2026, 3, 31)), ("Stays", date(2026, 4, 2))):
            cust = Customer(name=name)
            s.add(Contract(number=f"N-{name}", customer=cust, kind="support",
                           status="active", tier="premium", timezone="Asia/Tokyo",
                           start_date=date(2026, 1, 1), end_date=end))
    with hub.session() as s, s.begin():
        derived.run_pass(s, clock.now())
    with hub.session() as s:
        since = clock.now() + timedelta(minutes=10)  # after the rows were written
        assert derived.customers_due(s, since, since + timedelta(minutes=40)) == set()
        ends = s.query(Customer).filter_by(name="Ends").one().id
        assert derived.customers_due(s, since, since + timedelta(minutes=50, seconds=1)) == {ends}


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("zone, end_utc", [("Pacific/Kiritimati", (2026, 3, 31, 10)),
                                           ("Etc/GMT+12", (2026, 4, 1, 12)),
                                           ("UTC", (2026, 4, 1, 0))])
@pytest.mark.parametrize("edge", ["start", "end"])
def test_the_date_window_reaches_every_zone(hub, clock, zone, end_utc, edge):
    """A term ending 2026-03-31 (or starting 04-01) in the earliest and latest zones:
    its boundary is seen by the pass whose window holds it, and only by that one."""
    from datetime import UTC, date, datetime

    from core import derived

    boundary = datetime(*end_utc, tzinfo=UTC)
    with hub.session() as s, s.begin():
        dates = ({"start_date": date(2025, 4, 1), "end_date": date(2026, 3, 31)}
                 if edge == "end" else {"start_date": date(2026, 4, 1), "end_date": None})
        s.add(Contract(number="Z-1", customer=Customer(name="Zoned"), kind="support",
                       status="active", tier="basic", timezone=zone,
                       updated_at=datetime(2026, 1, 1, tzinfo=UTC), **dates))
    minute = timedelta(minutes=1)
    with hub.session() as s:
        assert derived.customers_due(s, boundary - 2 * minute, boundary - minute) == set()
        assert len(derived.customers_due(s, boundary - minute, boundary + minute)) == 1
        assert derived.customers_due(s, boundary, boundary + minute) == set()
