"""The Dynamics connector on its own: settings, sign-in, reading through delta links (and
starting over when one is refused), per-record write results, retries inside a batch."""

from __future__ import annotations

import pytest

from connectors.base import (
    REMOTE_DELETED,
    ConfigError,
    RateLimited,
    RetryLater,
    StopSync,
    WriteOp,
)
from connectors.dynamics import DynamicsConnector
from sandbox.faults import FaultRule
from tests.dynamics.conftest import API, KEY

FIELDS = ["name", KEY]


def read(conn, cursor=None, fields=FIELDS):
    pages = list(conn.read_changes("account", cursor, fields))
    return pages, dict(pages[-1].cursor)


@pytest.mark.parametrize("change, message", [
    ({"org_url": "http://contoso.crm.dynamics.com"}, "org_url must look like https://"),
    ({"org_url": "https://contoso.crm.dynamics.com/api"}, "org_url must look like https://"),
    ({"api_version": "8.2"}, "api_version must be 9.0, 9.1 or 9.2"),
    ({"page_size": 9000}, "page_size must be between 1 and 5000"),
    ({"colour": "blue"}, "unknown setting 'colour'"),
    ({"auth": {"tenant_id": "t", "client_id": "c"}}, "auth.client_secret is required"),
])
def test_bad_settings_name_the_key_and_never_the_secret(dataverse_sandbox, change, message):
    settings = {**dataverse_sandbox.connection_settings(), **change}
    with pytest.raises(ConfigError) as err:
        DynamicsConnector(name="dyn", settings=settings)
    assert message in err.value.user_message and "connection 'dyn'" in err.value.user_message
    assert dataverse_sandbox.identity.client_credentials()[1] not in str(err.value)


def test_a_wrong_secret_stops_the_sync_with_a_clear_message(dataverse_sandbox, clock):
    settings = dataverse_sandbox.connection_settings()
    settings["auth"]["client_secret"] = "not-the-secret"
    conn = DynamicsConnector(name="dyn", settings=settings, clock=clock)
    with pytest.raises(StopSync) as err:
        conn.check()
    assert "check auth.client_secret" in err.value.user_message
    assert "not-the-secret" not in err.value.user_message + err.value.detail


def test_an_unknown_table_is_a_config_error(connector):
    with pytest.raises(ConfigError, match="no table 'contract_x'"):
        connector.describe("contract_x")


def test_delta_links_read_only_changes_and_a_refused_one_starts_over_in_full(
        connector, dataverse_sandbox):
    emu = dataverse_sandbox
    ids = [emu.store.insert("account", {"name": f"A{i}"}) for i in range(5)]
    connector.page_size = 2
    pages, cursor = read(connector)
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.cursor["kind"] for p in pages] == ["next", "next", "delta"]
    emu.store.update("account", ids[0], {"name": "A0 changed"})
    emu.store.delete("account", ids[1])
    pages, cursor = read(connector, cursor)
    assert [r.fields["name"] for p in pages for r in p.records] == ["A0 changed"]
    assert [d.id for p in pages for d in p.deletions] == [ids[1]]
    # the org forgets its tokens (retention, restore): nothing is lost, all is read again
    emu.store.expire_change_tracking()
    emu.store.update("account", ids[2], {"name": "A2 changed"})
    pages, cursor = read(connector, cursor)
    assert sorted(r.id for p in pages for r in p.records) == sorted(set(ids) - {ids[1]})
    assert cursor["kind"] == "delta"


@pytest.mark.parametrize("cursor", [
    {"v": 2, "kind": "delta", "link": "x"},
    {"v": 1, "kind": "delta", "link": "https://elsewhere.example/api/data/v9.2/accounts"},
    {"v": 1, "kind": "sideways"},
])
def test_a_cursor_that_cannot_be_trusted_means_a_full_read(connector, dataverse_sandbox,
                                                           cursor):
    dataverse_sandbox.store.insert("account", {"name": "A"})
    pages, _ = read(connector, cursor)
    assert sum(len(p.records) for p in pages) == 1


def test_a_mapping_that_needs_new_columns_does_not_reuse_an_old_link(connector,
                                                                     dataverse_sandbox):
    dataverse_sandbox.store.insert("account", {"name": "A", "address1_city": "Leeds"})
    _, cursor = read(connector)
    pages, _ = read(connector, cursor, FIELDS + ["address1_city"])
    assert [r.fields["address1_city"] for p in pages for r in p.records] == ["Leeds"]


