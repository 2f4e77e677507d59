"""API tokens for the HTTP API (``contracthub serve``): create, list, revoke, verify.

A token is ``chub_`` followed by 43 random letters and digits (``secrets``;
about 256 bits). It is shown once, when created; the store keeps only its
SHA-256 (``api_tokens.token_hash``) and a visible prefix (``chub_`` and four
characters) so people can tell tokens apart. Verifying hashes what was
presented, finds the row by that hash and compares the hashes again in
constant time. A token never appears in a log line, an error message or the
audit trail.

Roles, each including the ones before it (denied by default: a request
without a valid token gets 401, a role too low gets 403):

============  ==================================================================
``viewer``    reads: contracts, sync status, dead letters, conflicts
``agent``     viewer + entitlement lookups (the ticket UI, support agents)
``admin``     everything: + replay dead letters, validate mappings, preview syncs
============  ==================================================================

Creating and revoking a token are audited (``token.created``,
``token.revoked``). Names stay unique after revocation: a name is the actor of
the token's audited actions, so it must keep meaning one token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.clock import utc
from core.models import ApiToken

ROLES: tuple[str, ...] = ApiToken.ROLES  # lowest first
RANK = {role: i for i, role in enumerate(ROLES)}
TOKEN_PREFIX = "chub_"
ALPHABET = string.ascii_letters + string.digits
SECRET_CHARS = 43  # 43 * log2(62) > 256 bits
SHOWN_CHARS = 4
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")
_TOKEN_RE = re.compile(r"^chub_[A-Za-z0-9]{43}$")


class TokenError(ValueError):
    """A token request that cannot be carried out (one line for the user)."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token, never its hash."""

    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "prefix": self.prefix,
                "created_at": audit.jsonable(self.created_at), "created_by": self.created_by,
                "revoked_at": audit.jsonable(self.revoked_at) if self.revoked_at else None,
                "active": self.active}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the audit actor) and role."""

    name: str
    role: str

    def allows(self, needed: str) -> bool:
        return role_allows(self.role, needed)


def role_allows(role: str, needed: str) -> bool:
    """``admin`` allows everything, ``agent`` allows agent and viewer, ``viewer`` only viewer."""
    if needed not in RANK:
        raise ValueError(f"unknown role {needed!r}")
    return RANK.get(role, -1) >= RANK[needed]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(SECRET_CHARS))


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.name, row.role, row.prefix, row.created_at, row.created_by,
                     row.revoked_at)


def check_role(role: str) -> str:
    if role not in RANK:
        raise TokenError(f"unknown role {role!r} (use {', '.join(ROLES)})")
    return role


def create_token(session: Session, *, name: str, role: str, at: datetime, actor: str
                 ) -> tuple[str, TokenInfo]:
    """A new token; returns ``(token, info)``. The token cannot be read back later."""
    check_role(role)
    if not NAME_RE.match(name):
        raise TokenError(f"token name {name!r} must be 1-120 letters, digits or . _ @ - "
                         "(starting with a letter or digit)")
    existing = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if existing is not None:
        state = "a revoked token" if existing.revoked_at else "an active token"
        raise TokenError(f"the name {name!r} is already used by {state}; choose another name")
    token = new_token()
    row = ApiToken(name=name, role=role, token_hash=hash_token(token),
                   prefix=token[: len(TOKEN_PREFIX) + SHOWN_CHARS], created_at=utc(at),
                   created_by=actor)
    session.add(row)
    audit.append(session, at=at, actor=actor, action="token.created", entity="api_token",
                 entity_id=name, payload={"role": role, "prefix": row.prefix})
    session.flush()
    return token, _info(row)


def list_tokens(session: Session, *, include_revoked: bool = True) -> list[TokenInfo]:
    q = select(ApiToken).order_by(ApiToken.name)
    if not include_revoked:
        q = q.where(ApiToken.revoked_at.is_(None))
    return [_info(r) for r in session.scalars(q)]


def revoke_token(session: Session, name: str, *, at: datetime, actor: str) -> TokenInfo:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise TokenError(f"no token named {name!r}")
    if row.revoked_at is not None:
        raise TokenError(f"token {name!r} is already revoked "
                         f"(since {audit.jsonable(row.revoked_at)})")
    row.revoked_at = utc(at)
    audit.append(session, at=at, actor=actor, action="token.revoked", entity="api_token",
                 entity_id=name, payload={"role": row.role, "prefix": row.prefix})
    session.flush()
    return _info(row)


def well_formed(token: str | None) -> bool:
    """Shaped like a token (``chub_`` and 43 letters or digits); says nothing about validity."""
    return bool(token) and _TOKEN_RE.match(token or "") is not None


def authenticate(session: Session, token: str | None) -> Principal | None:
    """The principal of an active token, or None (unknown, malformed or revoked).

    One indexed query; the stored and computed hashes are compared in constant time.
    """
    if not well_formed(token):
        return None
    assert token is not None
    digest = hash_token(token)
    row = session.connection().execute(  # Core, not ORM: this runs on every API request
        select(ApiToken.name, ApiToken.role, ApiToken.token_hash, ApiToken.revoked_at)
        .where(ApiToken.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.revoked_at is not None:
        return None
    return Principal(row.name, row.role)
