"""Fixtures for the HTTP API: a seeded hub (SQLite and PostgreSQL), tokens per role, a client.

The hub is configured with one sync, ``accounts``, on an in-process memory
CRM (``remote: api-crm``), so the admin preview has something real to read.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.memory import MemoryRemote, register_remote
from core.api import create_app
from core.config import HubConfig
from core.hub import Hub
from core.models import SlaPlan, Ticket
from core.sync_models import Conflict, DeadLetter
from core.tokens import create_token, revoke_token
from tests.factories import contract, customer

with warnings.catch_warnings():  # starlette prefers httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("CONTRACTHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
EXAMPLE_MAPPING = ROOT / "mappings" / "example_accounts.yaml"
REMOTE = "api-crm"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def configure(hub: Hub, folder: Path) -> Hub:
    """The hub with a memory connection and the ``accounts`` sync configured."""
    shutil.copy(EXAMPLE_MAPPING, folder / "accounts.yaml")
    cfg = HubConfig(path=folder / "contracthub.yaml", store=hub.config.store.model_dump(),
                    actor="tester",
                    connections={"memory": {"type": "memory", "remote": REMOTE,
                                            "lag_seconds": 0}},
                    syncs=[{"name": "accounts", "connection": "memory",
                            "mapping": "accounts.yaml"}])
    return dataclasses.replace(hub, config=cfg)


@dataclass
class Seeded:
    hub: Hub
    tokens: dict[str, str]  # viewer, agent, admin, revoked
    dead_letter_id: int
    conflict_id: int
    remote: MemoryRemote


def seed(hub: Hub) -> Seeded:
    remote = register_remote(REMOTE, MemoryRemote(hub.clock))
    remote.create("Account", {"Name": "Remote Only Ltd", "Domain__c": "remote.example"})
    at = hub.clock.now()
    tokens: dict[str, str] = {}
    with hub.session() as s, s.begin():
        gold = SlaPlan(name="Gold", targets={
            "sev1": {"first_response_min": 10, "resolution_min": 120},
            "sev2": {"first_response_min": 30, "resolution_min": 480}})
        silver = SlaPlan(name="Silver", targets={
            "sev1": {"first_response_min": 30, "resolution_min": 300},
            "sev3": {"first_response_min": 240, "resolution_min": 2400}})
        s.add_all([gold, silver])
        s.flush()
        acme = customer(s, "Acme Corp", domain="acme.example", timezone="Europe/London")
        c1 = contract(s, acme, "C-1", tier="premium", coverage="24x7", sla_plan_id=gold.id)
        contract(s, acme, "C-2", tier="standard", sla_plan_id=silver.id, incident_cap=5,
                 holiday_calendar="GB-ENG", timezone="Europe/London")
        contract(s, acme, "C-3", status="expired", start_date=date(2025, 1, 1),
                 end_date=date(2025, 12, 31))
        globex = customer(s, "Globex", domain="globex.example")
        contract(s, globex, "G-1", status="draft")
        s.add(Ticket(key="SUP-1", customer_id=acme.id, contract_id=c1.id, severity="sev1",
                     created_at=datetime(2026, 2, 27, 16, 30, tzinfo=UTC),
                     contract_number="C-1"))
        dead = DeadLetter(sync="accounts", direction="in", record_key="001A",
                          record={"id": "001A", "version": "1", "modified": None,
                                  "fields": {"Name": "Broken Ltd"}},
                          error_code="validation", error="Name: too long", attempts=3,
                          next_retry_at=None, created_at=at)
        conflict = Conflict(sync="accounts", entity="customer", local_id=str(acme.id),
                            remote_id="001B", field="billing_city", base="York",
                            local="Leeds", remote="Hull", policy="manual",
                            outcome="pending", created_at=at)
        s.add_all([dead, conflict])
        for role in ("viewer", "agent", "admin"):
            tokens[role], _ = create_token(s, name=f"{role}-token", role=role, at=at,
                                           actor="tester")
        tokens["revoked"], _ = create_token(s, name="old-admin", role="admin", at=at,
                                            actor="tester")
        revoke_token(s, "old-admin", at=at, actor="tester")
        s.flush()
        ids = dead.id, conflict.id
    return Seeded(hub, tokens, ids[0], ids[1], remote)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_hub(hub: Hub, tmp_path: Path) -> Hub:
    return configure(hub, tmp_path)


@pytest.fixture
def seeded(api_hub: Hub) -> Seeded:
    return seed(api_hub)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.hub)) as c:
        yield c


__all__ = ["NOW", "PG_ADMIN", "Seeded", "TestClient", "auth", "configure", "seed"]
