"""Which role may run which CLI command: every command that opens the store checks.

``hub_from`` (core.cli.app) calls :func:`check` with the command's path
(``"deadletters replay"``) before anything is read or written. The path maps to
an action of ``core.lifecycle.roles.ACTIONS``; a command missing from
``COMMANDS`` is refused (denied by default), so a new command cannot slip
through unchecked: ``tests/cli/test_access.py`` fails until it is listed.

Lifecycle commands check their own, finer actions (an approval step's role,
say): they are listed in ``SELF_CHECKED``. Commands that never open the store
(``demo``, ``sandbox``, ``mappings schema``) are in ``NO_STORE``.

A hub whose config has no ``users:`` at all is a single-operator hub: its
``actor`` acts as admin (that is what ``contracthub init`` writes out
explicitly). As soon as ``users:`` names anyone, everyone else is refused.
"""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, str] = {
    "init": "store.admin", "db upgrade": "store.admin",
    "contracts import": "contracts.import", "contracts list": "contracts.read",
    "contracts show": "contracts.read", "documents list": "contracts.read",
    "documents get": "contracts.read", "documents add": "documents.add",
    "entitlement": "entitlement.lookup", "sla report": "sla.report",
    "audit verify": "audit.verify", "status": "sync.status",
    "deadletters list": "sync.status", "conflicts list": "sync.status",
    "sync": "sync.run", "daemon": "sync.run", "serve": "api.serve",
    "deadletters replay": "sync.repair", "conflicts resolve": "sync.repair",
    "mappings validate": "mappings.validate", "retention purge": "retention.purge",
    "tokens create": "tokens.manage", "tokens list": "tokens.manage",
    "tokens revoke": "tokens.manage",
}
SELF_CHECKED = frozenset({
    "approvals list", "contracts amend", "contracts approve", "contracts bulk",
    "contracts certificate", "contracts draft", "contracts reject", "contracts send",
    "contracts submit", "renewals list", "renewals run", "sign", "signing cancel",
    "signing list", "signing run-due", "templates list", "templates publish",
    "templates render", "templates show"})
NO_STORE = frozenset({"demo", "sandbox", "mappings schema"})

def command_path(ctx: Any) -> str:
    """``"deadletters replay"`` for ``contracthub deadletters replay ...`` (the
    root's own name, whatever the program is called, left out)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(reversed(names))


def check(config: Any, actor: str, path: str) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may run the command at ``path``."""
    from core.lifecycle.roles import PermissionDenied, require

    if path in SELF_CHECKED or path in NO_STORE or path == "":
        return
    action = COMMANDS.get(path)
    if action is None:
        raise PermissionDenied(f"`{path}` is not in the command access table "
                               "(core/cli/access.py): refused")
    require(config, actor, action)
