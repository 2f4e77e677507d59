"""``python -m bench SUBCOMMAND [OPTIONS]``: run one benchmark; with no subcommand, list them.

To add one: a module ``bench/NAME.py`` with ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code), and a line in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one line saying what it measures)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "lookup": ("bench.lookup", "entitlement lookups over HTTP (contracthub serve) against a "
                               "seeded PostgreSQL store: throughput, p50, p99"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description="contracthub benchmarks "
                                "(targets to measure, not tests).")
    sub = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(sp)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.command is None:
        p.print_help()
        return 2
    return int(importlib.import_module(SUBCOMMANDS[args.command][0]).run(args))


if __name__ == "__main__":
    sys.exit(main())
