"""``IdentityEmulator``: the Microsoft identity platform (v2.0) for msal, over HTTPS.

Usage::

    identity = IdentityEmulator(clock=fake_clock).start()
    app = identity.app_registration            # client_id, client_secret
    msal.ConfidentialClientApplication(app.client_id, client_credential=app.client_secret,
        authority=identity.authority, instance_discovery=False, http_client=session)
    identity.add_resource(dataverse.base_url)  # accept "{that}/.default" as a scope
    identity.validate(bearer, "https://graph.microsoft.com")  # -> client id or None
    identity.expire_all_tokens()               # resources answer 401 from now on
    identity.faults.add_rule(pattern="POST .*/token", status=429, retry_after=3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.faults import CallLog, FaultRule, FaultyApp
from sandbox.microsoft_identity.app import IdentityApp, fault_body
from sandbox.microsoft_identity.tokens import AppRegistration, TokenRegistry
from sandbox.server import Served, as_clock


class IdentityEmulator(Served):
    """One tenant with one app registration (more with ``register_app``)."""

    served_as = "microsoft-identity"

    def __init__(self, clock: Any = None, *, tenant_id: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 token_lifetime: float = 3599,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.now = as_clock(clock)
        self.registry = TokenRegistry(self.now, tenant_id=tenant_id, lifetime=token_lifetime)
        self.app_registration: AppRegistration = self.registry.register_app(client_id,
                                                                            client_secret)
        if sleep is None and hasattr(clock, "sleep"):
            sleep = clock.sleep
        self.faults = FaultyApp(IdentityApp(self.registry, self.now), default_body=fault_body,
                                sleep=sleep)

    # serving (Served): base_url is the authority host, settings' ``authority_host``
    @property
    def tenant_id(self) -> str:
        return self.registry.tenant_id

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def token_url(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    # registrations and tokens ----------------------------------------------------
    def client_credentials(self) -> tuple[str, str]:
        return self.app_registration.client_id, self.app_registration.client_secret

    def register_app(self, client_id: str | None = None,
                     client_secret: str | None = None) -> AppRegistration:
        return self.registry.register_app(client_id, client_secret)

    def add_resource(self, resource: str) -> None:
        self.registry.add_resource(resource)

    def issue_token(self, audience: str, lifetime: float | None = None) -> str:
        """A valid token for the default app without an HTTP round trip."""
        return self.registry.issue(self.app_registration.client_id, audience, lifetime)[0]

    def validate(self, authorization: str | None, audience: str) -> str | None:
        return self.registry.validate(authorization, audience)

    def expire_all_tokens(self) -> None:
        self.registry.expire_all()

    @property
    def tokens_issued(self) -> int:
        return self.registry.issued

    def add_fault(self, **kwargs: Any) -> FaultRule:
        return self.faults.add_rule(**kwargs)
