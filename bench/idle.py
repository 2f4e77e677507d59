"""``python -m bench idle``: what a sync cycle costs when nothing changed.

For each size (default 1k and 100k contracts, two per customer) the store is
synced for real (push, then a read-back so every link is confirmed), then
``--cycles`` rounds of both syncs run in a fresh child process (bench.rig) with
nothing changed on either side. Per cycle: API calls (the changes query, and
getDeleted when a whole minute has passed since the last one: Salesforce counts
deletions by the minute), SQL statements sent to the store, and CPU time of the
engine's process (the emulator runs in another one).

Target: at most one read call per synced object, and CPU (and statements) flat
from 1k to 100k contracts.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.rig import reads, run_phase, salesforce_rig, seed
from bench.table import print_rows

QUICK = ["--sizes", "500,2000", "--cycles", "3"]
SYNCS = ["sf_accounts", "sf_contracts"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="1000,100000", help="contracts, comma-separated")
    p.add_argument("--store", choices=("sqlite", "pg"), default="sqlite",
                   help="sqlite (a temporary file) or pg (a scratch PostgreSQL database)")
    p.add_argument("--cycles", type=int, default=5, help="idle rounds measured per size")


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in [int(x) for x in str(args.sizes).split(",") if x.strip()]:
        with salesforce_rig(args.store) as rig:
            seed(rig.store_url, n, tickets_every=5)
            run_phase(rig, SYNCS)  # push everything
            run_phase(rig, SYNCS)  # read it back: every link confirmed
            answer = run_phase(rig, SYNCS, repeat=args.cycles)
            rows += idle_rows(n, answer, args.cycles)
    return rows


def idle_rows(n: int, answer: dict[str, Any], cycles: int) -> list[dict[str, Any]]:
    """Table rows for ``cycles`` idle rounds of both syncs (one ``run_phase`` answer)."""
    out = []
    for sync in SYNCS:
        mine = [r for r in answer["results"] if r["sync"] == sync]
        if any(r["pulled"] or r["pushed"] for r in mine):
            raise SystemExit(f"idle: {sync} was not idle: "
                             f"{[(r['pulled'], r['pushed']) for r in mine]}")
        calls = sum(r["api_calls"] for r in mine)
        out.append({"benchmark": "idle", "case": f"{n:,} contracts, {sync}",
                    "cycles": cycles, "calls/cycle": f"{calls / cycles:.1f}",
                    "queries/cycle": f"{sum(r['queries'] for r in mine) / cycles:.0f}",
                    "CPU ms/cycle": f"{1000 * sum(r['cpu_s'] for r in mine) / cycles:.1f}",
                    "wall ms/cycle": f"{1000 * sum(r['wall_s'] for r in mine) / cycles:.1f}"})
    out.append({"benchmark": "idle", "case": f"{n:,} contracts, query calls (both syncs)",
                "cycles": cycles,
                "calls/cycle": f"{reads(answer['emulator_calls']) / cycles:.1f}"})
    return out


def run(args: argparse.Namespace) -> int:
    print_rows("idle cycle", measure(args))
    return 0
