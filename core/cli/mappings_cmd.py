"""``contracthub mappings schema|validate``: the mapping format, and checking files against it.

``validate`` checks each file's schema and structure (``load_mapping``), then
its meaning against the remote object as the connection's connector
describes it -- remote fields exist, types fit the transforms, no duplicate
targets -- when the file's ``connection`` is configured in the hub config.
Every problem reads ``FILE:LINE:COLUMN: field.path: what is wrong (what would
be right)``. It opens no store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from connectors.base import ConfigError, ConnectorError, load_connector
from core.cli.app import UserError, app, console, print_error, print_problems, shown_path
from core.clock import SystemClock
from core.config import HubConfig, load_config
from core.mapping import MappingError, Problem, check_mapping, load_mapping, mapping_schema
from core.sync.local import LOCAL_FIELDS

mappings = typer.Typer(help="Field-mapping configs (YAML).", no_args_is_help=True)
app.add_typer(mappings, name="mappings")


@mappings.command("schema")
def schema() -> None:
    """Print the JSON Schema of the mapping format (for editors and CI)."""
    sys.stdout.write(json.dumps(mapping_schema(), indent=2) + "\n")


def configured_files(cfg: HubConfig) -> list[tuple[str, str | None]]:
    """(file, the connection its sync uses) for every configured sync."""
    if not cfg.syncs:
        raise UserError(f"{cfg.path}: no syncs configured; name the mapping files to check")
    return [(shown_path(cfg.resolve(s.mapping)), s.connection) for s in cfg.syncs]


def check_file(cfg: HubConfig, file: str, sync_connection: str | None
               ) -> tuple[list[Problem], str]:
    """The problems of one file, and a note on what was checked."""
    from core.archive.mapping import check_archive_file, is_archive_mapping

    if is_archive_mapping(Path(file)):
        return check_archive_file(file, sync_connection, cfg.connections)
    try:
        mapping = load_mapping(file)
    except MappingError as exc:
        return exc.problems, ""

    def at(path: tuple[str, ...], message: str, hint: str = "") -> Problem:
        line, column = mapping.where(path)
        return Problem(file, line, column, ".".join(path), message, hint)

    if sync_connection is not None and mapping.connection != sync_connection:
        return [at(("connection",), f"connection is {mapping.connection!r} but the sync "
                   f"using this file in {cfg.path} uses {sync_connection!r}",
                   f"use connection: {sync_connection}")], ""
    if mapping.connection not in cfg.connections:
        known = ", ".join(sorted(cfg.connections)) or "none"
        return [], (f"meaning checks skipped: connection {mapping.connection!r} is not "
                    f"configured in {cfg.path} (configured: {known})")
    settings = {**cfg.connections[mapping.connection], "_config_folder": str(cfg.folder)}
    try:
        connector = load_connector(settings["type"], name=mapping.connection,
                                   settings=settings, clock=SystemClock())
        spec = connector.describe(mapping.remote_object)
    except ConfigError as exc:
        return [at(("remote_object",), exc.user_message,
                   f"check connection {mapping.connection!r} and the remote object name")], ""
    except ConnectorError as exc:
        return [at(("connection",), f"cannot describe {mapping.remote_object} through "
                   f"connection {mapping.connection!r}: {exc.user_message}",
                   "check the connection, then validate again")], ""
    problems = sorted(set(check_mapping(mapping, spec,
                                        LOCAL_FIELDS.get(mapping.local_entity, {}))))
    return problems, (f"checked against {mapping.remote_object} on connection "
                      f"{mapping.connection!r}")


@mappings.command("validate")
def validate(ctx: typer.Context,
             files: Annotated[list[Path] | None, typer.Argument(
                 metavar="[FILE]...",
                 help="Mapping files [default: the mappings of all configured syncs].")] = None
             ) -> None:
    """Check mapping files: the schema, then the meaning against the remote's fields."""
    cfg = load_config(ctx.obj.get("config") if ctx.obj else None)
    targets = ([(str(f), None) for f in files] if files else configured_files(cfg))
    total = 0
    for file, connection in targets:
        problems, note = check_file(cfg, file, connection)
        if problems:
            print_problems(problems)
            total += len(problems)
        else:
            console.print(f"{file}: ok" + (f" ({note})" if note else ""), markup=False,
                          highlight=False, soft_wrap=True)
    if total:
        print_error(f"{total} problem(s) in {len(targets)} mapping file(s)")
        raise typer.Exit(1)
