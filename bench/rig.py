"""The Salesforce bench rig: a scratch store, the emulator, a config, and measured cycles.

The emulator runs in this process (threads, as in the tests); each measured
phase -- one or more sync cycles -- runs in a fresh child process, so its peak
RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that child) is the
engine's alone, not the emulator's records or an earlier phase's. Time is
the real clock on both sides, with ``lag_seconds: 0`` so a read right after a
write sees it.

Stores: a SQLite file in a temporary folder by default; ``pg`` makes a scratch
PostgreSQL database ``bench_<pid>_<n>`` on 127.0.0.1:5432 (trust auth),
dropped on close.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import yaml

from bench.emulator_index import index_external_ids

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TIERS = ("basic", "standard", "premium", "enterprise")
CHUNK = 5000
_scratch = count(1)


@dataclass
class Rig:
    folder: Path
    store_url: str
    config: Path
    emulator: Any
    pg_database: str | None = None
    notes: list[str] = field(default_factory=list)


@contextmanager
def scratch_store(kind: str) -> Iterator[tuple[str, str | None]]:
    """(url, scratch PostgreSQL database or None) for an empty store of ``kind``."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="chub-bench-store-"))
        try:
            yield f"sqlite:///{folder / 'store.db'}", None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if kind != "pg":
        raise SystemExit(f"--store {kind!r}: use sqlite or pg")
    import psycopg

    name = f"bench_{os.getpid()}_{next(_scratch)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def salesforce_rig(store: str = "sqlite") -> Iterator[Rig]:
    """A migrated empty store, a started emulator and a contracthub.yaml with the shipped
    Account and Contract mappings (syncs ``sf_accounts`` and ``sf_contracts``)."""
    from core.db import open_store
    from sandbox.salesforce import SalesforceEmulator

    folder = Path(tempfile.mkdtemp(prefix="chub-bench-"))
    emu = SalesforceEmulator(daily_limit=10**9)
    index_external_ids(emu.store)
    emu.start()
    try:
        with scratch_store(store) as (url, pg_db):
            open_store(url, auto_migrate=True).dispose()
            shutil.copy(emu.ca_bundle, folder / "sandbox-ca.pem")
            client_id, secret = emu.client_credentials()
            config = {
                "store": {"url": url}, "actor": "bench",
                "connections": {"salesforce": {
                    "type": "salesforce", "login_url": emu.login_url,
                    "ca_bundle": "sandbox-ca.pem", "api_version": "60.0", "lag_seconds": 0,
                    "auth": {"method": "client_credentials", "client_id": client_id,
                             "client_secret": secret}}},
                "syncs": [
                    {"name": "sf_accounts", "connection": "salesforce",
                     "mapping": str(REPO / "mappings" / "salesforce_accounts.yaml")},
                    {"name": "sf_contracts", "connection": "salesforce",
                     "mapping": str(REPO / "mappings" / "salesforce_contracts.yaml")}]}
            path = folder / "contracthub.yaml"
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
            yield Rig(folder, url, path, emu, pg_db)
    finally:
        emu.stop()
        shutil.rmtree(folder, ignore_errors=True)


