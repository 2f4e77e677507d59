"""``contracthub sla report``: a customer's SLA compliance and service credits for a month.

The report computes the month's credit ledger (:func:`core.credits.compute_month`,
idempotent) and commits it, unless ``--dry-run``. Tickets listed: those created in the
month (in the customer's time zone) plus any ticket with a credit in the month.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.audit import jsonable
from core.cli.app import UserError, app, console, hub_from, print_json
from core.clock import utc
from core.credits import (
    compute_month,
    money,
    month_bounds,
    monthly_fee,
    parse_month,
    total_by_currency,
)
from core.entitlement import find_customer
from core.models import Contract, Customer, Ticket
from core.sla import DEFAULT_PAUSE_STATUSES, SlaClock, evaluate_ticket

sla = typer.Typer(help="SLA clocks and service credits.", no_args_is_help=True)
app.add_typer(sla, name="sla")

CSV_COLUMNS = ("ticket", "severity", "contract", "coverage", "measure", "target_min",
               "elapsed_min", "paused_min", "due", "stopped_at", "state", "credit_percent",
               "credit_amount", "currency", "capped", "explanation")
PAUSE_HELP = ("A status that pauses the clocks (repeatable; default: "
              + ", ".join(DEFAULT_PAUSE_STATUSES) + ").")


def minutes(td: timedelta) -> int | float:
    """Covered minutes: a whole number when whole, else two decimals."""
    m = td.total_seconds() / 60
    return int(m) if m == int(m) else round(m, 2)


def _clock(c: SlaClock | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"target_min": c.target_minutes, "elapsed_min": minutes(c.elapsed),
            "paused_min": minutes(c.paused), "due": c.due, "stopped_at": c.stopped,
            "state": c.state}


def build_report(session: Session, customer: Customer, month: str, now: datetime,
                 pause_statuses: tuple[str, ...] = DEFAULT_PAUSE_STATUSES) -> dict[str, Any]:
    """The report as plain JSON-ready data (computes and upserts the month's ledger)."""
    credits = compute_month(session, customer, month, now, pause_statuses)
    start, end = month_bounds(month, customer.timezone or "UTC")
    credited = {c.ticket_id for c in credits}
    tickets = session.scalars(
        select(Ticket).where(Ticket.customer_id == customer.id)
        .where(or_(Ticket.created_at.between(start, end - timedelta(microseconds=1)),
                   Ticket.id.in_(list(credited) or [-1])))
        .order_by(Ticket.created_at, Ticket.key)).all()
    rows = []
    for t in tickets:
        ev = evaluate_ticket(session, t, now, pause_statuses)
        rows.append({
            "key": t.key, "severity": t.severity, "status": t.status,
            "contract": ev.contract_number, "tier": ev.tier, "coverage": ev.coverage,
            "created_at": t.created_at, "first_response_at": t.first_response_at,
            "resolved_at": t.resolved_at,
            "pauses": [{"start": a, "end": b} for a, b in ev.pauses],
            "first_response": _clock(ev.first_response), "resolution": _clock(ev.resolution),
            "breached": ev.breached, "reason": ev.reason})
    contracts = {c.id: c for c in session.scalars(
        select(Contract).where(Contract.customer_id == customer.id))}
    keys = {t.id: t.key for t in tickets}
    out_credits = []
    for c in credits:
        contract = contracts[c.contract_id]
        out_credits.append({
            "ticket": keys.get(c.ticket_id) or session.get(Ticket, c.ticket_id).key,  # type: ignore[union-attr]
            "measure": c.measure, "severity": c.severity, "contract": contract.number,
            "breached_at": c.breached_at, "percent": format(Decimal(c.percent).normalize(), "f"),
            "monthly_fee": monthly_fee(contract), "amount": c.amount, "currency": c.currency,
            "capped": c.capped, "explanation": c.explanation})
    return jsonable({"customer": customer.name, "month": month, "as_of": utc(now),
                     "tickets": rows, "credits": out_credits,
                     "total": total_by_currency(credits)})


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per ticket and measure (credit columns filled where one applies), then totals."""
    credit = {(c["ticket"], c["measure"]): c for c in report["credits"]}
    out: list[dict[str, Any]] = []
    for t in report["tickets"]:
        base = {"ticket": t["key"], "severity": t["severity"], "contract": t["contract"],
                "coverage": t["coverage"]}
        if t["first_response"] is None:
            out.append({**base, "state": "no entitlement", "explanation": t["reason"]})
            continue
        for measure in ("first_response", "resolution"):
            c = credit.get((t["key"], measure), {})
            out.append({**base, "measure": measure, **t[measure],
                        "credit_percent": c.get("percent"), "credit_amount": c.get("amount"),
                        "currency": c.get("currency"), "capped": c.get("capped"),
                        "explanation": c.get("explanation")})
    for cur, amount in report["total"].items():
        out.append({"ticket": "TOTAL", "credit_amount": amount, "currency": cur})
    return out


def _when(value: str | None) -> str:
    return value[:16].replace("T", " ") + "Z" if value else ""


def show(report: dict[str, Any]) -> None:
    console.print(f"[bold]{report['customer']}[/bold] SLA report for {report['month']} "
                  f"(as of {_when(report['as_of'])})")
    table = Table("ticket", "sev", "contract", "measure", "target", "elapsed", "paused", "due",
                  "state")
    for t in report["tickets"]:
        if t["first_response"] is None:
            table.add_row(t["key"], t["severity"], "", "", "", "", "", "", t["reason"] or "")
            continue
        for measure in ("first_response", "resolution"):
            c = t[measure]
            table.add_row(t["key"], t["severity"], t["contract"], measure,
                          f"{c['target_min']} min", f"{c['elapsed_min']} min",
                          f"{c['paused_min']} min", _when(c["due"]), c["state"])
    console.print(table)
    if report["credits"]:
        console.print("service credits:")
        for c in report["credits"]:
            console.print(f"  {c['ticket']} {c['measure']} ({c['severity']}, {c['contract']}, "
                          f"breached {_when(c['breached_at'])}): {c['explanation']}",
                          markup=False, highlight=False)
    else:
        console.print("no service credits")
    totals = ", ".join(money(Decimal(v), k) for k, v in report["total"].items()) or "0.00"
    console.print(f"total credits: {totals}", markup=False, highlight=False)


@sla.command("report")
def report_cmd(
        ctx: typer.Context,
        customer: str = typer.Option(..., help="Customer name, id or domain."),
        month: str = typer.Option(..., help="Month as YYYY-MM."),
        at: str | None = typer.Option(None, help="Evaluate open tickets at this ISO time "
                                                 "(default: now)."),
        pause_status: Annotated[list[str] | None, typer.Option(
            "--pause-status", help=PAUSE_HELP)] = None,
        dry_run: bool = typer.Option(False, "--dry-run", help="Do not save the credit ledger."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        as_csv: bool = typer.Option(False, "--csv", help="Print CSV.")) -> None:
    """Tickets, SLA clocks and service credits of a customer for one month."""
    if as_json and as_csv:
        raise UserError("give at most one of --json or --csv")
    try:
        parse_month(month)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    hub = hub_from(ctx)
    now = hub.clock.now()
    if at:
        try:
            now = utc(datetime.fromisoformat(at.replace("Z", "+00:00")))
        except ValueError:
            raise UserError(f"--at {at!r} is not an ISO time (e.g. 2026-02-01T00:00:00Z)") from None
    statuses = tuple(pause_status) if pause_status else DEFAULT_PAUSE_STATUSES
    with hub.session() as s:
        tx = s.begin()
        try:
            report = build_report(s, find_customer(s, customer), month, now, statuses)
        except ValueError as exc:  # bad ticket data (e.g. a status history entry)
            tx.rollback()
            raise UserError(str(exc)) from None
        except BaseException:
            tx.rollback()
            raise
        if dry_run:
            tx.rollback()
        else:
            tx.commit()
    if as_json:
        print_json(report)
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, restval="",
                                lineterminator="\n")
        writer.writeheader()
        for row in csv_rows(report):
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_COLUMNS})
    else:
        show(report)
