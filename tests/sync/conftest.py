"""Fixtures for engine tests: a memory remote, mappings, and a runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.memory import MemoryConnector, MemoryRemote
from core.mapping import load_mapping_text
from core.sync.engine import SyncJob, run_cycle

ACCOUNTS = """\
version: 1
name: mem_accounts
connection: mem
remote_object: Account
local_entity: customer
upsert_key: ContractHub_Id__c
match: {local: name, remote: Name}
conflict_policy: store_wins
deletes: flag
fields:
  - {local: name, remote: Name}
  - {local: domain, remote: Domain__c}
  - {local: billing_city, remote: BillingCity, conflict: remote_wins}
  - {local: owner, remote: OwnerName, direction: in}
  - {local: support_tier, remote: Support_Tier__c, direction: out}
  - {local: contract_status, remote: Contract_Status__c, direction: out}
"""

CONTRACTS = """\
version: 1
name: mem_contracts
connection: mem
remote_object: Contract
local_entity: contract
upsert_key: ContractHub_Id__c
match: {local: number, remote: ContractNumber}
conflict_policy: newest_wins
deletes: propagate
fields:
  - {local: number, remote: ContractNumber}
  - {local: customer_id, remote: AccountId, transform: {lookup: {entity: customer}}}
  - local: status
    remote: Status
    conflict: manual
    transform: {enum: {map: {draft: Draft, active: Activated, expired: Expired,
                              terminated: Terminated}}}
  - {local: start_date, remote: StartDate, transform: {date: {format: "%Y-%m-%d"}}}
  - {local: end_date, remote: EndDate, transform: {date: {format: "%Y-%m-%d"}}}
  - {local: tier, remote: Tier__c}
  - {remote: Description, direction: out, transform: {template: "{number} ({kind})"}}
"""


@pytest.fixture
def remote(clock) -> MemoryRemote:
    return MemoryRemote(clock)


def make_job(text: str, remote: MemoryRemote, **settings) -> SyncJob:
    mapping = load_mapping_text(text, "mappings/test.yaml")
    conn = MemoryConnector(name="mem", settings=settings, remote=remote)
    return SyncJob(mapping.name, mapping, conn)


@pytest.fixture
def accounts(remote) -> SyncJob:
    return make_job(ACCOUNTS, remote, batch_max=50, page_size=20)


@pytest.fixture
def contracts(remote) -> SyncJob:
    return make_job(CONTRACTS, remote, batch_max=50, page_size=20)


@pytest.fixture
def cycle(hub):
    def run(job: SyncJob, **kw):
        result = run_cycle(hub, job, **kw)
        assert result.status == "ok", result.error
        return result
    return run


__all__ = ["Path"]

TICKETS = """\
version: 1
name: mem_tickets
connection: mem
remote_object: Issue
local_entity: ticket
deletes: flag
fields:
  - {local: key, remote: Key, direction: in}
  - {local: summary, remote: Summary, direction: in}
  - {local: severity, remote: Severity, direction: in}
  - {local: customer_id, remote: ReporterDomain, direction: in,
     transform: {find: {entity: customer, by: domain}}}
  - {local: created_at, remote: Created, direction: in}
  - {local: resolved_at, remote: Resolved, direction: in}
  - {local: entitlement_tier, remote: Tier, direction: out}
  - {local: first_response_due, remote: ResponseDue, direction: out}
  - {local: resolution_due, remote: ResolutionDue, direction: out}
  - {local: breached, remote: Breached, direction: out}
  - {local: contract_number, remote: ContractNumber, direction: out}
"""


@pytest.fixture
def tickets(remote) -> SyncJob:
    return make_job(TICKETS, remote, batch_max=50, page_size=20)
