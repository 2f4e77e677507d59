"""``python -m bench backfill``: a store's contracts (and customers) to Salesforce and back.

For each size (default 10k and 100k contracts, two per customer):

- push: the first cycle of ``sf_accounts`` then ``sf_contracts`` writes every
  customer and contract to the emulator. Write calls against the minimum
  ceil(N/200) (sObject Collections take 200 records a call).
- pull: the next cycle of each reads them all back into the store (each one
  reconciled against its link, nothing written). Query calls against the
  minimum ceil(N/2000) (a query page holds 2,000 records).

Records/s are per sync over the wall time of its cycle (the engine's store
work included). Peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the child
process that ran the phase (bench.rig), so it is the engine's, not the
emulator's.

``--per-record N`` also runs (d): the same first push of N contracts one record
per call (the way per-record tools work), against the batched push of the same
N in a fresh store, as ratios of calls and of wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from bench.idle import idle_rows
from bench.rig import reads, run_phase, salesforce_rig, seed, writes
from bench.table import print_rows

QUICK = ["--sizes", "2000", "--per-record", "400"]
SYNCS = ["sf_accounts", "sf_contracts"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="10000,100000", help="contracts, comma-separated")
    p.add_argument("--store", choices=("sqlite", "pg"), default="sqlite",
                   help="sqlite (a temporary file) or pg (a scratch PostgreSQL database)")
    p.add_argument("--per-record", type=int, default=2000, metavar="N",
                   help="contracts for the record-by-record baseline (0: skip)")
    p.add_argument("--idle", type=int, default=0, metavar="CYCLES",
                   help="then also measure this many idle cycles at each size (as "
                        "`python -m bench idle`, without a second backfill)")


def _row(case: str, answer: dict[str, Any], n: int, push: bool) -> dict[str, Any]:
    r = answer["results"][0]
    obj = "Account" if r["sync"] == "sf_accounts" else "Contract"
    used = (writes if push else reads)(answer["emulator_calls"])
    minimum = math.ceil(n / (200 if push else 2000))
    done = r["pushed"] if push else r["pulled"]
    return {"benchmark": "backfill", "case": f"{case} {'push' if push else 'pull'} {obj}",
            "records": done, "calls": used, "min calls": minimum,
            "ratio": f"{used / minimum:.2f}" if minimum else "-",
            "rec/s": f"{done / r['wall_s']:.0f}", "wall s": f"{r['wall_s']:.1f}",
            "CPU s": f"{r['cpu_s']:.1f}", "peak RSS MB": f"{answer['peak_rss_mb']:.0f}"}


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in [int(x) for x in str(args.sizes).split(",") if x.strip()]:
        with salesforce_rig(args.store) as rig:
            customers = seed(rig.store_url, n)
            sizes = {"sf_accounts": customers, "sf_contracts": n}
            for push in (True, False):
                for sync in SYNCS:  # one child per sync: each one's own peak RSS
                    answer = run_phase(rig, [sync])
                    _check(answer["results"][0], sizes[sync], push)
                    rows.append(_row(f"{n:,}", answer, sizes[sync], push))
                    _progress(rows[-1])
            if args.idle:
                rows += idle_rows(n, run_phase(rig, SYNCS, repeat=args.idle), args.idle)
                _progress(*rows[-3:])
    if args.per_record:
        rows += per_record(args.store, args.per_record)
    return rows


def _progress(*rows: dict[str, Any]) -> None:
    """Each figure on stderr as it is measured (a long run keeps what it got)."""
    for r in rows:
        print(json.dumps(r), file=sys.stderr, flush=True)


def _check(r: dict[str, Any], n: int, push: bool) -> None:
    if push and (r["pushed"] != n or r["dead_lettered"]):
        raise SystemExit(f"backfill: {r['sync']} pushed {r['pushed']} of {n} "
                         f"({r['dead_lettered']} dead-lettered)")
    if not push and (r["pulled"] != n or r["pushed"] or r["conflicts"]):
        raise SystemExit(f"backfill: {r['sync']} read back {r['pulled']} of {n}, then "
                         f"pushed {r['pushed']} with {r['conflicts']} conflict(s)")


def per_record(store: str, n: int) -> list[dict[str, Any]]:
    """(d): the first push of ``n`` contracts batched and one record per call."""
    figures = {}
    for label, batch_max in (("batched", None), ("per record", 1)):
        with salesforce_rig(store) as rig:
            seed(rig.store_url, n)
            run_phase(rig, ["sf_accounts"])
            answer = run_phase(rig, ["sf_contracts"], batch_max=batch_max)
            r = answer["results"][0]
            figures[label] = (writes(answer["emulator_calls"]), r["wall_s"], r["pushed"])
    (bc, bw, bn), (pc, pw, pn) = figures["batched"], figures["per record"]
    if bn != n or pn != n:
        raise SystemExit(f"per-record baseline: pushed {bn} and {pn} of {n}")
    return [{"benchmark": "per-record", "case": f"{n:,} contracts, 1 per call vs batched",
             "records": n, "calls": pc, "min calls": bc, "ratio": f"{pc / bc:.0f}x calls",
             "rec/s": f"{n / pw:.0f} vs {n / bw:.0f}", "wall s": f"{pw:.1f} vs {bw:.1f}",
             "CPU s": "", "peak RSS MB": "", "note": f"{pw / bw:.1f}x wall time"}]


def run(args: argparse.Namespace) -> int:
    print_rows("backfill", measure(args))
    return 0
