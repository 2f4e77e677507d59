"""The typer app, the shared ``--config`` option, and user-error handling."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from connectors.base import ConnectorError
from core.changes import ContractLocked
from core.config import ConfigFileError
from core.db import StoreError
from core.entitlement import NotFound
from core.hub import Hub, open_hub
from core.importer import ImportRejected
from core.lifecycle.roles import PermissionDenied
from core.mapping import MappingError
from core.sync.admin import AdminError

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="contracthub: support contracts in two-way sync with CRM, tickets "
                       "and storage.")
console = Console()
err_console = Console(stderr=True)

USER_ERRORS = (ConfigFileError, StoreError, NotFound, ImportRejected, ContractLocked, AdminError,
               PermissionDenied)


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""


@app.callback()
def _root(ctx: typer.Context,
          config: Annotated[Path | None, typer.Option(
              "--config", "-c", envvar="CONTRACTHUB_CONFIG",
              help="Hub config file [default: ./contracthub.yaml]")] = None,
          acting: Annotated[str | None, typer.Option(
              "--as", help="Act as this user (a name under users: in the config) "
                           "[default: the config's actor]")] = None,
          ) -> None:
    ctx.obj = {"config": config, "as": acting}


def hub_from(ctx: typer.Context, **kw: Any) -> Hub:
    """The hub for a command, once the acting user's role allows the command
    (core/cli/access.py); refused with one line otherwise."""
    from core.cli import access

    hub = open_hub(ctx.obj.get("config") if ctx.obj else None, **kw)
    if ctx.obj and ctx.obj.get("as"):
        hub.config = hub.config.model_copy(update={"actor": ctx.obj["as"]})
    access.check(hub.config, hub.config.actor, access.command_path(ctx))
    return hub


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def shown_path(path: str | Path) -> str:
    """A file name as people read it: relative to the working folder when inside it."""
    text = str(path)
    if not os.path.isabs(text):
        return os.path.normpath(text)
    norm = os.path.normpath(text)
    try:
        rel = os.path.relpath(norm)
    except ValueError:  # another drive
        return norm
    return norm if rel.startswith("..") else rel


def print_problems(problems: Any) -> None:
    """Each mapping ``Problem`` on its own line, its file named as people read it."""
    for p in problems:
        shown = dataclasses.replace(p, path=shown_path(p.path)) if hasattr(p, "path") else p
        err_console.print(str(shown), markup=False, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def fail_on_user_errors() -> Iterator[None]:
    try:
        yield
    except ImportRejected as exc:
        for p in exc.problems:
            err_console.print(str(p), markup=False, highlight=False)
        err_console.print(f"error: nothing imported ({len(exc.problems)} problem(s))",
                          markup=False, highlight=False)
        sys.exit(1)
    except MappingError as exc:
        print_problems(exc.problems)
        print_error(f"{len(exc.problems)} problem(s) in mapping(s)")
        sys.exit(1)
    except ConnectorError as exc:
        print_error(exc.user_message)
        sys.exit(1)
    except (*USER_ERRORS, UserError) as exc:
        print_error(str(exc))
        sys.exit(1)
