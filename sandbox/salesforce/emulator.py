"""``SalesforceEmulator``: a stateful Salesforce REST API for tests and demos.

Usage::

    emu = SalesforceEmulator(clock=fake_clock.now)
    with emu:                                    # or emu.start() / emu.stop()
        client_id, secret = emu.client_credentials()
        token = requests.post(emu.token_url, data={"grant_type": "client_credentials",
                              "client_id": client_id, "client_secret": secret},
                              verify=emu.ca_bundle).json()
        ...
    emu.store.insert("Account", {"Name": "Acme"})       # seed
    emu.store.all("Account")                             # inspect
    emu.faults.add_rule(pattern=r"GET .*/query", status=503, times=1)
    emu.calls.count("GET /services/data/v60.0/query")

``.app`` is the WSGI app wrapped in ``FaultyApp`` (faults fire before
authentication and before the API budget is touched).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sandbox.faults import CallLog, FaultRule, FaultyApp
from sandbox.salesforce.app import SalesforceApp
from sandbox.salesforce.auth import TokenService
from sandbox.salesforce.errors import RecordError, default_fault_body
from sandbox.salesforce.limits import ApiBudget
from sandbox.salesforce.records import RejectHook
from sandbox.salesforce.schema import build_schema
from sandbox.salesforce.store import Store
from sandbox.server import Served, as_clock

DEFAULT_VERSION = "60.0"


class SalesforceEmulator(Served):
    """One Salesforce org: records, a connected app, a user and an API budget."""

    served_as = "salesforce"

    def __init__(
        self,
        clock: Any = None,
        daily_limit: int = 15000,
        custom_fields: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        token_lifetime: float = 7200,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str = "integration@contracthub.example",
        jwt_certificate_pem: bytes | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.now: Callable[[], datetime] = as_clock(clock)
        self.store = Store(build_schema(custom_fields), self.now)
        self.tokens = TokenService(self.now, token_lifetime, client_id, client_secret,
                                   username, jwt_certificate_pem)
        self.budget = ApiBudget(self.now, daily_limit)
        self._reject: RejectHook | None = None
        self.api = SalesforceApp(self.store, self.tokens, self.budget, lambda: self._reject)
        if sleep is None and hasattr(clock, "sleep"):
            sleep = clock.sleep
        self.faults = FaultyApp(self.api, default_body=default_fault_body, sleep=sleep)

    # serving ---------------------------------------------------------------
    @property
    def app(self) -> FaultyApp:
        return self.faults

    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    @property
    def instance_url(self) -> str:
        return self.base_url

    @property
    def login_url(self) -> str:
        """Where tokens come from; also the JWT audience the emulator expects."""
        return self.base_url

    @property
    def token_url(self) -> str:
        return self.base_url + "/services/oauth2/token"

    def data_url(self, version: str = DEFAULT_VERSION) -> str:
        return f"{self.base_url}/services/data/v{version}/"

    # credentials -------------------------------------------------------------
    def client_credentials(self) -> tuple[str, str]:
        """The connected app's (client_id, client_secret)."""
        return self.tokens.client_id, self.tokens.client_secret

    @property
    def username(self) -> str:
        return self.tokens.username

    @property
    def jwt_private_key_pem(self) -> bytes:
        """Private key to sign JWT bearer assertions with (RS256)."""
        return self.tokens.jwt_private_key_pem

    @property
    def jwt_certificate_pem(self) -> bytes:
        return self.tokens.jwt_certificate_pem

    def issue_access_token(self) -> str:
        """A valid access token without an HTTP round trip."""
        return self.tokens.issue_access_token()

    def issue_refresh_token(self) -> str:
        """A refresh token, as if a user had completed the web-server flow."""
        return self.tokens.issue_refresh_token()

    def expire_all_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on."""
        self.tokens.expire_all()

    # behaviour knobs ---------------------------------------------------------
    def reject_records(self, hook: RejectHook | None) -> None:
        """Install (or with None remove) a per-record rejection hook: it gets the
        object name and the record as it would be after the write (wire form)
        and returns None to accept, or a message / ``RecordError`` to refuse."""
        self._reject = hook

    def reject_when_name_contains(self, marker: str = "REJECT") -> None:
        """Refuse writes whose ``Name`` contains ``marker`` with
        ``FIELD_CUSTOM_VALIDATION_EXCEPTION``."""
        def hook(obj_name: str, record: dict[str, Any]) -> RecordError | None:
            if marker in str(record.get("Name") or ""):
                return RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                   f"Records whose name contains {marker} are refused", [])
            return None
        self._reject = hook

    def add_fault(self, **kwargs: Any) -> FaultRule:
        """Shortcut for ``faults.add_rule(FaultRule(**kwargs))``."""
        return self.faults.add_rule(**kwargs)

    @property
    def api_usage(self) -> int:
        return self.budget.used
