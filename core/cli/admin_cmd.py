"""``contracthub status``, ``deadletters list|replay``, ``conflicts list|resolve``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from core.archive.status import archive_lines, archive_status
from core.cli.app import UserError, app, console, hub_from, print_error, print_json
from core.cli.sync_cmd import counts_line, report, run_jobs
from core.lifecycle.due import lifecycle_lines, lifecycle_status
from core.sync import admin
from core.sync.jobs import build_jobs
from core.sync.plan import Counts

deadletters = typer.Typer(help="Records a sync could not apply or push.", no_args_is_help=True)
conflicts = typer.Typer(help="Fields both sides changed, held for a person.",
                        no_args_is_help=True)
app.add_typer(deadletters, name="deadletters")
app.add_typer(conflicts, name="conflicts")


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _when(iso: str | None) -> str:
    """``2026-03-02T09:00:00.123+00:00`` -> ``2026-03-02 09:00:00Z``."""
    return f"{iso[:10]} {iso[11:19]}Z" if iso else "-"


def _short(value: Any, limit: int = 100) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- status -----------------------------------------------------------------------
@app.command("status")
def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
           ) -> None:
    """Each sync's last run, backlog, dead letters, conflicts and flagged deletions."""
    hub = hub_from(ctx)
    data = admin.status(hub)
    data["lifecycle"] = lifecycle_status(hub)
    data["archive"] = archive_status(hub)
    if as_json:
        print_json(data)
        return
    if not data["syncs"]:
        _say("no syncs configured and none have run")
    for s in data["syncs"]:
        run = s["last_run"]
        head = f"{s['name']}:" + ("" if s["configured"] else " (no longer configured)")
        if run is None:
            _say(f"{head} never run")
        else:
            c = Counts(**{k: run[k] for k in ("pulled", "created", "updated", "deleted",
                                               "pushed", "conflicts", "dead_lettered",
                                               "api_calls")})
            _say(f"{head} last run {_when(run['started_at'])} {run['status']} -- {counts_line(c)}")
            if run["error"]:
                _say(f"  error: {_short(run['error'], 300)}")
        _say(f"  outbox {s['outbox']} waiting, dead letters {s['dead_letters']} open, "
             f"conflicts {s['conflicts']} pending, remote-deleted (flagged) "
             f"{s['remote_deleted']}")
    for line in archive_lines(data["archive"]):
        _say(line)
    for line in lifecycle_lines(data["lifecycle"]):
        _say(line)
    dead, pending = data["dead_letters"], data["conflicts"]
    _say(f"dead letters: {dead['open']} open")
    for d in dead["first"]:
        _say(f"  #{d['id']} {d['sync']} {d['direction']} {d['record_key']} "
             f"(attempts {d['attempts']}): {_short(d['error'])}")
    if dead["open"] > len(dead["first"]):
        _say("  ... (contracthub deadletters list)")
    _say(f"conflicts: {pending['pending']} pending")
    for c in pending["first"]:
        _say(f"  #{c['id']} {c['sync']} {c['entity']} {c['local_id']} {c['field']}: "
             f"local {c['local']!r} vs remote {c['remote']!r}")
    if pending["pending"] > len(pending["first"]):
        _say("  ... (contracthub conflicts list)")
    flagged = data["tickets_without_entitlement"]
    if flagged["count"]:
        _say(f"tickets without entitlement (flagged \"no entitlement found\"): "
             f"{flagged['count']}")
    for t in flagged["first"]:
        _say(f"  {t['key']} ({t['customer'] or 'customer unknown'}): {t['reason']}")


