"""Every benchmark runs at a tiny size and its figures add up, so bench/ cannot rot.

Not a measurement: sizes are tiny and nothing is timed. It checks what the
figures must be whatever the machine: write calls are ceil(N/200), reads
ceil(N/2000), the per-record baseline makes one call per record, an idle cycle
one query per synced object, and lookups answer 200.
"""

from __future__ import annotations

import math

from bench.__main__ import SUBCOMMANDS, parser
from bench.emulator_index import index_external_ids
from sandbox.salesforce.store import Store


def _args(*argv: str):  # noqa: ANN202
    return parser().parse_args(list(argv))


def test_every_benchmark_parses_its_bounded_run():
    import importlib

    for name, (module, _) in SUBCOMMANDS.items():
        mod = importlib.import_module(module)
        assert _args(name, *mod.QUICK).command == name


def test_backfill_idle_and_per_record_figures_add_up():
    from bench import backfill

    n, per_record = 230, 12  # crosses one 200-record batch boundary
    rows = backfill.measure(_args("backfill", "--sizes", str(n), "--per-record",
                                  str(per_record), "--idle", "2"))
    by_case = {r["case"]: r for r in rows}
    customers = math.ceil(n / 2)
    for case, records, calls in (
            (f"{n} push Account", customers, math.ceil(customers / 200)),
            (f"{n} push Contract", n, math.ceil(n / 200)),
            (f"{n} pull Account", customers, math.ceil(customers / 2000)),
            (f"{n} pull Contract", n, math.ceil(n / 2000))):
        row = by_case[case]
        assert (row["records"], row["calls"], row["min calls"], row["ratio"]) == \
            (records, calls, calls, "1.00"), row
        assert float(row["peak RSS MB"]) > 0 and float(row["rec/s"]) > 0
    baseline = next(r for r in rows if r["benchmark"] == "per-record")
    assert (baseline["calls"], baseline["min calls"]) == (per_record, 1)
    idle = [r for r in rows if r["benchmark"] == "idle"]
    # one query per object and cycle; getDeleted only when a whole minute has passed
    assert idle[-1]["calls/cycle"] == "2.0"
    assert all(1.0 <= float(r["calls/cycle"]) <= 1.5 for r in idle[:2]), idle


def test_lookup_answers_over_http():
    from bench import lookup

    [row] = lookup.measure(_args("lookup", "--contracts", "40", "--concurrency", "3",
                                 "--duration", "0.5", "--warmup", "0.2", "--workers", "1"))
    assert row["requests"] > 0 and row["errors"] == 0
    assert float(row["p50 ms"]) <= float(row["p99 ms"]) <= float(row["max ms"])


def test_the_emulator_index_answers_as_the_scan():
    from sandbox.salesforce.schema import build_schema

    plain, indexed = Store(build_schema(None)), Store(build_schema(None))
    index_external_ids(indexed)
    for store in (plain, indexed):
        ids = [store.insert("Account", {"Name": f"A{i}", "ContractHub_Id__c": str(i % 3)})
               for i in range(6)]
        store.update("Account", ids[0], {"ContractHub_Id__c": "9"})
        store.delete("Account", ids[1])
    for value in ("0", "1", "2", "9", "7"):
        got = indexed.match_external("Account", "ContractHub_Id__c", value)
        want = plain.match_external("Account", "ContractHub_Id__c", value)
        assert [indexed.get("Account", i)["Name"] for i in got] == \
            [plain.get("Account", i)["Name"] for i in want], value
