"""The engine with the Salesforce connector at size: backfill, pull, API economy.

Runs on SQLite and PostgreSQL (the ``hub`` fixture), syncs built from a
contracthub.yaml with the shipped mappings, against the emulator over HTTPS.

The default size (201 customers, 201 contracts) crosses the 200-record
batch boundary of both syncs and keeps the suite fast; ``CONTRACTHUB_SF_SCALE=full`` runs
the release size, 1,000 customers and 2,000 contracts (about 30 s on SQLite
and 80 s on PostgreSQL here, almost all of it the engine's per-record store
work: the connector's share is a few seconds).
"""

from __future__ import annotations

import math
import os
from datetime import timedelta

from sqlalchemy import select

from core.models import Contract
from core.sync_models import DeadLetter, Link
from tests.salesforce.conftest import DATA, collection_writes, cycle, seed

FULL = os.environ.get("CONTRACTHUB_SF_SCALE") == "full"
CUSTOMERS, CONTRACTS_EACH = (1000, 2) if FULL else (201, 1)


def test_backfill_then_pull_converges_with_the_fewest_calls(sf_hub, jobs, salesforce_sandbox):
    emu = salesforce_sandbox
    seed(sf_hub, CUSTOMERS, CONTRACTS_EACH)
    contracts = CUSTOMERS * CONTRACTS_EACH
    accounts_run = cycle(sf_hub, jobs["sf_accounts"])
    contracts_run = cycle(sf_hub, jobs["sf_contracts"])
    assert (accounts_run.counts.pushed, contracts_run.counts.pushed) == (CUSTOMERS, contracts)
    assert collection_writes(emu) == math.ceil(CUSTOMERS / 200) + math.ceil(contracts / 200)
    assert emu.calls.count(f"PATCH {DATA}/composite/sobjects/Account/ContractHub_Id__c") == \
        math.ceil(CUSTOMERS / 200)
    accounts = emu.store.all("Account")
    sf_contracts = emu.store.all("Contract")
    assert len(accounts) == CUSTOMERS and len(sf_contracts) == contracts
    account_by_key = {a["ContractHub_Id__c"]: a["Id"] for a in accounts}
    with sf_hub.session() as s:
        local = {str(c.id): c for c in s.scalars(select(Contract))}
        for rc in sf_contracts:
            mine = local[rc["ContractHub_Id__c"]]
            assert rc["AccountId"] == account_by_key[str(mine.customer_id)]
            assert rc["Status"] == "Activated" and rc["Renewal_Date__c"] == mine.end_date
            assert rc["Description"] == f"{mine.number} (support, active)"

    # the pull brings the hub's own writes back: recognised, nothing written anywhere
    sf_hub.clock.advance(600)
    writes = collection_writes(emu)
    pulled = [cycle(sf_hub, jobs[name]) for name in ("sf_accounts", "sf_contracts")]
    assert [r.counts.pulled for r in pulled] == [CUSTOMERS, contracts]
    assert all(r.counts.pushed == r.counts.conflicts == r.counts.dead_lettered == 0
               for r in pulled)
    assert collection_writes(emu) == writes
    with sf_hub.session() as s:
        versions = s.scalars(select(Link.remote_version)).all()
        assert len(versions) == CUSTOMERS + contracts
        assert not [v for v in versions if v.startswith("written@")]  # all confirmed by a read
        assert s.scalar(select(DeadLetter)) is None
    sf_hub.clock.advance(600)
    again = [cycle(sf_hub, jobs[name]) for name in ("sf_accounts", "sf_contracts")]
    assert [r.counts.pulled for r in again] == [0, 0]

    # API economy: N changed contracts cost ceil(N/200) collection writes
    changed = 450 if FULL else contracts
    with sf_hub.session() as s, s.begin():
        for c in s.scalars(select(Contract).order_by(Contract.id).limit(changed)):
            c.end_date += timedelta(days=365)
    writes = collection_writes(emu)
    run = cycle(sf_hub, jobs["sf_contracts"])
    assert run.counts.pushed == changed
    assert collection_writes(emu) - writes == math.ceil(changed / 200)
    assert emu.calls.count(f"PATCH {DATA}/composite/sobjects") == math.ceil(changed / 200)
    assert len(emu.store.all("Contract")) == contracts
