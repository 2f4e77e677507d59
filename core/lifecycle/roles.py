"""Who may do what to a contract's lifecycle: roles and the action table.

A person's role comes from the hub config (``users: {name: role}``); the
acting person is the config's ``actor`` or the CLI's ``--as NAME``. Denied by
default: an actor with no role, or an action missing from ``ACTIONS``, is
refused. Each lifecycle module adds its actions here with one line each.
"""

from __future__ import annotations

from typing import Any

ROLES: tuple[str, ...] = ("admin", "legal", "finance", "support", "viewer")


class PermissionDenied(Exception):
    """The acting user's role does not allow the action (one line for the user)."""


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTIONS: dict[str, frozenset[str]] = {
    # templates
    "templates.list": _roles("admin", "legal", "finance", "support", "viewer"),
    "templates.show": _roles("admin", "legal", "finance", "support", "viewer"),
    "templates.render": _roles("admin", "legal", "finance", "support", "viewer"),
    "templates.publish": _roles("admin", "legal"),
    # contracts before signature
    "contracts.draft": _roles("admin", "legal", "support"),
    "contracts.submit": _roles("admin", "legal", "support"),
    "contracts.bulk": _roles("admin", "legal", "support"),
    # approvals: approve/reject also need the step's own role (approvals.py)
    "contracts.approve": _roles("admin", "legal", "finance", "support"),
    "contracts.reject": _roles("admin", "legal", "finance", "support"),
    "approvals.list": _roles("admin", "legal", "finance", "support", "viewer"),
    # signing, certificates, amendments, renewals (part B)
    "sign.send": _roles("admin", "legal", "support"),
    "sign.cancel": _roles("admin", "legal", "support"),
    "signing.list": _roles("admin", "legal", "finance", "support", "viewer"),
    "signing.run_due": _roles("admin"),
    "contracts.certificate": _roles("admin", "legal", "finance", "support"),
    "contracts.amend": _roles("admin", "legal", "support"),
    "renewals.run": _roles("admin"),
    "renewals.list": _roles("admin", "legal", "finance", "support", "viewer"),
    # the other CLI commands (core/cli/access.py maps each command to one of these)
    "store.admin": _roles("admin"),
    "contracts.import": _roles("admin", "legal"),
    "contracts.read": _roles("admin", "legal", "finance", "support", "viewer"),
    "documents.add": _roles("admin", "legal", "support"),
    "entitlement.lookup": _roles("admin", "legal", "finance", "support", "viewer"),
    "sla.report": _roles("admin", "legal", "finance", "support", "viewer"),
    "audit.verify": _roles("admin", "legal", "finance"),
    "sync.status": _roles("admin", "legal", "finance", "support", "viewer"),
    "sync.run": _roles("admin"),
    "sync.repair": _roles("admin"),
    "api.serve": _roles("admin"),
    "mappings.validate": _roles("admin"),
    "retention.purge": _roles("admin"),
    "tokens.manage": _roles("admin"),
}


def role_of(config: Any, actor: str) -> str | None:
    """The actor's role from ``config.users``, or None (which is denied).

    A config without any ``users:`` is a single-operator hub: its ``actor`` is
    the admin and nobody else has a role."""
    users = getattr(config, "users", None) or {}
    if not users:  # a single-operator hub (no users: section): its actor is the admin
        return "admin" if actor == getattr(config, "actor", None) else None
    role = users.get(actor)
    return role if role in ROLES else None


def allowed(role: str | None, action: str) -> bool:
    return role is not None and role in ACTIONS.get(action, frozenset())


def require(config: Any, actor: str, action: str) -> None:
    """Raise PermissionDenied unless the actor's role may perform ``action``."""
    role = role_of(config, actor)
    if allowed(role, action):
        return
    roles = ACTIONS.get(action)
    allowed_text = ", ".join(r for r in ROLES if r in roles) if roles else "nobody (unknown action)"
    shown_role = role or "none: not listed under users in the config"
    raise PermissionDenied(f"{actor} (role {shown_role}) may not {action}; allowed: {allowed_text}")
