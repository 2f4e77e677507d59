"""The engine with the Dynamics connector: backfill, two-way edits, conflicts, deletions.

Syncs are built from a contracthub.yaml with the shipped mappings (SQLite and
PostgreSQL), tokens from the identity emulator through msal, Dataverse over
HTTPS, one fake clock for everything.
"""

from __future__ import annotations

import math
import os
from datetime import date, timedelta

from sqlalchemy import select

from core.models import AuditEvent, Contract, Customer
from core.sync_models import Conflict, DeadLetter, Link
from sandbox.dataverse.schema import STATUSES, TIERS
from tests.dynamics.conftest import API, cycle, row, seed, sync_all, writes

FULL = os.environ.get("CONTRACTHUB_DYN_SCALE") == "full"
CUSTOMERS, CONTRACTS_EACH = (1000, 2) if FULL else (30, 2)


def local(hub, cls, **where):
    with hub.session() as s:
        return s.scalar(select(cls).filter_by(**where))


def test_backfill_writes_everything_once_and_the_echo_changes_nothing(
        dyn_hub, jobs, dataverse_sandbox):
    emu = dataverse_sandbox
    seed(dyn_hub, CUSTOMERS, CONTRACTS_EACH)
    sync_all(dyn_hub, jobs)
    accounts, contracts = emu.store.all("account"), emu.store.all("chub_supportcontract")
    n = CUSTOMERS * CONTRACTS_EACH
    assert (len(accounts), len(contracts)) == (CUSTOMERS, n)
    assert writes(emu) == emu.calls.count(rf"POST {API}/\$batch") == \
        math.ceil(CUSTOMERS / 200) + math.ceil(n / 200)  # 200 rows a call
    account_of = {a["chub_contracthubid"]: a["accountid"] for a in accounts}
    with dyn_hub.session() as s:
        for k in s.scalars(select(Contract)):
            r = row(emu, "chub_supportcontract", k.id)
            assert r["chub_accountid"] == account_of[str(k.customer_id)]
            assert r["chub_contractstatus"] == STATUSES["Active"]
            assert r["chub_supporttier"] == TIERS[k.tier.capitalize()]
            assert (r["chub_renewaldate"], r["chub_name"]) == (k.end_date, k.number)
            assert r["chub_description"] == f"{k.number} (support, active)"
    customer = local(dyn_hub, Customer, name="Customer 0003")
    assert row(emu, "account", customer.id)["chub_renewaldate"] == customer.renewal_date
    # the next pull reads the hub's own writes back by etag: nothing is written anywhere
    before = writes(emu)
    for name in ("dyn_accounts", "dyn_contracts"):
        r = cycle(dyn_hub, jobs[name])
        assert r.counts.pulled > 0 and r.counts.unchanged == r.counts.pulled
        assert r.counts.pushed == r.counts.conflicts == r.counts.dead_lettered == 0
    assert writes(emu) == before


def test_edits_on_both_sides_converge(dyn_hub, jobs, dataverse_sandbox):
    emu, clock = dataverse_sandbox, dyn_hub.clock
    seed(dyn_hub, 4, 2)
    sync_all(dyn_hub, jobs)
    c0 = local(dyn_hub, Customer, name="Customer 0000")
    c1 = local(dyn_hub, Customer, name="Customer 0001")
    k0 = local(dyn_hub, Contract, number="C-0000-0")
    k1 = local(dyn_hub, Contract, number="C-0001-1")
    # in Dynamics: an address, a moved renewal date, a terminated contract
    emu.store.update("account", row(emu, "account", c0.id)["accountid"],
                     {"address1_city": "Leeds", "address1_country": "UK"})
    emu.store.update("chub_supportcontract", row(emu, "chub_supportcontract", k0.id)[
        "chub_supportcontractid"], {"chub_renewaldate": date(2027, 6, 30)})
    clock.advance(30)
    # in the hub: a name, a tier and a status
    with dyn_hub.session() as s, s.begin():
        s.get(Customer, c1.id).name = "Customer One Ltd"
        contract = s.get(Contract, k1.id)
        contract.tier, contract.status = "enterprise", "expired"
    clock.advance(120)
    sync_all(dyn_hub, jobs, rounds=2)

    c0 = local(dyn_hub, Customer, id=c0.id)
    assert (c0.billing_city, c0.billing_country) == ("Leeds", "UK")
    assert local(dyn_hub, Contract, id=k0.id).end_date == date(2027, 6, 30)
    assert row(emu, "account", c0.id)["chub_renewaldate"] == c0.renewal_date
    assert row(emu, "account", c1.id)["name"] == "Customer One Ltd"
    r1 = row(emu, "chub_supportcontract", k1.id)
    assert (r1["chub_supporttier"], r1["chub_contractstatus"]) == (TIERS["Enterprise"],
                                                                   STATUSES["Expired"])
    assert r1["chub_description"] == "C-0001-1 (support, expired)"
    # converged: another round changes nothing on either side
    clock.advance(600)
    before = writes(emu)
    for name in ("dyn_accounts", "dyn_contracts"):
        r = cycle(dyn_hub, jobs[name])
        assert r.counts.pushed == r.counts.updated == r.counts.created == 0
    assert writes(emu) == before


