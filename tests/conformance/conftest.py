"""The connectors the conformance suite runs against (one harness factory each)."""

from __future__ import annotations

import pytest

from connectors.base import load_connector
from connectors.memory import MemoryConnector, MemoryRemote
from core.clock import FakeClock
from sandbox.salesforce import SalesforceEmulator
from tests.conformance.harness import Harness


def memory_harness(request: pytest.FixtureRequest) -> Harness:
    clock = FakeClock()
    remote = MemoryRemote(clock)
    conn = MemoryConnector(name="mem", settings={"batch_max": 50, "page_size": 40}, remote=remote)

    def set_page(n: int) -> None:
        conn.page_size = n

    return Harness(
        connector=conn, object="Account", key_field="ContractHub_Id__c",
        fields=["Name", "BillingCity", "ContractHub_Id__c"],
        make_fields=lambda i: {"Name": f"Conformance {i}", "BillingCity": "Leeds"},
        bad_fields={"No_Such_Field__c": "x"},
        remote_create=lambda f: remote.create("Account", f),
        remote_delete=lambda rid: remote.delete("Account", rid),
        advance=clock.advance, set_page_size=set_page,
        remote_count=lambda: len(remote.all("Account")),
        read_calls=lambda: remote.calls.counts.get("read", 0))


def salesforce_harness(request: pytest.FixtureRequest) -> Harness:
    """The Salesforce connector, built by its entry point, on a fresh emulator."""
    clock = FakeClock()
    emu = SalesforceEmulator(clock=clock, sleep=clock.sleep)
    emu.start()
    request.addfinalizer(emu.stop)
    client_id, secret = emu.client_credentials()
    conn = load_connector("salesforce", name="sf", clock=clock, settings={
        "type": "salesforce", "login_url": emu.login_url, "ca_bundle": emu.ca_bundle,
        "auth": {"method": "client_credentials", "client_id": client_id,
                 "client_secret": secret}})

    def set_page(n: int) -> None:
        conn.page_size = n

    return Harness(
        connector=conn, object="Account", key_field="ContractHub_Id__c",
        fields=["Name", "BillingCity", "ContractHub_Id__c"],
        make_fields=lambda i: {"Name": f"Conformance {i}", "BillingCity": "Leeds"},
        bad_fields={"BillingCity": "x" * 41},  # over the field's 40 characters
        remote_create=lambda f: emu.store.insert("Account", f),
        remote_delete=lambda rid: emu.store.delete("Account", rid),
        advance=clock.advance, set_page_size=set_page,
        remote_count=lambda: len(emu.store.all("Account")),
        read_calls=lambda: conn.calls.counts.get("query", 0))


HARNESSES = {"memory": memory_harness, "salesforce": salesforce_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param](request)
