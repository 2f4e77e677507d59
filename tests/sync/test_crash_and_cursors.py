"""Crash safety at every step boundary, and the cursor traps other tools fall into."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Customer
from core.sync.engine import run_cycle
from core.sync_models import Link, OutboxEntry
from tests.factories import customer

STEPS = ["before_cursor_commit", "after_page_commit", "after_remote_write", "after_push_commit"]


class Crash(Exception):
    pass


def crash_at(name: str, nth: int):
    seen = {"n": 0}

    def step(s: str) -> None:
        if s == name:
            seen["n"] += 1
            if seen["n"] == nth:
                raise Crash(f"{name} #{nth}")
    return step


def snapshot(hub, remote):
    with hub.session() as s:
        local = sorted(s.execute(select(Customer.name, Customer.billing_city,
                                        Customer.support_tier)).all())
        links = s.scalar(select(func.count()).select_from(Link))
    rem = sorted((f["Name"], f.get("BillingCity"), f.get("Support_Tier__c"))
                 for f in remote.all("Account").values())
    return local, rem, links


def scenario(hub, remote):
    """Local and remote both have new and edited records."""
    with hub.session() as s, s.begin():
        for i in range(7):
            customer(s, f"Local {i}", support_tier="standard")
    for i in range(5):
        remote.create("Account", {"Name": f"Remote {i}", "BillingCity": f"City {i}"})


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("nth", [1, 2])
def test_crash_at_any_step_then_replay_loses_and_duplicates_nothing(
        hub, remote, accounts, step, nth):
    accounts.connector.page_size = 3
    accounts.connector.batch_max = 4
    scenario(hub, remote)
    with pytest.raises(Crash):
        run_cycle(hub, accounts, step=crash_at(step, nth))
    for _ in range(3):
        hub.clock.advance(120)
        assert run_cycle(hub, accounts).status == "ok"
    local, rem, links = snapshot(hub, remote)
    assert len(local) == len(rem) == links == 12  # nothing lost, nothing duplicated
    assert local == rem  # both sides hold the same values
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    writes = remote.calls.counts["write"]
    hub.clock.advance(120)
    run_cycle(hub, accounts)
    assert remote.calls.counts["write"] == writes  # and it is quiet afterwards


def test_500_records_sharing_one_timestamp_across_pages(hub, remote, accounts):
    accounts.connector.page_size = 64
    t = hub.clock.now()
    for i in range(500):
        remote.create("Account", {"Name": f"Tied {i:03d}"}, modified=t)
    hub.clock.advance(300)
    r = run_cycle(hub, accounts)
    assert r.counts.created == 500
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 500
    hub.clock.advance(300)
    r = run_cycle(hub, accounts)  # reads back the upsert keys it wrote: recognised, skipped
    assert r.counts.unchanged == r.counts.pulled == 500 and r.counts.pushed == 0
    hub.clock.advance(300)
    r = run_cycle(hub, accounts)
    assert r.counts.pulled == 0  # no endless repeat at the page boundary


def test_record_visible_late_with_an_older_timestamp_is_not_missed(hub, remote, accounts):
    t0 = hub.clock.now()
    remote.create("Account", {"Name": "On time"}, modified=t0)
    hub.clock.advance(30)
    run_cycle(hub, accounts)
    # commits now, but carries a timestamp older than the record already read
    remote.create("Account", {"Name": "Late"}, modified=t0 - __import__("datetime").timedelta(
        seconds=10))
    hub.clock.advance(30)
    run_cycle(hub, accounts)
    with hub.session() as s:
        names = set(s.scalars(select(Customer.name)))
    assert names == {"On time", "Late"}


def test_records_edited_in_the_same_second_across_a_page_boundary(hub, remote, accounts):
    accounts.connector.page_size = 2
    t = hub.clock.now()
    ids = [remote.create("Account", {"Name": f"Same {i}"}, modified=t) for i in range(5)]
    hub.clock.advance(300)
    run_cycle(hub, accounts)
    hub.clock.advance(300)
    t2 = hub.clock.now()
    for i, rid in enumerate(ids):
        remote.edit("Account", rid, BillingCity=f"Town {i}", modified=t2)
    hub.clock.advance(300)
    run_cycle(hub, accounts)
    with hub.session() as s:
        cities = set(s.scalars(select(Customer.billing_city)))
    assert cities == {f"Town {i}" for i in range(5)}
