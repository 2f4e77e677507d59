"""Helpers for CLI tests: the installed console script in a subprocess, a hub
folder with a file-backed memory CRM, and an in-process hub for unit tests."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connectors.memory import MemoryRemote
from core.clock import SystemClock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CSV = ROOT / "examples" / "contracts.csv"
EXAMPLE_MAPPING = ROOT / "mappings" / "example_accounts.yaml"

CONFIG = """\
store: {url: "sqlite:///hub.db"}
actor: tester
connections:
  memory: {type: memory, path: crm.json, lag_seconds: 0}
syncs:
  - {name: accounts, connection: memory, mapping: accounts.yaml}
"""


def run(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("contracthub")
    assert exe, "the contracthub console script is not installed (pip install -e .)"
    full_env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=full_env,
                          timeout=120)


def ok(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    r = run(cwd, *args)
    assert r.returncode == 0, f"{args}: {r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r


class HubDir:
    """A hub folder: contracthub.yaml, accounts.yaml, hub.db and the CRM in crm.json."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(self.path, *args)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        return ok(self.path, *args)

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    @property
    def crm_file(self) -> Path:
        return self.path / "crm.json"

    def crm(self) -> MemoryRemote:
        return MemoryRemote.load(self.crm_file, SystemClock())

    def accounts(self) -> dict[str, dict[str, Any]]:
        return self.crm().all("Account")

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path / "hub.db") as db:
            return db.execute(query, params).fetchall()


@pytest.fixture
def hubdir(tmp_path: Path) -> HubDir:
    """A configured hub with the example contracts imported (4 customers)."""
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    shutil.copy(EXAMPLE_MAPPING, tmp_path / "accounts.yaml")
    h = HubDir(tmp_path)
    h.ok("contracts", "import", str(EXAMPLE_CSV))
    return h