# -- dead letters -------------------------------------------------------------------
@deadletters.command("list")
def deadletters_list(ctx: typer.Context,
                     sync: str | None = typer.Option(None, "--sync", help="Only this sync."),
                     include_resolved: bool = typer.Option(False, "--all",
                                                           help="Include resolved ones."),
                     as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Open dead letters (records that failed), newest last."""
    rows = admin.list_dead_letters(hub_from(ctx), sync=sync, include_resolved=include_resolved)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "sync", "dir", "record", "code", "attempts", "next retry", "error")
    for d in rows:
        table.add_row(str(d["id"]), d["sync"], d["direction"], d["record_key"], d["error_code"],
                      str(d["attempts"]), _when(d["next_retry_at"]), d["error"])
    console.print(table)
    _say(f"{len(rows)} dead letter(s)")


@deadletters.command("replay")
def deadletters_replay(ctx: typer.Context,
                       ids: Annotated[list[int] | None, typer.Argument(
                           metavar="[ID]...", help="Dead letter ids.")] = None,
                       all_open: bool = typer.Option(False, "--all",
                                                     help="Every open dead letter."),
                       as_json: bool = typer.Option(False, "--json", help="Print JSON.")
                       ) -> None:
    """Retry dead letters now: mark them due and run one cycle of each affected sync."""
    if ids and all_open:
        raise UserError("give IDs or --all, not both")
    hub = hub_from(ctx)
    rows = admin.dead_letters_to_replay(hub, ids or [], all_open=all_open)
    if not rows:
        _say("no open dead letters")
        return
    syncs = list(dict.fromkeys(d["sync"] for d in rows))
    jobs = build_jobs(hub, syncs)  # an unknown sync or a broken mapping stops here
    admin.mark_due(hub, [d["id"] for d in rows])
    results = run_jobs(hub, jobs)
    after = {d["id"]: d for d in admin.list_dead_letters(hub, include_resolved=True)}
    outcome = [{**after[d["id"]], "replayed": True} for d in rows if d["id"] in after]
    if as_json:
        print_json(outcome)
    else:
        for d in outcome:
            state = ("resolved" if d["resolved_at"] else
                     f"still failing (attempt {d['attempts']}): {_short(d['error'])}")
            _say(f"dead letter #{d['id']} {d['sync']} {d['direction']} {d['record_key']}: "
                 f"{state}")
        gone = [d["id"] for d in rows if d["id"] not in after]
        for i in gone:
            _say(f"dead letter #{i}: gone")
    if as_json:  # the outcome list is the JSON; failures still exit 1
        failed = [r for r in results if r.status != "ok"]
        for r in failed:
            print_error(f"sync {r.sync} failed: {r.error}")
        if failed:
            raise typer.Exit(1)
        return
    report(results, jobs, as_json=False)


class Take(StrEnum):
    local = "local"
    remote = "remote"


# -- conflicts ----------------------------------------------------------------------
@conflicts.command("list")
def conflicts_list(ctx: typer.Context,
                   include_resolved: bool = typer.Option(False, "--all",
                                                         help="Include resolved ones."),
                   sync: str | None = typer.Option(None, "--sync", help="Only this sync."),
                   as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Pending conflicts (both sides changed one field and the policy holds it)."""
    rows = admin.list_conflicts(hub_from(ctx), include_resolved=include_resolved, sync=sync)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "sync", "record", "field", "base", "local", "remote", "policy",
                  "outcome")
    for c in rows:
        table.add_row(str(c["id"]), c["sync"], f"{c['entity']} {c['local_id']}"
                      + (f" / {c['remote_id']}" if c["remote_id"] else ""), c["field"],
                      repr(c["base"]), repr(c["local"]), repr(c["remote"]), c["policy"],
                      c["outcome"])
    console.print(table)
    _say(f"{len(rows)} conflict(s)")


@conflicts.command("resolve")
def conflicts_resolve(ctx: typer.Context,
                      conflict_id: Annotated[int, typer.Argument(metavar="ID",
                                                                 help="Conflict id.")],
                      take: Annotated[Take, typer.Option("--take", help="Which side wins.")],
                      as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Settle a conflict: --take remote writes the remote value to the store;
    --take local queues the store's value to be pushed on the next cycle."""
    done = admin.resolve_conflict(hub_from(ctx), conflict_id, take.value)
    if as_json:
        print_json(done)
        return
    what = ("the store now has the remote value" if take is Take.remote else
            f"the store's value is queued for sync {done['sync']} (pushed on its next cycle)")
    _say(f"conflict #{done['id']} resolved: {done['entity']} {done['local_id']} "
         f"{done['field']} = {done['value']!r} ({what})")
