"""The identity emulator's registry: app registrations, resources, issued tokens.

Other emulators in the same process (Graph, Dataverse) validate a bearer token
here with ``validate(token, audience)``: the answer is the app (client) id the
token was issued to, or None when the token is unknown, expired, revoked or
issued for another resource. Time comes from the injected ``now``.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

GRAPH_RESOURCE = "https://graph.microsoft.com"


@dataclass(frozen=True)
class AppRegistration:
    client_id: str
    client_secret: str
    display_name: str = "contracthub"


@dataclass(frozen=True)
class IssuedToken:
    client_id: str
    audience: str
    expires_at: datetime


class TokenRegistry:
    """Thread-safe: the emulators serve requests on threads."""

    def __init__(self, now: Callable[[], datetime], *, tenant_id: str | None = None,
                 lifetime: float = 3599) -> None:
        self.now = now
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.tenant_domains: set[str] = {"contoso.onmicrosoft.com"}
        self.lifetime = lifetime
        self.apps: dict[str, AppRegistration] = {}
        self.resources: set[str] = {GRAPH_RESOURCE}
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()
        self.issued = 0

    # registrations -----------------------------------------------------------
    def register_app(self, client_id: str | None = None, client_secret: str | None = None,
                     display_name: str = "contracthub") -> AppRegistration:
        app = AppRegistration(client_id or str(uuid.uuid4()),
                              client_secret or secrets.token_urlsafe(30), display_name)
        with self._lock:
            self.apps[app.client_id] = app
        return app

    def add_resource(self, resource: str) -> None:
        """Accept ``{resource}/.default`` as a scope (e.g. a Dataverse org URL)."""
        with self._lock:
            self.resources.add(resource.rstrip("/"))

    def knows_tenant(self, tenant: str) -> bool:
        return tenant.lower() in {self.tenant_id.lower(), *self.tenant_domains}

    # tokens ------------------------------------------------------------------
    def issue(self, client_id: str, audience: str,
              lifetime: float | None = None) -> tuple[str, int]:
        """A new access token for ``client_id`` valid at ``audience``; (token, expires_in)."""
        seconds = int(self.lifetime if lifetime is None else lifetime)
        token = "eyJ0eXAiOiJKV1QiLCJzYW5kYm94Ijp0cnVlfQ." + secrets.token_urlsafe(40)
        with self._lock:
            self._tokens[token] = IssuedToken(client_id, audience.rstrip("/"),
                                              self.now() + timedelta(seconds=seconds))
            self.issued += 1
        return token, seconds

    def validate(self, authorization: str | None, audience: str) -> str | None:
        """The app id behind a token (or an ``Authorization: Bearer`` value), or None."""
        if not authorization:
            return None
        token = authorization
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or issued.audience != audience.rstrip("/"):
            return None
        if self.now() >= issued.expires_at:
            return None
        return issued.client_id

    def expire_all(self) -> None:
        """Every token issued so far is refused from now on (a 401 to refresh on)."""
        with self._lock:
            self._tokens.clear()