def test_a_same_field_conflict_follows_the_policy_and_is_audited(dyn_hub, jobs,
                                                                dataverse_sandbox):
    emu, clock = dataverse_sandbox, dyn_hub.clock
    seed(dyn_hub, 2, 1)
    sync_all(dyn_hub, jobs)
    cust = local(dyn_hub, Customer, name="Customer 0001")
    k = local(dyn_hub, Contract, number="C-0000-0")
    with dyn_hub.session() as s, s.begin():  # the hub edits first...
        s.get(Contract, k.id).end_date = date(2027, 1, 31)
        s.get(Customer, cust.id).name = "Hub Name"
    clock.advance(60)  # ...Dynamics later: newest_wins takes Dynamics' values
    emu.store.update("chub_supportcontract", row(emu, "chub_supportcontract", k.id)[
        "chub_supportcontractid"], {"chub_renewaldate": date(2027, 3, 31)})
    emu.store.update("account", row(emu, "account", cust.id)["accountid"],
                     {"name": "CRM Name"})
    clock.advance(120)
    sync_all(dyn_hub, jobs, rounds=2)
    assert local(dyn_hub, Contract, id=k.id).end_date == date(2027, 3, 31)
    assert row(emu, "chub_supportcontract", k.id)["chub_renewaldate"] == date(2027, 3, 31)
    assert local(dyn_hub, Customer, id=cust.id).name == "CRM Name"
    assert row(emu, "account", cust.id)["name"] == "CRM Name"
    with dyn_hub.session() as s:
        conflicts = {c.field: c for c in s.scalars(select(Conflict))}
        assert set(conflicts) == {"end_date", "name"}
        assert (conflicts["end_date"].policy, conflicts["end_date"].outcome) == (
            "newest_wins", "remote")
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.conflict"))


def test_rows_deleted_in_dynamics_are_flagged_by_the_delta_link_or_the_sweep(
        dyn_hub, jobs, dataverse_sandbox):
    emu, clock = dataverse_sandbox, dyn_hub.clock
    seed(dyn_hub, 4, 1)
    sync_all(dyn_hub, jobs)
    k0 = local(dyn_hub, Contract, number="C-0000-0")
    k1 = local(dyn_hub, Contract, number="C-0001-0")
    emu.store.delete("chub_supportcontract",
                     row(emu, "chub_supportcontract", k0.id)["chub_supportcontractid"])
    r = cycle(dyn_hub, jobs["dyn_contracts"])
    assert r.counts.deleted == 1
    with dyn_hub.session() as s:
        link = s.scalar(select(Link).where(Link.sync == "dyn_contracts",
                                           Link.local_id == str(k0.id)))
        assert link.remote_deleted and s.get(Contract, k0.id) is not None  # deletes: flag
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.remote_deleted"))
        assert ev.payload["detected_by"] == "the remote's deletion feed"
    with dyn_hub.session() as s, s.begin():  # a local edit does not bring it back
        s.get(Contract, k0.id).tier = "premium"
    cycle(dyn_hub, jobs["dyn_contracts"])
    assert len(emu.store.all("chub_supportcontract")) == 3

    # the daemon was down past the change-tracking retention: the delta link is refused,
    # the read starts over in full (no gap), and the due sweep finds the deletion
    emu.store.delete("chub_supportcontract",
                     row(emu, "chub_supportcontract", k1.id)["chub_supportcontractid"])
    clock.advance(timedelta(days=31))
    r = cycle(dyn_hub, jobs["dyn_contracts"])
    assert r.counts.deleted == 1 and r.counts.pulled == 2
    with dyn_hub.session() as s:
        assert s.scalar(select(Link.remote_deleted).where(
            Link.sync == "dyn_contracts", Link.local_id == str(k1.id)))
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "sync.remote_deleted")).all()
        assert events[-1].payload["detected_by"] == "a full id sweep"


def test_an_account_made_in_dynamics_becomes_a_customer_but_a_contract_needs_the_hub(
        dyn_hub, jobs, dataverse_sandbox):
    emu = dataverse_sandbox
    seed(dyn_hub, 1, 1)
    sync_all(dyn_hub, jobs)
    made = emu.store.insert("account", {"name": "Made In Dynamics", "address1_city": "Leeds"})
    account = row(emu, "account", local(dyn_hub, Customer, name="Customer 0000").id)
    stray = emu.store.insert("chub_supportcontract", {"chub_name": "X-1",
                                                      "chub_accountid": account["accountid"]})
    sync_all(dyn_hub, jobs, rounds=2)
    customer = local(dyn_hub, Customer, name="Made In Dynamics")
    assert customer is not None and customer.billing_city == "Leeds"
    assert emu.store.get("account", made)["chub_contracthubid"] == str(customer.id)  # paired
    assert len(emu.store.all("account")) == 2
    with dyn_hub.session() as s:  # no number to create a contract with: visible, not guessed
        dl = s.scalar(select(DeadLetter).where(DeadLetter.sync == "dyn_contracts"))
        assert (dl.direction, dl.record_key) == ("in", stray)
        assert s.scalar(select(Contract).where(Contract.number == "X-1")) is None
