"""``contracthub retention purge [--dry-run|--apply]``: documents past their retention.

Retention periods come from the archive mappings of the configured syncs
(``archive.retention``); executed documents are retained 7 years even when
no archive mapping names them. A dry run is the default.
"""

from __future__ import annotations

from typing import Any

import typer

from connectors.base import ConfigError, ConnectorError
from core.archive import purge
from core.archive.mapping import ArchiveMapping, is_archive_mapping, load_archive_mapping
from core.cli.app import UserError, app, console, hub_from, print_json
from core.config import ConfigFileError
from core.hub import Hub
from core.sync.jobs import make_connector

retention = typer.Typer(help="Retention of executed documents and their archived copies.",
                        no_args_is_help=True)
app.add_typer(retention, name="retention")


def archive_setup(hub: Hub) -> tuple[list[ArchiveMapping], dict[str, Any]]:
    """The archive mappings of the configured syncs, and their storage connectors."""
    mappings, connectors = [], {}
    for s in hub.config.syncs:
        path = hub.config.resolve(s.mapping)
        if is_archive_mapping(path):
            m = load_archive_mapping(path)
            mappings.append(m)
            if m.connection not in connectors:
                connectors[m.connection] = make_connector(hub.config, m.connection, hub)
    return mappings, connectors


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@retention.command("purge")
def purge_cmd(ctx: typer.Context,
              do_apply: bool = typer.Option(False, "--apply/--dry-run",
                                            help="Remove for real (default: only list)."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List (or with --apply remove) documents whose retention period has ended."""
    hub = hub_from(ctx)
    try:
        mappings, connectors = archive_setup(hub)
        if do_apply:
            rows = [o.as_dict() for o in purge.apply(hub, mappings, connectors, hub.blobs())]
        else:
            rows = [purge.PurgeOutcome(c, False, "would purge (dry run)").as_dict()
                    for c in purge.plan(hub, mappings)]
    except (ConfigError, ConfigFileError, ConnectorError) as exc:
        raise UserError(getattr(exc, "user_message", str(exc))) from None
    if as_json:
        print_json(rows)
        return
    if not rows:
        _say("nothing is past its retention period")
    for r in rows:
        copies = ", ".join(r["copies"]) or "no archived copies"
        _say(f"document {r['document_id']} {r['contract']} {r['kind']} v{r['version']} "
             f"(retained until {r['retained_until'][:10]}; {copies}): {r['note']}")
    if not do_apply and rows:
        _say(f"{len(rows)} document(s) past retention; run with --apply to remove them")
