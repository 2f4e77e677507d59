"""``contracthub contracts submit|approve|reject|bulk`` and ``approvals list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from core.cli.app import UserError, app, console, err_console, print_json
from core.cli.contracts_cmd import contracts
from core.cli.templates_cmd import acting, lifecycle_errors
from core.documents import contract_by_number
from core.lifecycle.approvals import current_step, decide, may_decide, step_label, submit
from core.lifecycle.bulk import bulk_send
from core.lifecycle.template_models import ApprovalRound
from core.models import Contract

approvals = typer.Typer(help="Contracts waiting for approval.", no_args_is_help=True)
app.add_typer(approvals, name="approvals")


@contracts.command("submit")
def submit_cmd(ctx: typer.Context, number: str) -> None:
    """Submit a draft for approval; prints the steps it needs."""
    hub = acting(ctx, "contracts.submit")
    with lifecycle_errors(), hub.session(hub=hub) as s, s.begin():
        c = contract_by_number(s, number)
        rnd = submit(s, hub.config, contract=c, actor=hub.config.actor, now=hub.clock.now())
        lines = [f"{number} is {c.status} (round {rnd.round})"]
        lines += [f"  {step_label(st)}" for st in rnd.steps]
    for line in lines:
        console.print(line, markup=False)


def _decide(ctx: typer.Context, number: str, comment: str | None, approve: bool) -> None:
    hub = acting(ctx, "contracts.approve" if approve else "contracts.reject")
    with lifecycle_errors(), hub.session(hub=hub) as s, s.begin():
        c = contract_by_number(s, number)
        step = decide(s, hub.config, contract=c, actor=hub.config.actor,
                      now=hub.clock.now(), approve=approve, comment=comment)
        line = (f"{'approved' if approve else 'rejected'} {step_label(step)}: "
                f"{number} is now {c.status}")
        notices = s.info.get("notices", [])
    console.print(line, markup=False)
    for notice in notices:
        err_console.print(f"warning: {notice}", markup=False, highlight=False, soft_wrap=True)


@contracts.command("approve")
def approve_cmd(ctx: typer.Context, number: str,
                comment: str | None = typer.Option(None, "--comment", help="Why.")) -> None:
    """Approve the current approval step of a contract."""
    _decide(ctx, number, comment, True)


@contracts.command("reject")
def reject_cmd(ctx: typer.Context, number: str,
               comment: str = typer.Option(..., "--comment", help="What must change.")) -> None:
    """Reject a contract at its current step: it returns to draft."""
    _decide(ctx, number, comment, False)


@contracts.command("bulk")
def bulk_cmd(ctx: typer.Context, template: str,
             file: Annotated[Path, typer.Argument(help="CSV: customer, fields..., signers")]
             ) -> None:
    """Draft and submit one contract per CSV row; bad rows are reported by line."""
    hub = acting(ctx, "contracts.bulk")
    if not file.is_file():
        raise UserError(f"{file}: no such file")
    with lifecycle_errors(), hub.session(hub=hub) as s, s.begin():
        result = bulk_send(s, hub.blobs(), hub.config, template=template, path=file,
                           actor=hub.config.actor, now=hub.clock.now())
    for line, number, status in result.created:
        console.print(f"{file}:{line}: {number} {status}", markup=False)
    for line, reason in result.problems:
        err_console.print(f"{file}:{line}: {reason}", markup=False, highlight=False,
                          soft_wrap=True)
    console.print(f"{len(result.created)} contract(s) drafted and submitted, "
                  f"{len(result.problems)} row(s) rejected", markup=False)
    if result.problems:
        raise typer.Exit(1)


def _waiting(hub: Any, mine: bool) -> list[dict[str, Any]]:
    with hub.session() as s:
        rounds = s.scalars(select(ApprovalRound).join(Contract, Contract.id ==
                                                      ApprovalRound.contract_id)
                           .where(ApprovalRound.outcome == "open").order_by(Contract.number))
        rows = []
        for rnd in rounds:
            step = current_step(rnd)
            c = s.get(Contract, rnd.contract_id)
            if step is None or c is None:
                continue
            if mine and not may_decide(hub.config, hub.config.actor, step):
                continue
            rows.append({"number": c.number, "customer": c.customer.name, "kind": c.kind,
                         "round": rnd.round, "step": step.position, "of": len(rnd.steps),
                         "waiting_for": step.role or step.approver, "reasons": step.reasons,
                         "since": rnd.started_at.isoformat()})
    return rows


@approvals.command("list")
def list_cmd(ctx: typer.Context,
             mine: bool = typer.Option(False, "--mine", help="Only what I may decide now."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Contracts waiting for approval, with the step each waits on."""
    hub = acting(ctx, "approvals.list")
    rows = _waiting(hub, mine)
    if as_json:
        print_json(rows)
        return
    table = Table("number", "customer", "kind", "step", "waiting for", "why")
    for r in rows:
        table.add_row(r["number"], r["customer"], r["kind"], f"{r['step']}/{r['of']}",
                      r["waiting_for"], "; ".join(r["reasons"]))
    console.print(table)
    console.print(f"{len(rows)} contract(s) waiting", markup=False)
