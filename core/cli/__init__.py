"""The ``contracthub`` command line.

Exit codes: 0 success, 1 a user error (one line per problem, no traceback),
2 a usage error (click's own).
"""

from __future__ import annotations

import sys

import typer

# Sub-command modules register themselves on ``app`` when imported.
from core.cli import (  # noqa: E402,F401
    admin_cmd,
    approvals_cmd,
    audit_cmd,
    contracts_cmd,
    daemon_cmd,
    db_cmd,
    demo_cmd,
    documents_cmd,
    entitlement_cmd,
    mappings_cmd,
    retention_cmd,
    sandbox_cmd,
    serve_cmd,
    signing_cmd,
    sla_cmd,
    sync_cmd,
    templates_cmd,
)
from core.cli.app import app, fail_on_user_errors


def main() -> None:
    with fail_on_user_errors():
        app(standalone_mode=True)
    sys.exit(0)


__all__ = ["app", "main", "typer"]
