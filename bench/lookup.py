"""``python -m bench lookup``: entitlement lookups over HTTP on loopback.

Target: p99 under 10 ms at 200 concurrent requests, 100k contracts in PostgreSQL.

1. Seeds a store with N contracts (``COPY`` on PostgreSQL, batched inserts on
   SQLite): customers with ~2 contracts each, a realistic mix of statuses,
   tiers, coverage (24x7, business hours with holiday calendars), SLA plans,
   incident caps, and N/5 tickets. By default a fresh PostgreSQL database on
   127.0.0.1:5432 (trust auth), ``bench_<pid>``, dropped afterwards.
2. Starts ``contracthub serve`` (uvicorn, ``--workers``) as a subprocess.
3. At each concurrency, keeps that many requests in flight for ``--duration``
   seconds (after a warm-up) from one client process: asyncio over kept-alive
   HTTP/1.1 connections (``--client httpx`` uses httpx.AsyncClient instead,
   which costs the client more CPU per request), and prints a table.

Client and server share the machine: on a small one the client's own CPU
time is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVE = [sys.executable, "-c", "import sys; import core.cli.serve_cmd; from core.cli import main; "
         "sys.argv[0] = 'contracthub'; main()"]
TIERS = ("basic", "standard", "premium", "enterprise")
ZONES = ("UTC", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo")
HOLIDAYS = (None, None, "US", "GB-ENG", "DE", "FR")


QUICK = ["--contracts", "5000", "--concurrency", "1,50", "--duration", "3", "--warmup", "1"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contracts", type=int, default=100_000, help="contracts to seed")
    p.add_argument("--concurrency", default="50,200", help="comma-separated levels")
    p.add_argument("--store", help="an EMPTY store URL (default: a fresh PostgreSQL database "
                                   "on 127.0.0.1:5432, dropped afterwards)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per level")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="uvicorn worker processes")
    p.add_argument("--client", choices=("raw", "httpx"), default="raw")
    p.add_argument("--port", type=int, default=0, help="default: a free port")


# -- seeding ---------------------------------------------------------------------------
def rows(n: int, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    from core.entitlement import DEFAULT_TARGETS

    rng = random.Random(seed)
    plans = [(i + 1, f"Plan {t}", {s: {"first_response_min": fr, "resolution_min": res}
                                   for s, (fr, res) in DEFAULT_TARGETS[t].items()}, {})
             for i, t in enumerate(TIERS)]
    n_customers = max(1, n // 2)
    customers = [(i, f"Customer {i:06d}", f"c{i:06d}.example", rng.choice(ZONES))
                 for i in range(1, n_customers + 1)]
    contracts, tickets = [], []
    for i in range(1, n + 1):
        cust = rng.randint(1, n_customers)
        tier = rng.choice(TIERS)
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        end = None if rng.random() < 0.1 else start + timedelta(days=rng.randrange(365, 1100))
        status = rng.choices(("active", "expired", "draft", "terminated"), (70, 15, 10, 5))[0]
        cap = None if rng.random() < 0.7 else rng.randrange(10, 50)
        plan = TIERS.index(tier) + 1 if rng.random() < 0.6 else None
        contracts.append((i, f"B-{i:07d}", cust, rng.choice(("support", "maintenance", "sla")),
                          status, tier, start, end, 60, False, "USD",
                          "24x7" if rng.random() < 0.4 else "business_hours",
                          rng.choice(ZONES), rng.choice(HOLIDAYS), [], [], [], cap, plan,
                          1, False))
        if i % 5 == 0:
            created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
            tickets.append((i // 5, f"BT-{i // 5}", cust, i, rng.choice(("sev1", "sev2", "sev3")),
                            "Open", created, [], False))
    return {"sla_plans (id, name, targets, credit_rule)": plans,
            "customers (id, name, domain, timezone)": customers,
            "contracts (id, number, customer_id, kind, status, tier, start_date, end_date, "
            "renewal_notice_days, auto_renew, currency, coverage, timezone, holiday_calendar, "
            "scope, exclusions, escalation_contacts, incident_cap, sla_plan_id, version, "
            "locked)": contracts,
            "tickets (id, key, customer_id, contract_id, severity, status, created_at, "
            "status_history, breached)": tickets}


def seed(url: str, n: int) -> list[str]:
    """Seed ``n`` contracts into the empty store at ``url``; returns the customer names."""
    from sqlalchemy import func, select, text

    from core.db import open_store
    from core.models import Base, Customer

    engine = open_store(url, auto_migrate=True)
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Customer)):
            raise SystemExit(f"{url}: the store is not empty; the bench needs an empty one")
    data = rows(n)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:  # type: ignore[attr-defined]
                for table, values in data.items():
                    with cur.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in values:
                            copy.write_row([json.dumps(v) if isinstance(v, list | dict) else v
                                            for v in row])
                for table in ("sla_plans", "customers", "contracts", "tickets"):
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
            raw.commit()
        finally:
            raw.close()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            for table, values in data.items():
                if not values:
                    continue
                name, cols = table.split(" ", 1)
                names = cols.strip("()").split(", ")
                conn.execute(Base.metadata.tables[name].insert(),
                             [dict(zip(names, r, strict=True)) for r in values])
    engine.dispose()
    return [c[1] for c in next(v for k, v in data.items() if k.startswith("customers"))]


def agent_token(url: str) -> str:
    from core.db import open_store, session_factory
    from core.tokens import create_token

    engine = open_store(url)
    try:
        with session_factory(engine)() as s, s.begin():
            token, _ = create_token(s, name=f"bench-{uuid.uuid4().hex[:6]}", role="agent",
                                    at=datetime.now(UTC), actor="bench")
        return token
    finally:
        engine.dispose()


# -- load ----------------------------------------------------------------------------------
async def _raw_user(host: str, port: int, paths: list[str], token: str, stop: list[bool],
                    out: list[float], errors: list[int], rng: random.Random) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    head = f"Host: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    try:
        while not stop[0]:
            t0 = time.perf_counter()
            writer.write(f"GET {rng.choice(paths)} HTTP/1.1\r\n".encode() + head)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out.append(time.perf_counter() - t0)
            if status_line[9:12] != b"200":
                errors[0] += 1
    finally:
        writer.close()


async def _httpx_user(client: Any, base: str, paths: list[str], stop: list[bool],
                      out: list[float], errors: list[int], rng: random.Random) -> None:
    while not stop[0]:
        t0 = time.perf_counter()
        r = await client.get(base + rng.choice(paths))
        out.append(time.perf_counter() - t0)
        if r.status_code != 200:
            errors[0] += 1


async def _level(args: argparse.Namespace, port: int, paths: list[str], token: str,
                 concurrency: int) -> tuple[list[float], int, float]:
    stop, errors, samples = [False], [0], []
    rng = random.Random(concurrency)
    client = None
    if args.client == "httpx":
        import httpx

        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                   limits=httpx.Limits(max_connections=concurrency))
        users = [_httpx_user(client, f"http://127.0.0.1:{port}", paths, stop, samples,
                             errors, rng) for _ in range(concurrency)]
    else:
        users = [_raw_user("127.0.0.1", port, paths, token, stop, samples, errors, rng)
                 for _ in range(concurrency)]
    tasks = [asyncio.ensure_future(u) for u in users]
    await asyncio.sleep(args.warmup)
    samples.clear()
    errors[0] = 0
    t0 = time.perf_counter()
    await asyncio.sleep(args.duration)
    measured, elapsed = list(samples), time.perf_counter() - t0
    stop[0] = True
    await asyncio.gather(*tasks, return_exceptions=True)
    if client is not None:
        await client.aclose()
    return measured, errors[0], elapsed


def _pct(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))] if sorted_ms else 0.0


def _wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"contracthub serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " in s.recv(200):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"contracthub serve did not answer /healthz in {timeout:.0f} s")


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    levels = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    created_db = None
    url = args.store
    if url is None:
        import psycopg

        created_db = f"bench_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{created_db}"')
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{created_db}"
    proc = None
    folder = Path(tempfile.mkdtemp(prefix="chub-bench-"))
    rows: list[dict[str, Any]] = []
    try:
        t0 = time.perf_counter()
        names = seed(url, args.contracts)
        print(f"seeded {args.contracts} contracts, {len(names)} customers, "
              f"{args.contracts // 5} tickets in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
        token = agent_token(url)
        from urllib.parse import quote

        paths = [f"/v1/entitlements?customer={quote(n)}" for n in names]
        port = args.port or _free_port()
        (folder / "contracthub.yaml").write_text(f"store: {{url: '{url}'}}\nactor: bench\n")
        proc = subprocess.Popen([*SERVE, "--config", str(folder / "contracthub.yaml"), "serve",
                                 "--port", str(port), "--workers", str(args.workers),
                                 "--no-access-log", "--log-level", "warning"])
        _wait_ready(proc, port)
        _run_loop()
        load = os.getloadavg()[0]
        for c in levels:
            samples, errors, elapsed = asyncio.run(_level(args, port, paths, token, c))
            ms = sorted(x * 1000 for x in samples)
            rows.append({"benchmark": "lookup",
                         "case": f"{args.contracts:,} contracts, {c} concurrent",
                         "requests": len(ms), "errors": errors,
                         "req/s": f"{len(ms) / elapsed:.0f}", "p50 ms": f"{_pct(ms, .5):.2f}",
                         "p90 ms": f"{_pct(ms, .9):.2f}", "p99 ms": f"{_pct(ms, .99):.2f}",
                         "max ms": f"{(ms[-1] if ms else 0):.2f}",
                         "note": f"{args.workers} workers, {args.client} client, "
                                 f"load {load:.1f}"})
        return rows
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
        if created_db:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')


def run(args: argparse.Namespace) -> int:
    from bench.table import print_rows

    print_rows(f"entitlement lookups over HTTP ({os.cpu_count()} CPU(s); client and server "
               "share them)", measure(args))
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_loop() -> None:
    """uvloop for the client when it is installed (as uvicorn uses it for the server)."""
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
