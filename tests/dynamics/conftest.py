"""Dynamics 365 connector tests: msal against the identity emulator, real HTTPS to Dataverse.

The emulators, the hub and the connector share the suite's ``clock`` (a
``FakeClock``): nothing sleeps; retry waits are recorded in ``clock.sleeps``.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.dynamics import DynamicsConnector
from core.clock import FakeClock
from core.config import load_config
from core.hub import Hub
from core.sync.engine import SyncJob
from core.sync.jobs import build_jobs
from sandbox.dataverse import DataverseEmulator
from sandbox.fixtures import *  # noqa: F401,F403
from tests.salesforce.conftest import cycle, seed  # noqa: F401  (shared helpers)

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
API = "/api/data/v9.2"
KEY = "chub_contracthubid"


@pytest.fixture
def connector(dataverse_sandbox: DataverseEmulator, clock: FakeClock) -> DynamicsConnector:
    return DynamicsConnector(name="dynamics", settings=dataverse_sandbox.connection_settings(),
                             clock=clock)


def dynamics_connection(emu: DataverseEmulator, **extra: Any) -> dict[str, Any]:
    """The connections entry as a user writes it: the secret through ${ENV}, the CA
    bundle relative to the config folder."""
    settings = emu.connection_settings()
    settings["ca_bundle"] = "sandbox-ca.pem"
    settings["auth"]["client_secret"] = "${DYNAMICS_CLIENT_SECRET}"
    settings.update(extra)
    return settings


def hub_with(hub: Hub, tmp_path: Path, ca_bundle: str, connections: dict[str, Any],
             syncs: list[dict[str, Any]], env: dict[str, str]) -> Hub:
    shutil.copy(ca_bundle, tmp_path / "sandbox-ca.pem")
    config = {"store": {"url": hub.config.store.url}, "connections": connections,
              "syncs": syncs}
    path = tmp_path / "contracthub.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return dataclasses.replace(hub, config=load_config(path, env=env))


DYN_SYNCS = [{"name": "dyn_accounts", "connection": "dynamics",
              "mapping": str(MAPPINGS / "dynamics_accounts.yaml")},
             {"name": "dyn_contracts", "connection": "dynamics",
              "mapping": str(MAPPINGS / "dynamics_contracts.yaml")}]


@pytest.fixture
def dyn_hub(hub: Hub, dataverse_sandbox: DataverseEmulator, tmp_path: Path) -> Hub:
    secret = dataverse_sandbox.identity.client_credentials()[1]
    return hub_with(hub, tmp_path, dataverse_sandbox.ca_bundle,
                    {"dynamics": dynamics_connection(dataverse_sandbox)}, DYN_SYNCS,
                    {"DYNAMICS_CLIENT_SECRET": secret})


@pytest.fixture
def jobs(dyn_hub: Hub) -> dict[str, SyncJob]:
    """The two syncs built from config as the daemon builds them (one shared connector)."""
    return {job.name: job for job in build_jobs(dyn_hub)}


def sync_all(hub: Hub, jobs: dict[str, SyncJob], rounds: int = 1, advance: float = 120,
             names: tuple[str, ...] = ("dyn_accounts", "dyn_contracts")) -> None:
    for _ in range(rounds):
        for name in names:
            cycle(hub, jobs[name])
        hub.clock.advance(advance)  # type: ignore[attr-defined]


def row(emu: DataverseEmulator, table: str, local_id: int) -> dict[str, Any]:
    rid = emu.store.by_key(table, {KEY: str(local_id)})
    assert rid is not None, f"no {table} row for {local_id}"
    found = emu.store.get(table, rid)
    assert found is not None
    return found


def writes(emu: DataverseEmulator) -> int:
    """Row writes the emulator answered (not faults)."""
    return sum(1 for c in emu.calls.all() if c.method in ("PATCH", "POST", "DELETE")
               and not c.faulted and c.path.startswith(API))
