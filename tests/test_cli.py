"""The CLI as a user runs it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "contracts.csv"


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("contracthub")
    assert exe, "the contracthub console script is not installed (pip install -e .)"
    full_env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=full_env,
                          timeout=120)


def test_first_run_walkthrough(tmp_path):
    r = run(tmp_path, "init")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "contracthub.yaml").exists() and (tmp_path / "contracthub.db").exists()
    r = run(tmp_path, "contracts", "import", str(EXAMPLE))
    assert r.returncode == 0 and "imported 8 contract(s)" in r.stdout, r.stderr
    r = run(tmp_path, "contracts", "list", "--status", "active", "--json")
    rows = json.loads(r.stdout)
    assert [c["number"] for c in rows] == ["C-1001", "C-1002", "C-1003", "C-2001", "C-3001",
                                           "C-4001"]
    r = run(tmp_path, "contracts", "show", "C-1003", "--json")
    shown = json.loads(r.stdout)
    assert shown["parent"] == "C-1001" and shown["kind"] == "amendment"
    r = run(tmp_path, "entitlement", "--customer", "Globex Ltd", "--at",
            "2026-11-27T15:00:00Z", "--json")
    ent = json.loads(r.stdout)
    assert ent["entitled"] and ent["contracts"] == ["C-2001"] and ent["tier"] == "standard"
    assert any("C-2002 (sla, basic) is expired" in why for why in ent["reasons"])
    r = run(tmp_path, "entitlement", "--customer", "Globex Ltd")
    assert r.returncode == 0 and "why:" in r.stdout
    r = run(tmp_path, "audit", "verify")
    assert r.returncode == 0 and "audit chain ok: 8 event(s)" in r.stdout


def test_tampering_makes_audit_verify_fail(tmp_path):
    run(tmp_path, "init")
    run(tmp_path, "contracts", "import", str(EXAMPLE))
    with sqlite3.connect(tmp_path / "contracthub.db") as db:
        db.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 5")
    r = run(tmp_path, "audit", "verify")
    assert r.returncode == 1
    assert r.stderr.startswith("error: audit chain broken at event 5:")


@pytest.mark.parametrize("args, code, message", [
    (["contracts", "show", "NOPE"], 1, "error: no contract 'NOPE'"),
    (["entitlement", "--customer", "Nobody"], 1, "error: no customer named 'Nobody'"),
    (["entitlement"], 1, "error: give exactly one of --customer or --ticket"),
    (["contracts", "list", "--status", "weird"], 1, "error: unknown status 'weird'"),
    (["contracts", "import", "missing.csv"], 1, "error: missing.csv: no such file"),
    (["contracts", "frobnicate"], 2, "No such command"),
])
def test_user_errors_are_one_line_without_traceback(tmp_path, args, code, message):
    run(tmp_path, "init")
    r = run(tmp_path, *args)
    assert r.returncode == code
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bad_import_lists_rows_and_writes_nothing(tmp_path):
    run(tmp_path, "init")
    bad = tmp_path / "bad.csv"
    bad.write_text("number,customer,kind,start_date\nX-1,,support,2026-01-01\n"
                   "X-2,Acme,support,01/02/2026\n")
    r = run(tmp_path, "contracts", "import", str(bad))
    assert r.returncode == 1
    assert f"{bad}:2: customer: missing (required)" in r.stderr
    assert f"{bad}:3: start_date: '01/02/2026' is not a date" in r.stderr
    assert json.loads(run(tmp_path, "contracts", "list", "--json").stdout) == []


def test_config_errors_name_the_key_and_file(tmp_path):
    (tmp_path / "hub.yaml").write_text("store: {url: sqlite:///x.db}\nbogus: 1\n")
    r = run(tmp_path, "--config", "hub.yaml", "contracts", "list")
    assert r.returncode == 1 and r.stderr.strip() == "error: hub.yaml: unknown key 'bogus'"
    r = run(tmp_path, "contracts", "list", env={"CONTRACTHUB_CONFIG": "other.yaml"})
    assert r.returncode == 1 and "other.yaml: config file not found" in r.stderr
