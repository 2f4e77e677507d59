"""The Dynamics 365 connector in the conformance suite: built by its entry point, signed in
through msal against the identity emulator, real HTTPS to the Dataverse emulator.

``dynamics_harness`` is registered in ``HARNESSES`` (conftest), so every suite test in
``test_conformance`` runs on it as ``[dynamics]``; the test here checks the harness is what
it claims to be.
"""

from __future__ import annotations

import pytest

from connectors.base import load_connector
from core.clock import FakeClock
from sandbox.dataverse import DataverseEmulator
from tests.conformance.harness import Harness


def dynamics_harness(request: pytest.FixtureRequest) -> Harness:
    clock = FakeClock()
    emu = DataverseEmulator.with_identity(clock)
    request.addfinalizer(emu.stop)
    conn = load_connector("dynamics", name="dynamics", clock=clock,
                          settings=emu.connection_settings())
    request.node.dataverse = emu  # for tests that look at the wire

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


def test_the_dynamics_harness_signs_in_through_msal_over_https(request):
    h = dynamics_harness(request)
    h.connector.check()
    emu = request.node.dataverse
    assert emu.identity.calls.count(r"POST /.*/oauth2/v2.0/token") == 1
    assert emu.calls.statuses(r"GET /api/data/v9.2/WhoAmI") == [200]
    assert type(h.connector).__module__ == "connectors.dynamics.connector"
