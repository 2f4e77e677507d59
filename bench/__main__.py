"""``python -m bench``: every benchmark at a bounded size, one table; ``python -m bench NAME
[OPTIONS]``: one at full size (``python -m bench NAME --help`` for its options).

To add one: a module ``bench/NAME.py`` with ``add_arguments(parser)``, ``measure(args)``
(rows for the table), ``run(args) -> int`` (the exit code) and ``QUICK`` (the arguments
of its bounded run), and a line in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from typing import Any

from bench.table import print_rows

# name -> (module, one line saying what it measures)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "backfill": ("bench.backfill", "store -> Salesforce emulator -> store for 10k and 100k "
                                   "contracts: records/s, calls vs the minimum, peak RSS; "
                                   "and the record-by-record baseline"),
    "idle": ("bench.idle", "an idle sync cycle over 1k and 100k synced contracts: API calls, "
                           "store queries and CPU per cycle"),
    "lookup": ("bench.lookup", "entitlement lookups over HTTP (contracthub serve) against a "
                               "seeded PostgreSQL store: throughput, p50, p99"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description="contracthub benchmarks "
                                "(targets to measure, not tests). With no SUBCOMMAND: all of "
                                "them at a bounded size, one table.")
    sub = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(sp)
    return p


def run_all(p: argparse.ArgumentParser) -> int:
    rows = []
    t0 = time.perf_counter()
    for name, (module, _) in SUBCOMMANDS.items():
        mod = importlib.import_module(module)
        args = p.parse_args([name, *mod.QUICK])
        print(f"bench {name} {' '.join(mod.QUICK)} ...", file=sys.stderr, flush=True)
        rows += mod.measure(args)
    print_rows(f"contracthub benchmarks (bounded sizes; {os.cpu_count()} CPU(s), Python "
               f"{platform.python_version()}, {time.perf_counter() - t0:.0f} s)",
               [compact(r) for r in rows])
    return 0


def compact(row: dict[str, Any]) -> dict[str, Any]:
    """One benchmark's row in the shared table: its own columns as ``name value`` pairs."""
    figures = "; ".join(f"{k} {v}" for k, v in row.items()
                        if k not in ("benchmark", "case", "note") and v not in ("", None))
    return {"benchmark": row["benchmark"], "case": row["case"], "figures": figures,
            "note": row.get("note", "")}


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.command is None:
        return run_all(p)
    return int(importlib.import_module(SUBCOMMANDS[args.command][0]).run(args))


if __name__ == "__main__":
    sys.exit(main())
