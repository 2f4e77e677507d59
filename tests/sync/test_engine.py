"""Two-way sync against the in-memory remote: flows, echoes, conflicts, deletions, dead letters."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import select

from connectors.base import RateLimited, RetryLater
from core.models import AuditEvent, Contract, Customer
from core.sync.engine import run_cycle
from core.sync_models import Conflict, DeadLetter, Link, OutboxEntry, SyncRun
from tests.factories import contract, customer


def seed(hub, n_customers=1, contracts_each=1):
    with hub.session() as s, s.begin():
        for i in range(n_customers):
            c = customer(s, f"Customer {i}", domain=f"c{i}.example")
            for j in range(contracts_each):
                contract(s, c, f"C-{i}-{j}")


def by_name(remote, obj, field, value):
    [rid] = [rid for rid, f in remote.all(obj).items() if f.get(field) == value]
    return rid


def test_local_records_are_pushed_once_and_do_not_echo(hub, remote, accounts, contracts, cycle):
    seed(hub, 3, 2)
    cycle(accounts)
    cycle(contracts)
    assert len(remote.all("Account")) == 3 and len(remote.all("Contract")) == 6
    acme = remote.all("Account")[by_name(remote, "Account", "Name", "Customer 0")]
    c00 = remote.all("Contract")[by_name(remote, "Contract", "ContractNumber", "C-0-0")]
    assert c00["AccountId"] == by_name(remote, "Account", "Name", "Customer 0")
    assert c00["Status"] == "Activated" and c00["Description"] == "C-0-0 (support)"
    assert acme["ContractHub_Id__c"].isdigit()
    writes = remote.calls.counts.get("write", 0)
    hub.clock.advance(600)
    for job in (accounts, contracts, accounts, contracts):
        r = cycle(job)
        assert r.counts.updated == r.counts.created == r.counts.pushed == 0
    assert remote.calls.counts.get("write", 0) == writes  # zero echo writes


def test_remote_edits_flow_in_and_local_edits_flow_out(hub, remote, accounts, cycle):
    seed(hub)
    cycle(accounts)
    rid = by_name(remote, "Account", "Name", "Customer 0")
    hub.clock.advance(120)
    remote.edit("Account", rid, BillingCity="Leeds", OwnerName="dana")
    cycle(accounts)
    with hub.session() as s:
        c = s.scalar(select(Customer))
        assert (c.billing_city, c.owner) == ("Leeds", "dana")
    with hub.session() as s, s.begin():
        s.scalar(select(Customer)).domain = "moved.example"
    hub.clock.advance(120)
    writes = remote.calls.counts["write"]
    cycle(accounts)
    assert remote.get("Account", rid)["Domain__c"] == "moved.example"
    assert remote.calls.counts["write"] == writes + 1


def test_records_created_remotely_are_created_locally_and_stamped(hub, remote, accounts, cycle):
    rid = remote.create("Account", {"Name": "Newco", "Domain__c": "newco.example"})
    cycle(accounts)
    with hub.session() as s:
        c = s.scalar(select(Customer).where(Customer.name == "Newco"))
        assert c.domain == "newco.example"
    # the store's id is written back to the upsert key, so a replay can never duplicate
    assert remote.get("Account", rid)["ContractHub_Id__c"] == str(c.id)


def test_first_sync_pairs_existing_records_by_match_field(hub, remote, accounts, cycle):
    seed(hub)
    rid = remote.create("Account", {"Name": "Customer 0", "BillingCity": "York"})
    cycle(accounts)
    assert list(remote.all("Account")) == [rid]  # paired, not duplicated
    with hub.session() as s:
        assert s.scalar(select(Customer)).billing_city == "York"


@pytest.mark.parametrize("policy, expected_local, expected_remote", [
    ("store_wins", "local-name", "local-name"),
    ("remote_wins", "remote-name", "remote-name"),
    ("newest_wins", "remote-name", "remote-name"),
])
def test_same_field_conflict_follows_policy_and_is_audited(
        hub, remote, cycle, policy, expected_local, expected_remote):
    from tests.sync.conftest import ACCOUNTS, make_job
    job = make_job(ACCOUNTS.replace("conflict_policy: store_wins", f"conflict_policy: {policy}"),
                   remote)
    seed(hub)
    cycle(job)
    rid = by_name(remote, "Account", "Name", "Customer 0")
    hub.clock.advance(60)
    with hub.session() as s, s.begin():
        s.scalar(select(Customer)).name = "local-name"
    hub.clock.advance(60)  # the remote edit is newer
    remote.edit("Account", rid, Name="remote-name")
    hub.clock.advance(120)
    r = cycle(job)
    assert r.counts.conflicts == 1
    with hub.session() as s:
        assert s.scalar(select(Customer)).name == expected_local
        conflict = s.scalar(select(Conflict))
        assert (conflict.field, conflict.local, conflict.remote, conflict.policy) == (
            "name", "local-name", "remote-name", policy)
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.conflict"))
        assert ev.payload["field"] == "name" and ev.payload["policy"] == policy
    assert remote.get("Account", rid)["Name"] == expected_remote


def test_manual_conflicts_are_held_and_never_overwritten(hub, remote, accounts, contracts, cycle):
    seed(hub)
    cycle(accounts)
    cycle(contracts)
    rid = by_name(remote, "Contract", "ContractNumber", "C-0-0")
    hub.clock.advance(60)
    with hub.session() as s, s.begin():
        s.scalar(select(Contract)).status = "terminated"
    remote.edit("Contract", rid, Status="Expired")
    hub.clock.advance(120)
    cycle(contracts)
    cycle(contracts)
    with hub.session() as s:
        assert s.scalar(select(Contract)).status == "terminated"
        [c] = s.scalars(select(Conflict)).all()  # held once, not re-recorded each cycle
        assert (c.outcome, c.local, c.remote) == ("pending", "terminated", "expired")
    assert remote.get("Contract", rid)["Status"] == "Expired"  # not overwritten either


def test_bad_remote_value_is_dead_lettered_and_the_page_still_commits(
        hub, remote, accounts, contracts, cycle):
    seed(hub, 2)
    cycle(accounts)
    cycle(contracts)
    bad = by_name(remote, "Contract", "ContractNumber", "C-0-0")
    good = by_name(remote, "Contract", "ContractNumber", "C-1-0")
    hub.clock.advance(60)
    remote.edit("Contract", bad, Status="Negotiating", Tier__c="premium")
    remote.edit("Contract", good, Tier__c="enterprise")
    hub.clock.advance(120)
    r = cycle(contracts)
    assert r.counts.dead_lettered == 1
    with hub.session() as s:
        tiers = dict(s.execute(select(Contract.number, Contract.tier)).all())
        assert tiers == {"C-0-0": "standard", "C-1-0": "enterprise"}
        dl = s.scalar(select(DeadLetter))
        assert dl.direction == "in" and dl.record_key == bad
        assert "status" in dl.error and "'Negotiating'" in dl.error
        assert dl.next_retry_at is not None
    # fixed remotely: the next read applies it and resolves the dead letter
    hub.clock.advance(60)
    remote.edit("Contract", bad, Status="Activated")
    hub.clock.advance(120)
    cycle(contracts)
    with hub.session() as s:
        assert s.scalar(select(Contract).where(Contract.number == "C-0-0")).tier == "premium"
        assert s.scalar(select(DeadLetter)).resolved_at is not None


def test_several_remote_matches_are_dead_lettered_with_candidates(hub, remote, accounts):
    from core.sync.engine import Cycle

    seed(hub)
    with hub.session() as s:
        cid = str(s.scalar(select(Customer.id)))
    a = remote.create("Account", {"Name": "dup A", "ContractHub_Id__c": cid})
    b = remote.create("Account", {"Name": "dup B", "ContractHub_Id__c": cid})
    cycle = Cycle(hub, accounts)
    cycle.prepare()
    cycle.push()  # the upsert by key meets two records
    with hub.session() as s:
        dl = s.scalar(select(DeadLetter).where(DeadLetter.direction == "out"))
        assert dl.error_code == "MULTIPLE_MATCHES" and dl.next_retry_at is None
        assert sorted(dl.record["candidates"]) == sorted([a, b])
        assert a in dl.error and b in dl.error
    assert len(remote.all("Account")) == 2  # never guessed, never a third
    cycle.pull()  # reading them: the second is refused as a duplicate of the first
    with hub.session() as s:
        dl_in = s.scalar(select(DeadLetter).where(DeadLetter.direction == "in"))
        assert dl_in.record_key == b and "looks like a duplicate" in dl_in.error


def test_remote_deletion_flag_and_propagate(hub, remote, accounts, contracts, cycle):
    seed(hub, 2)
    cycle(accounts)
    cycle(contracts)
    acc = by_name(remote, "Account", "Name", "Customer 0")
    con = by_name(remote, "Contract", "ContractNumber", "C-1-0")
    remote.delete("Account", acc)
    remote.delete("Contract", con)
    cycle(accounts, force_sweep=True)
    cycle(contracts, force_sweep=True)
    with hub.session() as s:
        assert s.scalar(select(Customer).where(Customer.name == "Customer 0")) is not None
        flagged = s.scalar(select(Link).where(Link.remote_id == acc))
        assert flagged.remote_deleted  # flag: kept locally, flagged
        assert s.scalar(select(Contract).where(Contract.number == "C-1-0")) is None  # propagate
        actions = s.scalars(select(AuditEvent.action)).all()
        assert actions.count("sync.remote_deleted") == 2
    # a flagged record is not resurrected by later local edits
    with hub.session() as s, s.begin():
        s.scalar(select(Customer).where(Customer.name == "Customer 0")).owner = "x"
    cycle(accounts)
    assert acc not in remote.all("Account") and len(remote.all("Account")) == 1


def test_failed_or_suspicious_sweeps_delete_nothing(hub, remote, accounts, cycle):
    seed(hub, 4)
    cycle(accounts)
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    remote.fail_next("sweep", RetryLater("sweep timed out"))
    r = run_cycle(hub, accounts, force_sweep=True)
    assert r.status == "failed" and "sweep timed out" in r.error
    for rid in list(remote.all("Account"))[:3]:  # 3 of 4 vanish: lost permission, not deletion
        remote.rows["Account"].pop(rid)
    r = run_cycle(hub, accounts, force_sweep=True)
    assert r.status == "failed" and "lost read permission" in r.error
    with hub.session() as s:
        assert not s.scalars(select(Link).where(Link.remote_deleted.is_(True))).all()


def test_push_costs_exactly_ceil_n_over_batch_max_write_calls(hub, remote, accounts, cycle):
    seed(hub, 137)
    writes0 = remote.calls.counts.get("write", 0)
    cycle(accounts)
    assert remote.calls.counts["write"] - writes0 == math.ceil(137 / 50)
    with hub.session() as s, s.begin():
        for c in s.scalars(select(Customer)).all()[:101]:
            c.domain = f"new-{c.id}.example"
    hub.clock.advance(600)
    writes1 = remote.calls.counts["write"]
    cycle(accounts)
    assert remote.calls.counts["write"] - writes1 == math.ceil(101 / 50)


def test_rate_limits_wait_exactly_retry_after(hub, remote, accounts, cycle):
    seed(hub, 3)
    remote.fail_next("write", RateLimited("slow down", retry_after=7))
    remote.fail_next("read", RateLimited("slow down", retry_after=3))
    cycle(accounts)
    assert hub.clock.sleeps == [3.0, 7.0]
    assert len(remote.all("Account")) == 3


def test_every_cycle_writes_a_run_row(hub, remote, accounts, cycle):
    seed(hub, 2)
    cycle(accounts)
    for _ in range(6):
        remote.fail_next("read", RetryLater("503"))
    run_cycle(hub, accounts)
    with hub.session() as s:
        runs = s.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert [(r.status, r.pushed) for r in runs] == [("ok", 2), ("failed", 0)]
    assert runs[0].api_calls >= 2 and runs[1].error == "503" and runs[1].ended_at


def test_dry_run_reads_but_writes_nothing_anywhere(hub, remote, accounts, cycle):
    seed(hub, 3)
    rid = remote.create("Account", {"Name": "Remote only"})
    result = run_cycle(hub, accounts, dry_run=True)
    totals = result.plan.totals()
    assert totals[("out", "create")] == 3 and totals[("in", "create")] == 1
    create = next(c for c in result.plan.changes if c.direction == "out")
    assert create.diff["Name"] == (None, "Customer 0")
    assert list(remote.all("Account")) == [rid] and "write" not in remote.calls.counts
    with hub.session() as s:
        assert s.scalar(select(Customer).where(Customer.name == "Remote only")) is None
        assert s.scalars(select(SyncRun)).all() == []
        assert s.scalars(select(Link)).all() == []


def test_local_deletion_propagates_when_configured(hub, remote, accounts, contracts, cycle):
    seed(hub, 1, 2)
    cycle(accounts)
    cycle(contracts)
    with hub.session() as s, s.begin():
        s.delete(s.scalar(select(Contract).where(Contract.number == "C-0-1")))
    cycle(contracts)
    assert sorted(f["ContractNumber"] for f in remote.all("Contract").values()) == ["C-0-0"]
    with hub.session() as s:
        assert s.scalars(select(OutboxEntry).where(OutboxEntry.sync == "mem_contracts")).all() == []


def test_outbound_value_that_cannot_map_is_dead_lettered_then_retried(
        hub, remote, accounts, contracts, cycle):
    seed(hub)
    cycle(contracts)  # before accounts: the customer has no remote id yet
    with hub.session() as s:
        dl = s.scalar(select(DeadLetter))
        assert dl.direction == "out" and "customer_id" in dl.error
    cycle(accounts)
    hub.clock.advance(600)  # past the dead letter's backoff
    cycle(contracts)
    with hub.session() as s:
        assert s.scalar(select(DeadLetter)).resolved_at is not None
    assert len(remote.all("Contract")) == 1


def test_contract_dates_round_trip(hub, remote, accounts, contracts, cycle):
    seed(hub)
    cycle(accounts)
    cycle(contracts)
    rid = by_name(remote, "Contract", "ContractNumber", "C-0-0")
    hub.clock.advance(60)
    remote.edit("Contract", rid, EndDate="2027-03-31")
    hub.clock.advance(120)
    cycle(contracts)
    with hub.session() as s:
        assert s.scalar(select(Contract)).end_date == date(2027, 3, 31)


def test_a_write_to_a_remotely_deleted_record_never_resurrects_it(hub, remote, accounts, cycle):
    seed(hub)
    cycle(accounts)
    rid = by_name(remote, "Account", "Name", "Customer 0")
    remote.delete("Account", rid)
    with hub.session() as s, s.begin():
        s.scalar(select(Customer)).domain = "moved.example"  # pushed before any sweep
    hub.clock.advance(120)
    cycle(accounts)
    assert remote.all("Account") == {}  # not re-created by an upsert
    with hub.session() as s:
        assert s.scalar(select(Link)).remote_deleted
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.remote_deleted"))
        assert ev.payload["detected_by"] == "a write found it deleted"
