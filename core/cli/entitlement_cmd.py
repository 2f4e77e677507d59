"""``contracthub entitlement``: what a customer (or a ticket) is entitled to, and why."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from core.cli.app import UserError, app, console, hub_from, print_json
from core.clock import utc
from core.entitlement import Entitlement, find_customer, for_ticket, resolve


@app.command()
def entitlement(ctx: typer.Context,
                customer: str | None = typer.Option(None, help="Customer name, id or domain."),
                ticket: str | None = typer.Option(None, help="Ticket key, e.g. SUP-42."),
                at: str | None = typer.Option(None, help="ISO time (default: now)."),
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Look up an entitlement from the store (no remote call)."""
    if bool(customer) == bool(ticket):
        raise UserError("give exactly one of --customer or --ticket")
    hub = hub_from(ctx)
    when = hub.clock.now()
    if at:
        try:
            when = utc(datetime.fromisoformat(at))
        except ValueError:
            raise UserError(f"--at {at!r} is not an ISO time (e.g. 2026-11-22T10:00:00Z)") from None
    with hub.session() as s:
        if ticket:
            _, ent = for_ticket(s, ticket)
        else:
            ent = resolve(s, find_customer(s, customer or ""), when)
    if as_json:
        print_json(ent.to_dict())
        return
    show(ent)


def show(ent: Entitlement) -> None:
    head = "ENTITLED" if ent.entitled else "NOT ENTITLED"
    console.print(f"[bold]{ent.customer}[/bold] at {ent.at.isoformat()}: {head}")
    if ent.entitled:
        console.print(f"tier {ent.tier}, coverage {ent.coverage} ({ent.timezone}), "
                      f"expires {ent.expires or 'never'}, incidents left "
                      f"{'unlimited' if ent.remaining_incidents is None else ent.remaining_incidents}")
        table = Table("severity", "first response", "due", "resolution", "due", "contract")
        for t in ent.targets.values():
            table.add_row(t.severity, f"{t.first_response_minutes} min",
                          f"{t.first_response_due:%Y-%m-%d %H:%M}Z" if t.first_response_due else "",
                          f"{t.resolution_minutes} min",
                          f"{t.resolution_due:%Y-%m-%d %H:%M}Z" if t.resolution_due else "",
                          t.contract)
        console.print(table)
    console.print("why:")
    for r in ent.reasons:
        console.print(f"  - {r}", markup=False)
