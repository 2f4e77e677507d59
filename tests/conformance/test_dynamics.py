"""The conformance suite for the Dynamics 365 connector: built by its entry point, signed in
through msal against the identity emulator, real HTTPS to the Dataverse emulator.

The suite's tests are imported here and run with this module's ``harness``.
"""

from __future__ import annotations

import pytest

from connectors.base import load_connector
from core.clock import FakeClock
from sandbox.dataverse import DataverseEmulator
from tests.conformance.harness import Harness
from tests.conformance.test_conformance import *  # noqa: F401,F403


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Harness:
    clock = FakeClock()
    emu = DataverseEmulator.with_identity(clock)
    request.addfinalizer(emu.stop)
    conn = load_connector("dynamics", name="dynamics", clock=clock,
                          settings=emu.connection_settings())

    def set_page(n: int) -> None:
        conn.page_size = n  # type: ignore[attr-defined]

    return Harness(
        connector=conn, object="account", key_field="chub_contracthubid",
        fields=["name", "address1_city", "chub_contracthubid"],
        make_fields=lambda i: {"name": f"Conformance {i}", "address1_city": "Leeds"},
        bad_fields={"address1_city": "x" * 81},  # over the column's 80 characters
        remote_create=lambda f: emu.store.insert("account", f),
        remote_delete=lambda rid: emu.store.delete("account", rid),
        advance=clock.advance, set_page_size=set_page,
        remote_count=lambda: len(emu.store.all("account")),
        read_calls=lambda: conn.calls.counts.get("read", 0))  # type: ignore[attr-defined]
