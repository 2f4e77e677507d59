"""Bearer-token access: who is calling, and may they.

``require(role)`` is a FastAPI dependency that runs on the event loop and
touches no database: a request without a bearer token, or with one that is
not shaped like a token, gets 401 at once. It hands the endpoint a ``Gate``;
the endpoint (a plain ``def``, run in one worker thread) opens it first thing:
``with gate.open() as caller:`` opens the request's one store session, checks
the token there (one indexed query; unknown or revoked: 401, role too low:
403) and gives the endpoint that session. ``gate.check()`` only checks, for
endpoints that work through functions opening their own sessions.

So each request uses one thread and holds at most one pooled connection at a
time: a request never waits for a thread while holding a connection (which,
with more requests in flight than connections, would deadlock the pool). The
price: FastAPI validates parameters before the endpoint runs, so a request
with a well-formed but unknown token and a bad parameter gets the 422 rather
than the 401 (the parameter rules are public in ``/openapi.json`` anyway).

Read-only endpoints get an autocommit session on PostgreSQL (no BEGIN and
ROLLBACK round trips; each statement reads committed data, as it would in
READ COMMITTED); the admin actions get a transactional one. Every 401 carries
``WWW-Authenticate: Bearer``. The token itself is never echoed back or logged.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.api.schemas import ErrorOut
from core.hub import Hub
from core.tokens import Principal, authenticate, well_formed

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="An API token made by `contracthub tokens create` "
                                "(`Authorization: Bearer chub_...`).")

MISSING = "an API token is required: send `Authorization: Bearer <token>`"
INVALID = "the API token is not valid (unknown, malformed or revoked)"

# Documented on every protected operation.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no token, or one that is unknown or revoked"},
    403: {"model": ErrorOut, "description": "the token's role may not do this"},
}


@dataclass
class Caller:
    """The request's store session and the principal the token belongs to."""

    hub: Hub
    session: Session
    principal: Principal

    @property
    def actor(self) -> str:
        return self.principal.name


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="contracthub"'
    if error:
        challenge += f', error="{error}"'
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def read_bind(hub: Hub) -> Engine:
    """What read-only requests use: on PostgreSQL the same pool in autocommit mode."""
    if hub.engine.dialect.name == "postgresql":
        return hub.engine.execution_options(isolation_level="AUTOCOMMIT")
    return hub.engine


def _check_token(session: Session, token: str) -> Principal | None:
    """The token check is each request's first statement: a pooled connection that died
    (a restarted database) fails here, is discarded, and the check runs once more on a
    fresh one -- what a ping before every checkout would do, without its round trip."""
    try:
        return authenticate(session, token)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        session.rollback()
        return authenticate(session, token)


@dataclass
class Gate:
    """A request that presented a well-formed token, not yet checked against the store."""

    hub: Hub
    bind: Engine
    token: str
    role: str
    write: bool

    @contextmanager
    def open(self) -> Iterator[Caller]:
        """The request's session, once the token is found active and its role allowed."""
        hub = self.hub
        session = hub.session() if self.write else hub.sessions(bind=self.bind)
        session.info.update({"clock": hub.clock, "actor": hub.config.actor})
        with session:
            principal = _check_token(session, self.token)
            if principal is None:
                raise _unauthorized(INVALID, "invalid_token")
            if not principal.allows(self.role):
                raise HTTPException(403, f"token {principal.name!r} has role "
                                         f"{principal.role!r}; this needs {self.role!r} "
                                         "or higher")
            session.info["actor"] = principal.name
            yield Caller(hub, session, principal)

    def check(self) -> Caller:
        """Check the token and release the store connection at once; the caller's
        ``session`` is closed (the endpoint opens its own)."""
        with self.open() as caller:
            pass
        return caller


def require(role: str, *, write: bool = False
            ) -> Callable[..., Coroutine[Any, Any, Gate]]:
    """A dependency for tokens whose role is ``role`` or higher. ``write``: the endpoint
    changes the store, so its session runs transactions."""

    async def dependency(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                Depends(bearer)]) -> Gate:
        if credentials is None:
            raise _unauthorized(MISSING)
        if not well_formed(credentials.credentials):
            raise _unauthorized(INVALID, "invalid_token")
        state = request.app.state
        return Gate(state.hub, state.read_bind, credentials.credentials, role, write)

    dependency.__name__ = f"require_{role}"
    return dependency


# The three levels, as parameter annotations: ``gate: Agent``.
Viewer = Annotated[Gate, Depends(require("viewer"))]
Agent = Annotated[Gate, Depends(require("agent"))]
Admin = Annotated[Gate, Depends(require("admin", write=True))]
