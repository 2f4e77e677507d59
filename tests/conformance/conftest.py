"""The connectors the conformance suite runs against (one harness factory each)."""

from __future__ import annotations

import pytest

from connectors.base import connector_factories, load_connector
from connectors.memory import MemoryConnector, MemoryRemote
from core.clock import FakeClock
from sandbox.jira.emulator import JiraEmulator
from sandbox.salesforce import SalesforceEmulator
from tests.conformance.harness import Harness
from tests.conformance.test_dynamics import dynamics_harness


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


CREATION_TESTS = frozenset({"test_rewriting_the_same_batch_is_idempotent",
                            "test_per_record_errors_do_not_fail_the_batch",
                            "test_versions_change_on_every_write"})
"""Suite tests whose writes create records (ops without a remote id)."""


def jira_harness(mode: str):
    """The Jira connector, built by its entry point, on a fresh emulator in ``mode``.

    Jira issues are created by people, not by the hub (``creates = False``): the
    suite's tests that create records through ``write`` are not generated for it
    (``pytest_generate_tests``); tests/jira runs their edit-only counterparts."""
    def factory(request: pytest.FixtureRequest) -> Harness:
        clock = FakeClock()
        emu = JiraEmulator(mode=mode, clock=clock, sleep=clock.sleep)
        emu.start()
        request.addfinalizer(emu.stop)
        auth = ({"email": emu.basic_auth[0], "api_token": emu.basic_auth[1]}
                if mode == "cloud" else {"pat": emu.pat})
        conn = load_connector("jira", name="jira", clock=clock, settings={
            "type": "jira", "url": emu.base_url, "auth": auth, "projects": ["SUP"],
            "customer_rule": {"field": "Organization"}, "ca_bundle": emu.ca_bundle})

        def set_page(n: int) -> None:
            conn.page_size = n  # type: ignore[attr-defined]

        return Harness(
            connector=conn, object="issue", key_field=None,
            fields=["key", "summary", "status", "updated"],
            make_fields=lambda i: {"summary": f"Conformance {i}", "customfield_10014": "24x7"},
            bad_fields={"customfield_10017": "Maybe"},  # not an option of SLA Breached
            remote_create=lambda f: emu.store.create_issue("SUP", fields=f).id,
            remote_delete=emu.store.delete_issue,
            advance=clock.advance, set_page_size=set_page,
            remote_count=lambda: len(emu.store.issues()),
            read_calls=lambda: conn.calls.counts.get("read", 0))  # type: ignore[attr-defined]
    return factory


HARNESSES = {"memory": memory_harness, "salesforce": salesforce_harness,
             "jira_cloud": jira_harness("cloud"), "jira_dc": jira_harness("datacenter")}
HARNESSES["dynamics"] = dynamics_harness


CONNECTOR_TYPES = {"jira_cloud": "jira", "jira_dc": "jira"}


def creates_records(harness_name: str) -> bool:
    """Whether the harness's connector creates records through ``write``."""
    type_name = CONNECTOR_TYPES.get(harness_name)
    if type_name is None:
        return True
    return bool(getattr(connector_factories()[type_name].load(), "creates", True))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each suite test runs on every harness whose connector can do what it tests."""
    if "harness" not in metafunc.fixturenames:
        return
    creating = metafunc.function.__name__ in CREATION_TESTS
    names = [n for n in sorted(HARNESSES) if not creating or creates_records(n)]
    metafunc.parametrize("harness", names, indirect=True)


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param](request)
