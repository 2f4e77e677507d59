"""``contracthub contracts import|list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.audit import jsonable
from core.cli.app import UserError, app, console, hub_from, print_json
from core.importer import import_contracts
from core.models import CONTRACT_STATUSES, Contract

contracts = typer.Typer(help="Contracts in the store.", no_args_is_help=True)
app.add_typer(contracts, name="contracts")

COLUMNS = ("number", "customer", "kind", "status", "tier", "start_date", "end_date", "coverage")


def contract_dict(c: Contract) -> dict[str, Any]:
    return jsonable({
        "number": c.number, "customer": c.customer.name, "kind": c.kind, "status": c.status,
        "tier": c.tier, "start_date": c.start_date, "end_date": c.end_date,
        "renewal_notice_days": c.renewal_notice_days, "auto_renew": c.auto_renew,
        "value": c.value, "currency": c.currency, "coverage": c.coverage,
        "timezone": c.timezone, "holiday_calendar": c.holiday_calendar, "scope": c.scope,
        "exclusions": c.exclusions, "uptime_target": c.uptime_target,
        "escalation_contacts": c.escalation_contacts, "incident_cap": c.incident_cap,
        "sla_plan": c.sla_plan.name if c.sla_plan else None,
        "parent": c.parent.number if c.parent else None, "version": c.version,
        "locked": c.locked, "description": c.description})


@contracts.command("import")
def import_cmd(ctx: typer.Context, file: Path = typer.Argument(..., help="A .csv or .json file.")
               ) -> None:
    """Import contracts (all rows or none; every bad row is listed as FILE:LINE: field: problem)."""
    if not file.exists():
        raise UserError(f"{file}: no such file")
    hub = hub_from(ctx)
    with hub.session() as s, s.begin():
        created = import_contracts(s, file)
    console.print(f"imported {len(created)} contract(s) from {file}")


@contracts.command("list")
def list_cmd(ctx: typer.Context,
             status: str | None = typer.Option(None, help=f"One of {', '.join(CONTRACT_STATUSES)}"),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List contracts, optionally by status."""
    if status and status not in CONTRACT_STATUSES:
        raise UserError(f"unknown status {status!r} (use {', '.join(CONTRACT_STATUSES)})")
    hub = hub_from(ctx)
    with hub.session() as s:
        q = select(Contract).options(selectinload(Contract.customer)).order_by(Contract.number)
        if status:
            q = q.where(Contract.status == status)
        rows = [contract_dict(c) for c in s.scalars(q)]
    if as_json:
        print_json(rows)
        return
    table = Table(*COLUMNS)
    for r in rows:
        table.add_row(*(str(r[k] or "") for k in COLUMNS))
    console.print(table)
    console.print(f"{len(rows)} contract(s)")


@contracts.command("show")
def show_cmd(ctx: typer.Context, number: str,
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one contract with all its terms."""
    hub = hub_from(ctx)
    with hub.session() as s:
        c = s.scalar(select(Contract).where(Contract.number == number))
        if c is None:
            raise UserError(f"no contract {number!r}")
        data = contract_dict(c)
    if as_json:
        print_json(data)
        return
    table = Table("term", "value", show_header=False)
    for k, v in data.items():
        table.add_row(k, ", ".join(map(str, v)) if isinstance(v, list) else str(v))
    console.print(table)
