"""One hub with both CRMs: Salesforce and Dynamics 365 configured at once stay consistent
with the store and with each other -- an edit in either flows through the store to the other,
and neither ever echoes the other's change back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.models import Contract, Customer
from core.sync.jobs import build_jobs
from sandbox.dataverse.schema import STATUSES
from tests.dynamics.conftest import (
    DYN_SYNCS,
    MAPPINGS,
    cycle,
    dynamics_connection,
    hub_with,
    row,
    seed,
    writes,
)
from tests.salesforce.conftest import sf_settings

SF_SYNCS = [{"name": "sf_accounts", "connection": "salesforce",
             "mapping": str(MAPPINGS / "salesforce_accounts.yaml")},
            {"name": "sf_contracts", "connection": "salesforce",
             "mapping": str(MAPPINGS / "salesforce_contracts.yaml")}]
ORDER = ("sf_accounts", "dyn_accounts", "sf_contracts", "dyn_contracts")


@pytest.fixture
def both(hub, salesforce_sandbox, dataverse_sandbox, tmp_path):
    secret = dataverse_sandbox.identity.client_credentials()[1]
    both_hub = hub_with(hub, tmp_path, dataverse_sandbox.ca_bundle, {
        "salesforce": sf_settings(salesforce_sandbox),
        "dynamics": dynamics_connection(dataverse_sandbox)}, SF_SYNCS + DYN_SYNCS,
        {"DYNAMICS_CLIENT_SECRET": secret})
    return both_hub, {j.name: j for j in build_jobs(both_hub)}


def run_all(hub, jobs, rounds: int = 2) -> None:
    for _ in range(rounds):
        for name in ORDER:
            cycle(hub, jobs[name])
        hub.clock.advance(120)


def sf_row(emu, obj: str, local_id: int) -> dict:
    [rid] = emu.store.match_external(obj, "ContractHub_Id__c", str(local_id))
    return emu.store.get(obj, rid)


def assert_consistent(hub, sf, dv) -> None:
    with hub.session() as s:
        customers = s.scalars(select(Customer)).all()
        contracts = s.scalars(select(Contract)).all()
        assert len(sf.store.all("Account")) == len(dv.store.all("account")) == len(customers)
        assert len(sf.store.all("Contract")) == len(dv.store.all("chub_supportcontract")) \
            == len(contracts)
        for c in customers:
            a, b = sf_row(sf, "Account", c.id), row(dv, "account", c.id)
            assert a["Name"] == b["name"] == c.name
            assert a["Renewal_Date__c"] == b["chub_renewaldate"] == c.renewal_date
        for k in contracts:
            a, b = sf_row(sf, "Contract", k.id), row(dv, "chub_supportcontract", k.id)
            assert a["Renewal_Date__c"] == b["chub_renewaldate"] == k.end_date
            assert a["Contract_Status__c"] == k.status.replace("_", " ").title()
            assert b["chub_contractstatus"] == STATUSES[k.status.replace("_", " ").title()]


def test_edits_in_either_crm_reach_the_store_and_the_other_crm(both, salesforce_sandbox,
                                                              dataverse_sandbox):
    hub, jobs = both
    sf, dv = salesforce_sandbox, dataverse_sandbox
    seed(hub, 5, 2)
    run_all(hub, jobs)
    assert_consistent(hub, sf, dv)
    with hub.session() as s:
        k0, k1 = s.scalars(select(Contract).order_by(Contract.id).limit(2)).all()
        c0 = s.scalar(select(Customer).order_by(Customer.id.desc()))
    # in Dynamics: a renewal date moved; in Salesforce: a contract terminated, an account
    # renamed
    dv.store.update("chub_supportcontract", row(dv, "chub_supportcontract", k0.id)[
        "chub_supportcontractid"], {"chub_renewaldate": date(2028, 3, 31)})
    sf.store.update("Contract", sf_row(sf, "Contract", k1.id)["Id"],
                    {"Contract_Status__c": "Terminated"})
    sf.store.update("Account", sf_row(sf, "Account", c0.id)["Id"], {"Name": "Renamed Ltd"})
    hub.clock.advance(120)
    run_all(hub, jobs, rounds=3)
    with hub.session() as s:
        assert s.get(Contract, k0.id).end_date == date(2028, 3, 31)
        assert s.get(Contract, k1.id).status == "terminated"
        assert s.get(Customer, c0.id).name == "Renamed Ltd"
    assert sf_row(sf, "Contract", k0.id)["Renewal_Date__c"] == date(2028, 3, 31)
    assert row(dv, "chub_supportcontract", k1.id)["chub_contractstatus"] == \
        STATUSES["Terminated"]
    assert row(dv, "account", c0.id)["name"] == "Renamed Ltd"
    assert_consistent(hub, sf, dv)
    # settled: a further round writes nothing to either CRM
    hub.clock.advance(600)
    dv_writes = writes(dv)
    sf_writes = len(sf.calls.matching(r"(PATCH|POST|DELETE) .*composite.*"))
    for name in ORDER:
        r = cycle(hub, jobs[name])
        assert r.counts.pushed == r.counts.conflicts == 0
    assert writes(dv) == dv_writes
    assert len(sf.calls.matching(r"(PATCH|POST|DELETE) .*composite.*")) == sf_writes
