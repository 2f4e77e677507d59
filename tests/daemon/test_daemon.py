"""The daemon: graceful stops at safe points, reloads that keep the last good config,
claims on PostgreSQL, and one daemon per SQLite store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.memory import MemoryRemote
from core.claims import Claims, DaemonRefused
from core.db import open_store
from core.models import Customer
from core.sync_models import Cursor, SyncRun
from scheduler import Daemon
from tests.sync.conftest import ACCOUNTS

ROOT = Path(__file__).resolve().parents[2]


def write_hub(folder: Path, store_url: str, every: str = "1s", extra_sync: bool = False) -> Path:
    (folder / "accounts.yaml").write_text(ACCOUNTS.replace("name: mem_accounts\n", ""))
    syncs = f"  - {{name: mem_accounts, connection: mem, mapping: accounts.yaml, every: {every}}}\n"
    if extra_sync:
        syncs += (f"  - {{name: mem_accounts_b, connection: mem2, mapping: accounts_b.yaml, "
                  f"every: {every}}}\n")
        (folder / "accounts_b.yaml").write_text(
            ACCOUNTS.replace("name: mem_accounts\n", "").replace("connection: mem\n",
                                                                  "connection: mem2\n"))
    cfg = folder / "contracthub.yaml"
    cfg.write_text(f"store: {{url: '{store_url}'}}\nconnections:\n"
                   "  mem: {type: memory, path: crm.json, page_size: 10}\n"
                   "  mem2: {type: memory, path: crm2.json, page_size: 10}\n"
                   f"syncs:\n{syncs}")
    return cfg


def seed_remote(folder: Path, n: int, name: str = "crm.json", clock=None) -> None:
    from core.clock import SystemClock

    remote = MemoryRemote.load(folder / name, clock or SystemClock())
    for i in range(n):
        remote.create("Account", {"Name": f"Remote {i:03d}"})
    remote.save(folder / name)


def test_stop_mid_cycle_commits_the_page_in_hand_and_resumes(tmp_path, clock):
    cfg = write_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}")
    seed_remote(tmp_path, 35, clock=clock)
    clock.advance(3600)
    daemon = Daemon(cfg, clock=clock)
    real_step = daemon._step

    def step(name: str) -> None:
        if name == "before_cursor_commit":
            daemon.stopping.set()  # SIGTERM arrives while the first page is being applied
        real_step(name)

    daemon._step = step
    assert daemon.run_sync("mem_accounts") == "stopped"
    with daemon.hub.session() as s:
        assert len(s.scalars(select(Customer)).all()) == 10  # exactly the first page
        cursor = s.get(Cursor, "mem_accounts").value
        assert cursor["id"]  # ...committed with its cursor
        [run] = s.scalars(select(SyncRun)).all()
        assert run.status == "stopped" and run.ended_at is not None
    again = Daemon(cfg, clock=clock)
    assert again.run_sync("mem_accounts") == "ok"
    with again.hub.session() as s:
        assert len(s.scalars(select(Customer)).all()) == 35


def test_reload_keeps_the_last_good_mapping(tmp_path, clock, caplog):
    cfg = write_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}")
    daemon = Daemon(cfg, clock=clock)
    (tmp_path / "accounts.yaml").write_text(
        ACCOUNTS.replace("name: mem_accounts\n", "").replace("direction: in", "direction: up"))
    assert daemon.changed_on_disk()
    with caplog.at_level("ERROR", logger="contracthub.daemon"):
        assert daemon.reload() is False
    assert "status=rejected" in caplog.text and "accounts.yaml:" in caplog.text
    assert "'up' is not one of in, out, both" in caplog.text
    assert not daemon.changed_on_disk()  # the broken file is not retried in a loop
    seed_remote(tmp_path, 3, clock=clock)
    clock.advance(3600)
    assert daemon.run_sync("mem_accounts") == "ok"  # still running on the old mapping
    (tmp_path / "accounts.yaml").write_text(ACCOUNTS.replace("name: mem_accounts\n", ""))
    assert daemon.reload() is True


def test_a_second_daemon_on_one_sqlite_store_refuses(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    first, second = Claims(engine), Claims(engine)
    first.start()
    with pytest.raises(DaemonRefused, match="SQLite supports one daemon"):
        second.start()
    first.stop()
    second.start()
    second.stop()


def test_postgres_claims_exclude_each_other_and_die_with_their_holder(pg_url):
    a, b = Claims(open_store(pg_url, auto_migrate=True)), Claims(open_store(pg_url))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with a.claim("sync-x") as mine:
            assert mine
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    with b.claim("sync-x") as mine:
        assert not mine  # never the same sync twice at once
    with b.claim("sync-y") as mine:
        assert mine  # other syncs are free
    release.set()
    t.join()
    with b.claim("sync-x") as mine:
        assert mine


def start_daemon(cfg: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "--config", str(cfg), "daemon", "--log-format",
         "json", *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True, env=env)


def read_events(proc: subprocess.Popen, until, timeout: float = 30.0) -> list[dict]:
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
        if until(events):
            return events
    raise AssertionError(f"daemon did not get there in {timeout}s: {events[-5:]}")


def test_daemon_process_syncs_and_exits_0_on_sigterm(tmp_path):
    cfg = write_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}")
    seed_remote(tmp_path, 12)
    proc = start_daemon(cfg)
    try:
        events = read_events(proc, lambda ev: any(e.get("event") == "cycle" for e in ev))
        cycle = next(e for e in events if e.get("event") == "cycle")
        assert cycle["status"] == "ok" and cycle["sync"] == "mem_accounts"
        assert cycle["created"] == 0 or cycle["pulled"] >= 12
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    second = start_daemon(cfg)  # the store is free again
    try:
        read_events(second, lambda ev: any(e.get("event") == "started" for e in ev))
        blocked = start_daemon(cfg)
        _, err = blocked.communicate(timeout=30)
        assert blocked.returncode == 1 and "SQLite supports one daemon" in err
        second.send_signal(signal.SIGHUP)
        read_events(second, lambda ev: any(e.get("event") == "reload" for e in ev))
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=30) == 0
    finally:
        second.kill()


def test_two_daemons_on_postgres_share_syncs_and_take_over_after_a_sigkill(tmp_path, pg_url):
    """Two daemon processes on one PostgreSQL store: no sync ever runs twice at once,
    and when one is killed outright (no chance to clean up) the other runs its syncs."""
    open_store(pg_url, auto_migrate=True).dispose()
    cfg = write_hub(tmp_path, pg_url, extra_sync=True)
    seed_remote(tmp_path, 30)
    seed_remote(tmp_path, 30, "crm2.json")
    a, b = start_daemon(cfg), start_daemon(cfg)
    try:
        def cycles(ev):
            return {e["sync"] for e in ev if e.get("event") == "cycle" and e["status"] == "ok"}

        read_events(a, lambda ev: len(cycles(ev)) >= 1)
        read_events(b, lambda ev: len(cycles(ev)) >= 1)
        a.kill()                                    # SIGKILL: its claims die with its session
        a.wait(timeout=30)
        after = read_events(b, lambda ev: cycles(ev) == {"mem_accounts", "mem_accounts_b"}
                            and sum(e.get("event") == "cycle" for e in ev) >= 4)
        assert cycles(after) == {"mem_accounts", "mem_accounts_b"}
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=30) == 0
    finally:
        a.kill()
        b.kill()
    engine = open_store(pg_url)
    with engine.connect() as conn:
        runs = conn.execute(select(SyncRun.sync, SyncRun.owner, SyncRun.started_at,
                                   SyncRun.ended_at).order_by(SyncRun.started_at)).all()
    engine.dispose()
    assert {r.owner for r in runs} and len({r.owner for r in runs}) == 2  # both worked
    for name in ("mem_accounts", "mem_accounts_b"):
        mine = [r for r in runs if r.sync == name and r.ended_at is not None]
        for first, second in zip(mine, mine[1:]):
            assert first.ended_at <= second.started_at, f"{name} ran twice at once"
