"""Salesforce connector tests: the real simple-salesforce over HTTPS against the emulator.

The emulator, the hub and the connector share the suite's ``clock`` (a
``FakeClock``): nothing sleeps, retry waits are recorded in ``clock.sleeps``.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import insert

from connectors.salesforce import SalesforceConnector
from core.clock import FakeClock
from core.config import load_config
from core.hub import Hub
from core.models import Contract, Customer
from core.sync.engine import CycleResult, SyncJob, run_cycle
from core.sync.jobs import build_jobs
from sandbox.fixtures import *  # noqa: F401,F403
from sandbox.salesforce import SalesforceEmulator

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
DATA = "/services/data/v60.0"


def sf_settings(emu: SalesforceEmulator, **extra: Any) -> dict[str, Any]:
    client_id, secret = emu.client_credentials()
    settings: dict[str, Any] = {
        "type": "salesforce", "login_url": emu.login_url, "ca_bundle": emu.ca_bundle,
        "auth": {"method": "client_credentials", "client_id": client_id,
                 "client_secret": secret}}
    settings.update(extra)
    return settings


@pytest.fixture
def connector(salesforce_sandbox: SalesforceEmulator, clock: FakeClock) -> SalesforceConnector:
    return SalesforceConnector(name="salesforce", settings=sf_settings(salesforce_sandbox),
                               clock=clock)


@pytest.fixture
def sf_hub(hub: Hub, salesforce_sandbox: SalesforceEmulator, tmp_path: Path) -> Hub:
    """The test hub with a contracthub.yaml naming the emulator: secrets through
    ${ENV}, the CA bundle relative to the config folder, the shipped mappings."""
    shutil.copy(salesforce_sandbox.ca_bundle, tmp_path / "sandbox-ca.pem")
    config = {
        "store": {"url": hub.config.store.url},
        "connections": {"salesforce": {
            "type": "salesforce", "login_url": salesforce_sandbox.login_url,
            "ca_bundle": "sandbox-ca.pem", "api_version": "60.0", "lag_seconds": 60,
            "auth": {"method": "client_credentials", "client_id": "${SF_CLIENT_ID}",
                     "client_secret": "${SF_CLIENT_SECRET}"}}},
        "syncs": [
            {"name": "sf_accounts", "connection": "salesforce",
             "mapping": str(MAPPINGS / "salesforce_accounts.yaml")},
            {"name": "sf_contracts", "connection": "salesforce",
             "mapping": str(MAPPINGS / "salesforce_contracts.yaml")}]}
    path = tmp_path / "contracthub.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    client_id, secret = salesforce_sandbox.client_credentials()
    cfg = load_config(path, env={"SF_CLIENT_ID": client_id, "SF_CLIENT_SECRET": secret})
    return dataclasses.replace(hub, config=cfg)


@pytest.fixture
def jobs(sf_hub: Hub) -> dict[str, SyncJob]:
    """The two syncs built from config as the daemon builds them (one shared connector)."""
    return {job.name: job for job in build_jobs(sf_hub)}


def cycle(hub: Hub, job: SyncJob, **kw: Any) -> CycleResult:
    result = run_cycle(hub, job, **kw)
    assert result.status == "ok", result.error
    return result


def sync_all(hub: Hub, jobs: dict[str, SyncJob], rounds: int = 1, advance: float = 120) -> None:
    """Accounts then contracts, ``rounds`` times, moving the clock past the lag window."""
    for _ in range(rounds):
        cycle(hub, jobs["sf_accounts"])
        cycle(hub, jobs["sf_contracts"])
        hub.clock.advance(advance)  # type: ignore[attr-defined]


def seed(hub: Hub, customers: int, contracts_each: int) -> None:
    """Rows that were in the store before the syncs were configured (bulk-inserted: the
    engine's first cycle queues every existing row itself)."""
    now = hub.clock.now()
    with hub.session() as s, s.begin():
        ids = s.scalars(insert(Customer).returning(Customer.id, sort_by_parameter_order=True), [
            {"name": f"Customer {i:04d}", "domain": f"c{i}.example", "updated_at": now}
            for i in range(customers)]).all()
        if contracts_each:
            s.execute(insert(Contract), [
                {"number": f"C-{i:04d}-{j}", "customer_id": cid, "kind": "support",
                 "status": "active", "tier": ("standard", "premium")[j % 2],
                 "start_date": date(2026, 1, 1),
                 "end_date": date(2026, 12, 31) + timedelta(days=j), "updated_at": now}
                for i, cid in enumerate(ids) for j in range(contracts_each)])


def collection_writes(emu: SalesforceEmulator) -> int:
    """sObject Collections write calls the emulator answered (not faults)."""
    return sum(1 for c in emu.calls.all() if c.path.startswith(f"{DATA}/composite/sobjects")
               and c.method in ("PATCH", "POST", "DELETE") and not c.faulted)