def seed(url: str, contracts: int, *, each: int = 2, tickets_every: int = 0) -> int:
    """``contracts`` contracts, ``each`` per customer, bulk-inserted in chunks (as rows
    already in the store before the syncs were configured); returns customers. Terms are
    spread over ~2.5 years around today, so some start or end near any day; those already
    ended are ``expired``, as the hub's own daily pass would have left them.
    ``tickets_every``: an open ticket for every that many contracts."""
    from sqlalchemy import insert

    from core.db import open_store, session_factory
    from core.models import Contract, Customer, Ticket

    engine = open_store(url)
    now = datetime.now(UTC)
    today = now.date()
    n_customers = max(1, -(-contracts // each))
    try:
        made = 0
        for lo in range(0, n_customers, CHUNK):
            with session_factory(engine)() as s, s.begin():
                hi = min(n_customers, lo + CHUNK)
                ids = s.scalars(insert(Customer).returning(Customer.id,
                                                           sort_by_parameter_order=True), [
                    {"name": f"Customer {i:06d}", "domain": f"c{i}.example", "updated_at": now}
                    for i in range(lo, hi)]).all()
                rows = []
                for i, cid in zip(range(lo, hi), ids, strict=True):
                    for j in range(min(each, contracts - made)):
                        made += 1
                        start = today - timedelta(days=(made * 7) % 900)
                        end = start + timedelta(days=365 + (made * 13) % 730)
                        rows.append({
                            "number": f"B-{i:06d}-{j}", "customer_id": cid, "kind": "support",
                            "status": "active" if end >= today else "expired",
                            "tier": TIERS[(i + j) % len(TIERS)], "start_date": start,
                            "end_date": end, "updated_at": now})
                if not rows:
                    continue
                cids = s.scalars(insert(Contract).returning(
                    Contract.id, sort_by_parameter_order=True), rows).all()
                first = made - len(rows)
                tickets = [
                    {"key": f"BT-{first + k}", "customer_id": r["customer_id"],
                     "contract_id": cid, "severity": f"sev{1 + k % 4}", "status": "Open",
                     "created_at": now - timedelta(hours=k % 500), "status_history": []}
                    for k, (r, cid) in enumerate(zip(rows, cids, strict=True))
                    if tickets_every and (first + k) % tickets_every == 0]
                if tickets:
                    s.execute(insert(Ticket), tickets)
        return n_customers
    finally:
        engine.dispose()


def phase_main(argv: list[str]) -> int:
    """Child entry (``python -m bench.rig CONFIG BATCH_MAX REPEAT SYNC...``): REPEAT rounds
    of one cycle per sync; prints the figures (with the SQL statements each cycle sent to
    the store) as one JSON line."""
    from sqlalchemy import event

    import core.cli  # noqa: F401 -- every command and so every model, as the daemon has them
    from core.hub import open_hub
    from core.sync.engine import run_cycle
    from core.sync.jobs import build_jobs

    config, batch_max, repeat, syncs = argv[0], int(argv[1]), int(argv[2]), argv[3:]
    hub = open_hub(config)
    jobs = {j.name: j for j in build_jobs(hub)}
    statements = [0]

    @event.listens_for(hub.engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    profile = None
    if os.environ.get("BENCH_PROFILE"):  # a folder: one cProfile dump per phase
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    results = []
    for _ in range(repeat):
        for name in syncs:
            job = jobs[name]
            if batch_max:
                job.connector.batch_max = batch_max  # type: ignore[misc]
            t0, c0, q0 = time.perf_counter(), time.process_time(), statements[0]
            r = run_cycle(hub, job)
            results.append({"sync": name, "status": r.status, "error": r.error,
                            "wall_s": time.perf_counter() - t0,
                            "cpu_s": time.process_time() - c0, "queries": statements[0] - q0,
                            "pulled": r.counts.pulled, "pushed": r.counts.pushed,
                            "dead_lettered": r.counts.dead_lettered,
                            "conflicts": r.counts.conflicts, "api_calls": r.counts.api_calls})
    if profile is not None:
        profile.disable()
        profile.dump_stats(Path(os.environ["BENCH_PROFILE"]) / f"{'-'.join(syncs)}-"
                           f"{time.time_ns()}.prof")
    hub.engine.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"results": results, "peak_rss_mb": rss_mb}))
    return 0


def run_phase(rig: Rig, syncs: list[str], *, batch_max: int | None = None, repeat: int = 1
              ) -> dict[str, Any]:
    """Run one cycle of each of ``syncs`` (in order; ``repeat`` times) in a fresh child
    process (``batch_max``: the connector's batch size instead of its own). Returns
    ``{"results": [per sync: counts, wall_s, cpu_s, api_calls], "peak_rss_mb": ...}`` with
    the (method, path) of each call the emulator answered meanwhile in ``emulator_calls``."""
    before = len(rig.emulator.calls)
    proc = subprocess.run([sys.executable, "-m", "bench.rig", str(rig.config),
                           str(batch_max or 0), str(repeat), *syncs],
                          cwd=REPO, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench phase {syncs} failed:\n{proc.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    for r in answer["results"]:
        if r["status"] != "ok":
            raise SystemExit(f"bench phase: sync {r['sync']} {r['status']}: {r['error']}")
    answer["emulator_calls"] = [(c.method, c.path) for c in rig.emulator.calls.all()[before:]]
    return answer


def writes(calls: list[tuple[str, str]]) -> int:
    """Record-write calls among ``calls`` (sObject Collections or single-record upserts)."""
    return sum(1 for m, p in calls if m in ("PATCH", "POST", "DELETE") and "/sobjects" in p)


def reads(calls: list[tuple[str, str]]) -> int:
    """Query calls (the first page and each ``nextRecordsUrl``) among ``calls``."""
    return sum(1 for m, p in calls if m == "GET" and "/query" in p)


if __name__ == "__main__":
    sys.exit(phase_main(sys.argv[1:]))
