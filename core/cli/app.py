"""The typer app, the shared ``--config`` option, and user-error handling."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from core.changes import ContractLocked
from core.config import ConfigFileError
from core.db import StoreError
from core.entitlement import NotFound
from core.hub import Hub, open_hub
from core.importer import ImportRejected

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="contracthub: support contracts in two-way sync with CRM, tickets and storage.")
console = Console()
err_console = Console(stderr=True)

USER_ERRORS = (ConfigFileError, StoreError, NotFound, ImportRejected, ContractLocked)


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""


@app.callback()
def _root(ctx: typer.Context,
          config: Path | None = typer.Option(None, "--config", "-c", envvar="CONTRACTHUB_CONFIG",
                                             help="Hub config file [default: ./contracthub.yaml]")
          ) -> None:
    ctx.obj = {"config": config}


def hub_from(ctx: typer.Context, **kw: Any) -> Hub:
    return open_hub(ctx.obj.get("config") if ctx.obj else None, **kw)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


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
    except (*USER_ERRORS, UserError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
