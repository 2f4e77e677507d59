"""``contracthub sandbox``: every emulator up at once, and a config that reaches them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from core.config import load_config
from core.hub import open_hub
from core.importer import import_contracts
from core.sync.engine import run_cycle
from core.sync.jobs import build_jobs
from sandbox.launch import LAUNCHERS, start_sandbox, write_config

ROOT = Path(__file__).resolve().parents[2]


def test_written_config_syncs_the_example_book_into_the_emulators(tmp_path: Path) -> None:
    with start_sandbox() as box:
        path = write_config(box, tmp_path)
        cfg = load_config(path)
        assert set(cfg.connections) == set(LAUNCHERS)
        assert (tmp_path / "sandbox-ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE")
        hub = open_hub(path)
        with hub.session() as session, session.begin():
            import_contracts(session, ROOT / "examples" / "contracts.csv")
        results = [run_cycle(hub, job) for job in build_jobs(hub)]
        assert [r.status for r in results] == ["ok"] * len(results), [r.error for r in results]
        accounts = box["salesforce"].store.all("Account")
        assert {a["Name"] for a in accounts} >= {"Acme Corp"}
        assert len(box["salesforce"].store.all("Contract")) == 8


def test_unknown_emulator_is_named() -> None:
    with pytest.raises(ValueError, match="unknown emulator 'nope'"):
        start_sandbox(only=["nope"])


def test_command_prints_connections_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    exe = shutil.which("contracthub")
    assert exe, "pip install -e . first"
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    proc = subprocess.Popen([exe, "sandbox", "--dir", str(tmp_path), "--only", "salesforce"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:           # blocks until the command has printed its block
        lines.append(line)
        if line.startswith("Ctrl-C"):
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    block = yaml.safe_load("".join(lines).split("\n\n")[0])
    sf = block["connections"]["salesforce"]
    assert sf["login_url"].startswith("https://127.0.0.1:")
    assert "sandbox stopped" in out
    written = yaml.safe_load((tmp_path / "contracthub.yaml").read_text())
    assert [s["name"] for s in written["syncs"]] == ["sf_accounts", "sf_contracts"]
