"""Jira connector tests: the real ``jira`` library over HTTPS against the emulator,
in Cloud and Data Center modes.

The emulator, the hub and the connector share the suite's ``clock`` (a
``FakeClock``, 2026-03-02 09:00 UTC): nothing sleeps, retry waits land in
``clock.sleeps``. Hub tests run on SQLite and PostgreSQL (``hub`` fixture).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.jira import JiraConnector
from core.clock import FakeClock
from core.config import load_config
from core.hub import Hub
from core.sync.engine import CycleResult, SyncJob, run_cycle
from core.sync.jobs import build_jobs
from sandbox.jira.emulator import JiraEmulator
from sandbox.jira.fixtures import jira_clock, jira_cloud, jira_dc  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "mappings" / "jira_tickets.yaml"
SEVERITY, ORG = "customfield_10019", "customfield_10010"
TIER, COVERAGE, FR_DUE, RES_DUE, BREACHED, NUMBER = (
    "customfield_10011", "customfield_10014", "customfield_10015", "customfield_10016",
    "customfield_10017", "customfield_10018")
CONTRACT_URL = "https://hub.example.com/contracts/{number}"


@pytest.fixture(params=["cloud", "datacenter"])
def emu(request: pytest.FixtureRequest, jira_clock: FakeClock) -> Iterator[JiraEmulator]:  # noqa: F811
    """A started emulator in each mode (fresh state, the shared clock)."""
    yield request.getfixturevalue("jira_cloud" if request.param == "cloud" else "jira_dc")


def auth_for(emu: JiraEmulator) -> dict[str, str]:
    """Cloud: email + API token; Data Center: a personal access token."""
    if emu.cloud:
        email, token = emu.basic_auth
        return {"email": email, "api_token": token}
    return {"pat": emu.pat}


def settings(emu: JiraEmulator, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "jira", "url": emu.base_url, "auth": auth_for(emu), "projects": ["SUP"],
        "customer_rule": {"field": "Organization"}, "ca_bundle": emu.ca_bundle,
        "contract_url": CONTRACT_URL}
    out.update(extra)
    return out


def make_connector(emu: JiraEmulator, clock: FakeClock, **extra: Any) -> JiraConnector:
    return JiraConnector(name="jira", settings=settings(emu, **extra), clock=clock)


@pytest.fixture
def connector(emu: JiraEmulator, jira_clock: FakeClock) -> JiraConnector:  # noqa: F811
    return make_connector(emu, jira_clock)


def ticket(emu: JiraEmulator, summary: str = "Printer on fire", org: str | None = "Acme Corp",
           severity: str | None = "sev2", **kw: Any) -> Any:
    """A person files an issue in SUP (at the clock's now unless ``created=``)."""
    fields = dict(kw.pop("fields", {}))
    if org is not None:
        fields[ORG] = org
    if severity is not None:
        fields[SEVERITY] = severity
    return emu.store.create_issue("SUP", summary=summary, fields=fields, **kw)


def read_all(conn: JiraConnector, cursor: dict | None = None,
             fields: list[str] | None = None) -> tuple[list[Any], dict | None]:
    """Every record of one read, and the cursor it ends at."""
    records, last = [], cursor
    for page in conn.read_changes("issue", cursor, fields or ["key", "summary", "updated"]):
        records += page.records
        last = dict(page.cursor)
    return records, last


# -- the hub ----------------------------------------------------------------------------
@pytest.fixture
def jira_hub(hub: Hub, emu: JiraEmulator, tmp_path: Path) -> Hub:
    """The test hub with a contracthub.yaml naming the emulator: secrets through ${ENV},
    the CA bundle relative to the config folder, the shipped mapping."""
    shutil.copy(emu.ca_bundle, tmp_path / "jira-ca.pem")
    auth = {k: "${JIRA_" + k.upper() + "}" for k in auth_for(emu)}
    config = {
        "store": {"url": hub.config.store.url},
        "connections": {"jira": {**settings(emu), "ca_bundle": "jira-ca.pem", "auth": auth}},
        "syncs": [{"name": "jira_tickets", "connection": "jira", "mapping": str(MAPPING)}]}
    path = tmp_path / "contracthub.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"JIRA_" + k.upper(): v for k, v in auth_for(emu).items()}
    return dataclasses.replace(hub, config=load_config(path, env=env))


@pytest.fixture
def job(jira_hub: Hub) -> SyncJob:
    """The sync built from config as the daemon builds it (entry point, checked mapping)."""
    [built] = build_jobs(jira_hub)
    return built


def cycle(hub: Hub, job: SyncJob, **kw: Any) -> CycleResult:
    result = run_cycle(hub, job, **kw)
    assert result.status == "ok", result.error
    return result
