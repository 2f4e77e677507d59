"""The engine with the Salesforce connector: two-way edits, conflicts, deletions, many matches.

Syncs are built from a contracthub.yaml with the shipped mappings (SQLite and
PostgreSQL), the emulator over HTTPS, one fake clock for everything.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.models import AuditEvent, Contract, Customer
from core.sync.engine import run_cycle
from core.sync_models import Conflict, DeadLetter, Link
from tests.salesforce.conftest import cycle, seed, sync_all

KEY = "ContractHub_Id__c"


def remote(emu, obj: str, local_id: int) -> dict:
    [rid] = emu.store.match_external(obj, KEY, str(local_id))
    return emu.store.get(obj, rid)


def local(hub, cls, **where):
    with hub.session() as s:
        return s.scalar(select(cls).filter_by(**where))


def test_edits_on_both_sides_converge(sf_hub, jobs, salesforce_sandbox):
    emu, clock = salesforce_sandbox, sf_hub.clock
    seed(sf_hub, 4, 2)
    sync_all(sf_hub, jobs)
    c0, c1 = local(sf_hub, Customer, name="Customer 0000"), local(sf_hub, Customer,
                                                                 name="Customer 0001")
    k0 = local(sf_hub, Contract, number="C-0000-0")
    k1 = local(sf_hub, Contract, number="C-0001-1")
    # in Salesforce: an address and a moved renewal date
    emu.store.update("Account", remote(emu, "Account", c0.id)["Id"],
                     {"BillingCity": "Leeds", "BillingCountry": "UK"})
    emu.store.update("Contract", remote(emu, "Contract", k0.id)["Id"],
                     {"Renewal_Date__c": date(2027, 6, 30)})
    clock.advance(30)
    # in the hub: a name, a tier and a status
    with sf_hub.session() as s, s.begin():
        s.get(Customer, c1.id).name = "Customer One Ltd"
        contract = s.get(Contract, k1.id)
        contract.tier, contract.status = "enterprise", "expired"
    clock.advance(120)
    sync_all(sf_hub, jobs, rounds=2)

    c0 = local(sf_hub, Customer, id=c0.id)
    assert (c0.billing_city, c0.billing_country) == ("Leeds", "UK")
    assert local(sf_hub, Contract, id=k0.id).end_date == date(2027, 6, 30)
    # the moved date also moves the customer's renewal date, pushed to the Account
    assert remote(emu, "Account", c0.id)["Renewal_Date__c"] == c0.renewal_date
    assert remote(emu, "Account", c1.id)["Name"] == "Customer One Ltd"
    r1 = remote(emu, "Contract", k1.id)
    assert (r1["Support_Tier__c"], r1["Status"]) == ("Enterprise", "Activated")
    assert r1["Description"] == "C-0001-1 (support, expired)"
    assert local(sf_hub, Contract, id=k1.id).status == "expired"  # not flipped back
    # converged: another round changes nothing on either side
    clock.advance(600)
    writes = len(emu.calls.matching(r"(PATCH|POST|DELETE) .*composite.*"))
    for name in ("sf_accounts", "sf_contracts"):
        r = cycle(sf_hub, jobs[name])
        assert r.counts.pushed == r.counts.updated == r.counts.created == 0
    assert len(emu.calls.matching(r"(PATCH|POST|DELETE) .*composite.*")) == writes


def test_a_same_field_conflict_follows_the_policy_and_is_audited(sf_hub, jobs,
                                                                salesforce_sandbox):
    emu, clock = salesforce_sandbox, sf_hub.clock
    seed(sf_hub, 2, 1)
    sync_all(sf_hub, jobs)
    cust = local(sf_hub, Customer, name="Customer 0001")  # not the contract's customer: its
    k = local(sf_hub, Contract, number="C-0000-0")        # recomputed renewal date is an edit
    with sf_hub.session() as s, s.begin():  # the hub edits first...
        s.get(Contract, k.id).end_date = date(2027, 1, 31)
        s.get(Customer, cust.id).name = "Hub Name"
    clock.advance(60)  # ...Salesforce later: newest_wins takes Salesforce's renewal date
    emu.store.update("Contract", remote(emu, "Contract", k.id)["Id"],
                     {"Renewal_Date__c": date(2027, 3, 31)})
    emu.store.update("Account", remote(emu, "Account", cust.id)["Id"], {"Name": "CRM Name"})
    clock.advance(120)
    sync_all(sf_hub, jobs, rounds=2)
    assert local(sf_hub, Contract, id=k.id).end_date == date(2027, 3, 31)
    assert remote(emu, "Contract", k.id)["Renewal_Date__c"] == date(2027, 3, 31)
    assert local(sf_hub, Customer, id=cust.id).name == "CRM Name"
    assert remote(emu, "Account", cust.id)["Name"] == "CRM Name"
    with sf_hub.session() as s:
        conflicts = {c.field: c for c in s.scalars(select(Conflict))}
        assert set(conflicts) == {"end_date", "name"}
        assert (conflicts["end_date"].policy, conflicts["end_date"].outcome) == (
            "newest_wins", "remote")
        assert (conflicts["end_date"].local, conflicts["end_date"].remote) == (
            "2027-01-31", "2027-03-31")
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.conflict"))


def test_records_deleted_in_salesforce_are_flagged_by_the_feed_or_the_sweep(
        sf_hub, jobs, salesforce_sandbox):
    emu, clock = salesforce_sandbox, sf_hub.clock
    seed(sf_hub, 4, 1)
    sync_all(sf_hub, jobs)
    k0 = local(sf_hub, Contract, number="C-0000-0")
    k1 = local(sf_hub, Contract, number="C-0001-0")
    emu.store.delete("Contract", remote(emu, "Contract", k0.id)["Id"])
    clock.advance(120)
    r = cycle(sf_hub, jobs["sf_contracts"])
    assert r.counts.deleted == 1
    with sf_hub.session() as s:
        link = s.scalar(select(Link).where(Link.sync == "sf_contracts",
                                           Link.local_id == str(k0.id)))
        assert link.remote_deleted  # deletes: flag -- the contract stays in the hub
        assert s.get(Contract, k0.id) is not None
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.remote_deleted"))
        assert ev.payload["detected_by"] == "the remote's deletion feed"
    # a local edit of a flagged contract does not bring it back
    with sf_hub.session() as s, s.begin():
        s.get(Contract, k0.id).tier = "premium"
    cycle(sf_hub, jobs["sf_contracts"])
    assert len(emu.store.all("Contract")) == 3

    # the daemon was down for 16 days: getDeleted cannot reach back; the sweep finds it
    emu.store.delete("Contract", remote(emu, "Contract", k1.id)["Id"])
    clock.advance(timedelta(days=16))
    r = cycle(sf_hub, jobs["sf_contracts"])
    assert r.counts.deleted == 1
    with sf_hub.session() as s:
        assert s.scalar(select(Link.remote_deleted).where(
            Link.sync == "sf_contracts", Link.local_id == str(k1.id)))
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "sync.remote_deleted")).all()
        assert events[-1].payload["detected_by"] == "a full id sweep"


def test_a_key_matching_several_records_is_dead_lettered_with_candidates(
        sf_hub, jobs, salesforce_sandbox):
    emu = salesforce_sandbox
    seed(sf_hub, 1, 2)
    cycle(sf_hub, jobs["sf_accounts"])
    account = emu.store.all("Account")[0]["Id"]
    second = local(sf_hub, Contract, number="C-0000-1")
    twins: list[str] = []

    def import_runs(step: str) -> None:  # a data import lands between the pull and the push
        if step == "after_page_commit" and not twins:
            twins.extend(emu.store.insert("Contract", {"AccountId": account,
                                                       KEY: str(second.id)}) for _ in range(2))

    r = cycle(sf_hub, jobs["sf_contracts"], step=import_runs)
    assert (r.counts.pushed, r.counts.dead_lettered) == (1, 1)
    with sf_hub.session() as s:
        dl = s.scalar(select(DeadLetter))
        assert (dl.direction, dl.record_key, dl.error_code) == ("out", str(second.id),
                                                                "MULTIPLE_MATCHES")
        assert sorted(dl.record["candidates"]) == sorted(twins)
        assert dl.next_retry_at is None  # a person decides; never retried blindly
        assert all(t in dl.error for t in twins)
    assert len(emu.store.all("Contract")) == 3  # the hub created no third twin
    sf_hub.clock.advance(120)
    r = run_cycle(sf_hub, jobs["sf_contracts"])
    assert len(emu.store.all("Contract")) == 3


def test_a_status_changed_in_salesforce_flows_back_and_reaches_the_account(
        sf_hub, jobs, salesforce_sandbox):
    emu, clock = salesforce_sandbox, sf_hub.clock
    seed(sf_hub, 2, 1)
    sync_all(sf_hub, jobs)
    k0 = local(sf_hub, Contract, number="C-0000-0")
    assert remote(emu, "Contract", k0.id)["Contract_Status__c"] == "Active"
    clock.advance(30)
    emu.store.update("Contract", remote(emu, "Contract", k0.id)["Id"],
                     {"Contract_Status__c": "Terminated"})
    clock.advance(120)
    sync_all(sf_hub, jobs, rounds=2)
    assert local(sf_hub, Contract, id=k0.id).status == "terminated"
    r0 = remote(emu, "Contract", k0.id)
    assert r0["Description"] == "C-0000-0 (support, terminated)"  # the echo went out too
    with sf_hub.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity_id == "C-0000-0")).all()
    assert any("terminated" in str(e.payload) for e in events)
    # the customer's derived status follows, and reaches its Account
    customer = local(sf_hub, Customer, id=local(sf_hub, Contract, id=k0.id).customer_id)
    assert customer.contract_status != "active"
    assert remote(emu, "Account", customer.id)["Contract_Status__c"] == customer.contract_status
