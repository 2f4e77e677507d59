"""``contracthub sync [NAME ...] [--dry-run] [--sweep] [--json]``: run sync cycles now.

Each named sync (default: every configured one) runs one cycle. A broken
mapping refuses to start (every problem printed as ``FILE:LINE:COLUMN: ...``).
``--dry-run`` reads the remote and prints what the cycle would change -- per
direction, counts of creates, updates, deletes and conflicts, then the first
records' field-level diffs -- and writes nothing anywhere.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer

from core.cli.app import app, console, err_console, hub_from, print_json
from core.hub import Hub
from core.sync.engine import CycleResult, SyncJob, run_cycle
from core.sync.jobs import build_jobs
from core.sync.plan import Counts, Plan

ACTIONS = ("create", "update", "delete", "conflict")
SHOW_CHANGES = 10


def run_jobs(hub: Hub, jobs: list[SyncJob], *, dry_run: bool = False,
             force_sweep: bool = False) -> list[CycleResult]:
    """One cycle of each job; an unexpected failure of one sync does not stop the others."""
    results = []
    for job in jobs:
        try:
            results.append(run_cycle(hub, job, dry_run=dry_run, force_sweep=force_sweep))
        except Exception as exc:  # the engine has recorded it on the run row
            results.append(CycleResult(job.name, Counts(), "failed",
                                       f"{type(exc).__name__}: {exc}"))
    return results


def say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def counts_line(c: Counts) -> str:
    return (f"pulled {c.pulled}, created {c.created}, updated {c.updated}, "
            f"deleted {c.deleted}, pushed {c.pushed}, conflicts {c.conflicts}, "
            f"dead-lettered {c.dead_lettered}, API calls {c.api_calls}")


def report(results: list[CycleResult], jobs: list[SyncJob], *, as_json: bool,
           dry_run: bool = False) -> None:
    """Print the results; exit 1 (after printing) when any sync failed."""
    by_name = {j.name: j for j in jobs}
    if as_json:
        print_json([result_dict(r, by_name.get(r.sync), dry_run) for r in results])
    else:
        for r in results:
            if dry_run and r.plan is not None and r.status == "ok":
                show_plan(r, by_name[r.sync])
            else:
                say(f"{r.sync}: {r.status}{' (dry run)' if dry_run else ''} -- "
                    f"{counts_line(r.counts)}")
    failed = [r for r in results if r.status != "ok"]
    for r in failed:
        err_console.print(f"error: sync {r.sync} failed: {r.error}", markup=False,
                          highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def result_dict(r: CycleResult, job: SyncJob | None, dry_run: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"sync": r.sync, "status": r.status, "error": r.error,
                           "dry_run": dry_run, "counts": dataclasses.asdict(r.counts)}
    if dry_run and r.plan is not None:
        out["plan"] = plan_dict(r.plan)
    return out


def plan_dict(plan: Plan) -> dict[str, Any]:
    totals: dict[str, dict[str, int]] = {"in": {}, "out": {}}
    for (direction, action), n in plan.totals().items():
        totals.setdefault(direction, {})[action] = n
    return {"totals": totals,
            "changes": [{"direction": c.direction, "action": c.action, "key": c.key,
                         "diff": {k: list(v) if isinstance(v, tuple) else v
                                  for k, v in c.diff.items()},
                         "extra": c.extra} for c in plan.changes]}


def _value(v: Any, limit: int = 60) -> str:
    if v is None:
        return "(empty)"
    text = json.dumps(v, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 4] + '..."'


def show_plan(r: CycleResult, job: SyncJob) -> None:
    plan = r.plan
    assert plan is not None
    m = job.mapping
    say(f"{r.sync}: dry run, nothing written -- read {r.counts.pulled} "
        f"{m.remote_object} record(s)")
    totals = plan.totals()
    for direction, target in (("in", f"{m.remote_object} -> {m.local_entity}"),
                              ("out", f"{m.local_entity} -> {m.remote_object}")):
        parts = [f"{totals.get((direction, a), 0)} {a}" for a in ACTIONS]
        dead = totals.get((direction, "dead-letter"), 0)
        if dead:
            parts.append(f"{dead} dead-letter")
        label = "to the store " if direction == "in" else "to the remote"
        say(f"  {label} ({target}): {', '.join(parts)}")
    if not plan.changes:
        say("  no changes")
        return
    shown = plan.changes[:SHOW_CHANGES]
    say(f"  first {len(shown)} of {len(plan.changes)} change(s):")
    for c in shown:
        what = f"{m.remote_object} {c.key}" if c.direction == "in" else f"{m.local_entity} {c.key}"
        extra = f" [{c.extra}]" if c.extra else ""
        say(f"    {c.direction:<3} {c.action} {what}{extra}")
        for field, change in c.diff.items():
            if isinstance(change, tuple) and len(change) == 2:
                old, new = change
                if c.action == "create" and old is None and new is None:
                    continue  # nothing to say about an empty field of a new record
                if c.action == "conflict":
                    say(f"        {field}: local {_value(old)} vs remote {_value(new)}")
                else:
                    say(f"        {field}: {_value(old)} -> {_value(new)}")
            else:
                say(f"        {field}: {change}")


@app.command("sync")
def sync(ctx: typer.Context,
         names: Annotated[list[str] | None, typer.Argument(
             metavar="[NAME]...", help="Syncs to run [default: all configured].")] = None,
         once: bool = typer.Option(False, "--once",
                                   help="Run one cycle (the default; kept for compatibility)."),
         dry_run: bool = typer.Option(False, "--dry-run",
                                      help="Print what would change; write nothing anywhere."),
         sweep: bool = typer.Option(False, "--sweep",
                                    help="Also run the full id sweep (deletion detection) now."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Run one sync cycle of each named sync now (pull, reconcile, push)."""
    del once  # one cycle is what this command always does
    hub = hub_from(ctx)
    jobs = build_jobs(hub, names or None)
    results = run_jobs(hub, jobs, dry_run=dry_run, force_sweep=sweep)
    report(results, jobs, as_json=as_json, dry_run=dry_run)