def test_a_link_outside_the_org_is_never_followed(connector, dataverse_sandbox):
    dataverse_sandbox.faults.add_rule(FaultRule(rf"GET {API}/accounts", status=200, body={
        "value": [], "@odata.nextLink": "https://attacker.example/api/data/v9.2/accounts"}))
    with pytest.raises(ConfigError, match="points outside"):
        read(connector)
    assert not [c for c in dataverse_sandbox.calls.all() if "attacker" in c.path]


def test_write_results_per_record(connector, dataverse_sandbox):
    emu = dataverse_sandbox
    [made] = connector.write("account", KEY, [WriteOp(key="1", fields={"name": "One"})])
    assert made.created and made.version.startswith('W/"')
    gone = emu.store.insert("account", {"name": "Gone"})
    emu.store.delete("account", gone)
    results = connector.write("chub_supportcontract", KEY, [
        WriteOp(key="10", fields={"chub_name": "C-10", "_chub_accountid_value": made.remote_id}),
        WriteOp(key="11", fields={"chub_name": "C-11", "_chub_accountid_value": gone}),
    ])
    assert results[0].ok and not results[1].ok
    assert results[1].error.code == "0x80040217"  # the lookup's target, not this row
    row = emu.store.get("chub_supportcontract", results[0].remote_id)
    assert row["chub_accountid"] == made.remote_id
    deleted_meanwhile = connector.write("account", KEY, [
        WriteOp(key="2", fields={"name": "x"}, remote_id=gone, base_version='W/"1"'),
        WriteOp(key="3", fields={}, remote_id=gone, op="delete"),
        WriteOp(key="4", fields={"name": "y"}, remote_id="../accounts"),
    ])
    assert deleted_meanwhile[0].error.code == REMOTE_DELETED
    assert deleted_meanwhile[1].ok  # already gone counts as deleted
    assert deleted_meanwhile[2].error.code == "INVALID_ID"


def test_one_batch_call_per_write_and_a_throttled_batch_is_raised_whole(
        connector, dataverse_sandbox):
    emu = dataverse_sandbox
    ops = [WriteOp(key=f"O'Neil {i}", fields={"name": f"N{i}"}) for i in range(150)]
    results = connector.write("account", KEY, ops)
    assert all(r.ok and r.created for r in results)
    assert emu.calls.count(rf"POST {API}/\$batch") == 1
    assert emu.store.by_key("account", {KEY: "O'Neil 7"}) == results[7].remote_id
    emu.faults.add_rule(FaultRule(rf"POST {API}/\$batch", status=429, retry_after=3))
    with pytest.raises(RateLimited) as err:  # nothing ran: the engine retries the batch
        connector.write("account", KEY, ops[:2])
    assert err.value.retry_after == 3


def test_a_token_refused_even_after_a_fresh_one_stops_the_sync(connector, dataverse_sandbox):
    emu = dataverse_sandbox
    emu.faults.add_rule(FaultRule(rf"GET {API}/WhoAmI", status=401, body=""))
    with pytest.raises(StopSync, match="even with a fresh token"):
        connector.check()
    assert emu.calls.statuses(rf"GET {API}/WhoAmI") == [401, 401]
    assert emu.identity.calls.count(r"POST /.*/oauth2/v2.0/token") == 2


def test_a_page_link_refused_mid_read_is_retried_then_read_in_full(connector,
                                                                   dataverse_sandbox):
    emu = dataverse_sandbox
    for i in range(4):
        emu.store.insert("account", {"name": f"A{i}"})
    connector.page_size = 2
    pages = connector.read_changes("account", None, FIELDS)
    first = next(pages)
    emu.faults.add_rule(FaultRule(rf"GET {API}/accounts", status=400, times=2, body={
        "error": {"code": "0x80060888", "message": "The paging cookie has expired."}}))
    with pytest.raises(RetryLater, match="refused the next page"):
        next(pages)
    again, _ = read(connector, first.cursor)  # the engine's retry from the committed cursor
    assert len({r.id for p in again for r in p.records}) == 4
