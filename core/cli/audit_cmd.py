"""``contracthub audit verify``: the hash chain, checked end to end."""

from __future__ import annotations

import typer

from core import audit
from core.cli.app import UserError, app, console, hub_from

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(ctx: typer.Context,
           expect_head: str | None = typer.Option(None, help="The head hash anchored earlier.")
           ) -> None:
    """Check every event's hash link; exit 1 naming the first broken event."""
    hub = hub_from(ctx)
    with hub.session() as s:
        result = audit.verify(s, expect_head=expect_head)
    if not result.ok:
        raise UserError(f"audit chain broken at event {result.broken_seq}: {result.reason} "
                        f"({result.checked} event(s) before it verified)")
    console.print(f"audit chain ok: {result.checked} event(s), head {result.head}")
