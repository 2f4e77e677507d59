"""pytest fixtures for the sandbox emulators.

Load with ``pytest_plugins = ["sandbox.fixtures"]`` in the top-level
``tests/conftest.py``, or ``from sandbox.fixtures import *`` in a nested
conftest (pytest refuses ``pytest_plugins`` below the top level).

- ``sandbox_clock``: the suite's ``clock`` fixture when there is one (so the
  hub and the emulators agree on time), else a new ``FakeClock``
  (2026-01-05 09:00 UTC). The emulators' fault delays sleep on it.
- ``salesforce_sandbox``: a started ``SalesforceEmulator`` with fresh state
  (function scope); ``.base_url``, ``.ca_bundle``, ``.store``, ``.faults``,
  ``.calls``, ``.client_credentials()``.
- ``sandbox_session``: a ``requests.Session`` that trusts only the sandbox CA
  and ignores ``REQUESTS_CA_BUNDLE``/proxy variables (``trust_env = False``).
- ``salesforce_client``: a real ``simple_salesforce.Salesforce`` on the
  sandbox, authenticated by client credentials.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from core.clock import FakeClock
from sandbox import tls
from sandbox.salesforce import SalesforceEmulator

SALESFORCE_VERSION = "60.0"


def sandbox_requests_session(ca_bundle: str | None = None, timeout: float = 10.0
                             ) -> requests.Session:
    """A session that verifies TLS with the sandbox CA only, whatever the
    environment says, and never uses a proxy."""
    session = _TimeoutSession(timeout)
    session.verify = ca_bundle or tls.ca_bundle_path()
    session.trust_env = False
    return session


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def client_credentials_token(emu: SalesforceEmulator, session: requests.Session
                             ) -> dict[str, Any]:
    """The token answer for the emulator's connected app (client credentials)."""
    client_id, secret = emu.client_credentials()
    answer = session.post(emu.token_url, data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": secret})
    answer.raise_for_status()
    return dict(answer.json())


def salesforce_client_for(emu: SalesforceEmulator, session: requests.Session | None = None,
                          version: str = SALESFORCE_VERSION) -> Any:
    """A ``simple_salesforce.Salesforce`` bound to the emulator."""
    from simple_salesforce import Salesforce

    session = session or sandbox_requests_session(emu.ca_bundle)
    token = client_credentials_token(emu, session)
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"],
                      session=session, version=version)


@pytest.fixture
def sandbox_clock(request: pytest.FixtureRequest) -> FakeClock:
    try:
        shared = request.getfixturevalue("clock")
    except pytest.FixtureLookupError:
        return FakeClock()
    if not isinstance(shared, FakeClock):
        return FakeClock()
    return shared


@pytest.fixture
def salesforce_sandbox(sandbox_clock: FakeClock) -> Iterator[SalesforceEmulator]:
    emu = SalesforceEmulator(clock=sandbox_clock, sleep=sandbox_clock.sleep)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def sandbox_session() -> Iterator[requests.Session]:
    session = sandbox_requests_session()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def salesforce_client(salesforce_sandbox: SalesforceEmulator,
                      sandbox_session: requests.Session) -> Any:
    return salesforce_client_for(salesforce_sandbox, sandbox_session)


@pytest.fixture
def microsoft_identity(sandbox_clock: FakeClock) -> Iterator[Any]:
    """A started ``IdentityEmulator`` (one tenant, one app registration) on the
    sandbox clock; ``.authority``, ``.client_credentials()``, ``.validate()``."""
    from sandbox.microsoft_identity import IdentityEmulator

    emu = IdentityEmulator(clock=sandbox_clock).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def dataverse_sandbox(sandbox_clock: FakeClock) -> Iterator[Any]:
    """A started ``DataverseEmulator`` (fresh state) whose bearer tokens come from a
    started Microsoft identity emulator (``.identity``); ``.connection_settings()``
    is the ``connections:`` entry that reaches it."""
    from sandbox.dataverse import DataverseEmulator

    emu = DataverseEmulator.with_identity(sandbox_clock, sleep=sandbox_clock.sleep)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def graph_sandbox(microsoft_identity: Any, sandbox_clock: FakeClock) -> Iterator[Any]:
    """A started ``GraphEmulator`` trusting ``microsoft_identity``: one SharePoint site
    (``.site``) with one library (``.drive``); ``.graph_url``, ``.files()``, ``.calls``."""
    from sandbox.microsoft_graph import GraphEmulator

    emu = GraphEmulator(microsoft_identity, clock=sandbox_clock).start()
    try:
        yield emu
    finally:
        emu.stop()
