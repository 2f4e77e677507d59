"""The ``contracthub`` command line.

Exit codes: 0 success, 1 a user error (one line per problem, no traceback),
2 a usage error (click's own).
"""

from __future__ import annotations

import sys

import typer

from core.cli.app import app, fail_on_user_errors

# Sub-command modules register themselves on ``app`` when imported.
from core.cli import audit_cmd, contracts_cmd, db_cmd, entitlement_cmd  # noqa: E402,F401


def main() -> None:
    with fail_on_user_errors():
        app(standalone_mode=True)
    sys.exit(0)


__all__ = ["app", "main", "typer"]
