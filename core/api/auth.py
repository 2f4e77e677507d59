"""Bearer-token access: who is calling, and may they.

``require(role)`` is a FastAPI dependency: it opens the request's one store
session, checks the token in it (one indexed query) and hands the endpoint a
``Caller`` with that session. Missing, unknown, malformed or revoked token:
401 with ``WWW-Authenticate: Bearer``; a valid token whose role is too low:
403. The token itself is never echoed back or logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from core.api.schemas import ErrorOut
from core.hub import Hub
from core.tokens import Principal, authenticate

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


def require(role: str) -> Callable[..., Iterator[Caller]]:
    """A dependency letting through tokens whose role is ``role`` or higher."""

    def dependency(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None,
                                          Depends(bearer)]) -> Iterator[Caller]:
        if credentials is None:
            raise _unauthorized(MISSING)
        hub: Hub = request.app.state.hub
        with hub.session() as session:
            principal = authenticate(session, credentials.credentials)
            if principal is None:
                raise _unauthorized(INVALID, "invalid_token")
            if not principal.allows(role):
                raise HTTPException(403, f"token {principal.name!r} has role "
                                         f"{principal.role!r}; this needs {role!r} or higher")
            session.info["actor"] = principal.name
            yield Caller(hub, session, principal)

    dependency.__name__ = f"require_{role}"
    return dependency


# The three levels, as parameter annotations: ``caller: Agent``.
Viewer = Annotated[Caller, Depends(require("viewer"))]
Agent = Annotated[Caller, Depends(require("agent"))]
Admin = Annotated[Caller, Depends(require("admin"))]
