"""``DataverseEmulator``: a Dynamics 365 org's Dataverse Web API for tests and demos.

Usage::

    identity = IdentityEmulator(clock=clock).start()
    dv = DataverseEmulator(clock=clock, validate=identity.validate).start()
    identity.add_resource(dv.org_url)          # msal may now ask for "{org_url}/.default"
    dv.store.insert("account", {"name": "Acme"})          # as a person in Dynamics would
    dv.faults.add_rule(pattern=r"PATCH .*/accounts", status=429, retry_after=5)
    dv.calls.count("GET /api/data/v9.2/accounts")

Without ``validate`` the emulator issues its own opaque tokens
(``issue_token()``), for tests that do not need the identity platform.
``.app`` is the WSGI app wrapped in ``FaultyApp``: faults fire before
authentication and before the service-protection window is touched.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sandbox.dataverse.app import DataverseApp, Validator
from sandbox.dataverse.errors import default_fault_body
from sandbox.dataverse.limits import ServiceProtection
from sandbox.dataverse.schema import Column, build_schema
from sandbox.dataverse.store import Store
from sandbox.faults import CallLog, FaultRule, FaultyApp
from sandbox.server import Served, as_clock

API_VERSION = "9.2"


class DataverseEmulator(Served):
    served_as = "dataverse"

    def __init__(self, clock: Any = None, *, validate: Validator | None = None,
                 request_limit: int = 6000,
                 extra_columns: Mapping[str, Iterable[Column]] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.now = as_clock(clock)
        self.store = Store(build_schema(extra_columns), self.now)
        self.limits = ServiceProtection(self.now, request_limit)
        self._tokens: set[str] = set()
        self._validate = validate or self._own_validate
        self.api = DataverseApp(self.store, lambda: self._validate, self.limits)
        if sleep is None and hasattr(clock, "sleep"):
            sleep = clock.sleep
        self.faults = FaultyApp(self.api, default_body=default_fault_body, sleep=sleep)
        self.identity: Any = None
        """The ``IdentityEmulator`` issuing this org's tokens, when ``with_identity`` wired one."""

    @classmethod
    def with_identity(cls, clock: Any = None, **kwargs: Any) -> DataverseEmulator:
        """A started org whose tokens come from a started Microsoft identity emulator
        (``.identity``), which accepts ``{org_url}/.default`` as a scope."""
        from sandbox.microsoft_identity import IdentityEmulator

        sleep = kwargs.get("sleep") or getattr(clock, "sleep", None)
        identity = IdentityEmulator(clock=clock, sleep=sleep).start()
        emu = cls(clock, validate=identity.validate, **kwargs).start()
        identity.add_resource(emu.org_url)
        emu.identity = identity
        return emu

    def connection_settings(self) -> dict[str, Any]:
        """The ``connections:`` entry that reaches this org (secret inline: tests only)."""
        if self.identity is None:
            raise RuntimeError("connection_settings needs an org built with with_identity()")
        client_id, secret = self.identity.client_credentials()
        return {"type": "dynamics", "org_url": self.org_url, "ca_bundle": self.ca_bundle,
                "auth": {"tenant_id": self.identity.tenant_id, "client_id": client_id,
                         "client_secret": secret,
                         "authority_host": self.identity.base_url}}

    # serving (Served) ------------------------------------------------------------
    def stop(self) -> None:
        super().stop()
        if self.identity is not None:
            self.identity.stop()

    @property
    def org_url(self) -> str:
        """``https://127.0.0.1:PORT``: the connection's ``org_url`` and the token audience."""
        return self._server().base_url

    @property
    def api_url(self) -> str:
        return f"{self.org_url}/api/data/v{API_VERSION}/"

    @property
    def app(self) -> FaultyApp:
        return self.faults

    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    # tokens ----------------------------------------------------------------------
    def use_validator(self, validate: Validator) -> None:
        """Accept the tokens ``validate(header, org_url)`` accepts (e.g. the identity
        emulator's ``validate``)."""
        self._validate = validate

    def issue_token(self) -> str:
        """A token the built-in validator accepts (when no identity emulator is wired)."""
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return token

    def _own_validate(self, header: str | None, audience: str) -> str | None:
        scheme, _, token = (header or "").partition(" ")
        return "sandbox-user" if scheme.lower() == "bearer" and token in self._tokens else None

    def add_fault(self, **kwargs: Any) -> FaultRule:
        return self.faults.add_rule(**kwargs)
