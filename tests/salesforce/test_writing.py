"""Writing through sObject Collections against the emulator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.base import ConfigError, WriteOp
from tests.salesforce.conftest import DATA

KEY = "ContractHub_Id__c"


def test_new_records_are_upserted_200_a_call_and_replays_never_duplicate(connector,
                                                                         salesforce_sandbox):
    emu = salesforce_sandbox
    ops = [WriteOp(key=str(i), fields={"Name": f"Acme {i}"}) for i in range(1, 201)]
    first = connector.write("Account", KEY, ops)
    assert all(r.ok and r.created for r in first)
    assert emu.calls.count(f"PATCH {DATA}/composite/sobjects/Account/{KEY}") == 1
    again = connector.write("Account", KEY, ops)  # a crash before the commit: replayed
    assert [r.remote_id for r in again] == [r.remote_id for r in first]
    assert not any(r.created for r in again) and len(emu.store.all("Account")) == 200
    assert all(r.version.startswith("written@") for r in first + again)
    assert len({r.version for r in first + again}) == 400  # never equal to a read version
    with pytest.raises(ValueError):
        connector.write("Account", KEY, ops + [WriteOp(key="201", fields={"Name": "x"})])


def test_linked_records_are_updated_by_id_and_get_the_key(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    paired = emu.store.insert("Account", {"Name": "Paired By Name"})  # no key yet
    [result] = connector.write("Account", KEY, [WriteOp(key="7", remote_id=paired,
                                                        fields={"BillingCity": "York"})])
    assert result.ok and not result.created and result.remote_id == paired
    assert len(emu.store.all("Account")) == 1  # no twin
    assert emu.store.get("Account", paired)[KEY] == "7"
    assert emu.calls.count(f"PATCH {DATA}/composite/sobjects") == 1


def test_one_mixed_batch_costs_one_call_per_kind(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    linked = emu.store.insert("Account", {"Name": "Linked", KEY: "1"})
    doomed = emu.store.insert("Account", {"Name": "Doomed", KEY: "2"})
    gone = emu.store.insert("Account", {"Name": "Gone", KEY: "3"})
    emu.store.delete("Account", gone)
    results = connector.write("Account", KEY, [
        WriteOp(key="4", fields={"Name": "New"}),
        WriteOp(key="1", remote_id=linked, fields={"Name": "Linked 2"}),
        WriteOp(key="2", remote_id=doomed, fields={}, op="delete"),
        WriteOp(key="3", remote_id=gone, fields={}, op="delete"),  # already gone: fine
    ])
    assert [r.ok for r in results] == [True] * 4
    assert [r.created for r in results] == [True, False, False, False]
    assert sorted(a["Name"] for a in emu.store.all("Account")) == ["Linked 2", "New"]
    assert connector.calls.counts["write"] == 2 and connector.calls.counts["delete"] == 1


def test_several_records_on_one_key_are_a_multiple_match_with_candidates(connector,
                                                                         salesforce_sandbox):
    emu = salesforce_sandbox
    account = emu.store.insert("Account", {"Name": "Acme"})
    twins = sorted(emu.store.insert("Contract", {"AccountId": account, KEY: "42"})
                   for _ in range(2))
    [ok, twin] = connector.write("Contract", KEY, [
        WriteOp(key="41", fields={"AccountId": account}),
        WriteOp(key="42", fields={"AccountId": account, "Description": "x"})])
    assert ok.ok and not twin.ok
    assert twin.error.code == "MULTIPLE_MATCHES"
    assert sorted(twin.error.candidates) == twins
    assert len(emu.store.all("Contract")) == 3  # never guessed, never created a third


def test_per_record_failures_and_values_as_salesforce_reads_them(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    account = emu.store.insert("Account", {"Name": "Acme"})
    results = connector.write("Contract", KEY, [
        WriteOp(key="1", fields={"AccountId": account, "StartDate": date(2026, 1, 1),
                                 "ContractTerm": Decimal("12"), "Renewal_Date__c": "2026-12-31"}),
        WriteOp(key="2", fields={"AccountId": account, "Status": "Exploded"}),
        WriteOp(key="3", fields={"AccountId": "001000000000000AAA"}),
    ])
    assert results[0].ok
    stored = emu.store.get("Contract", results[0].remote_id)
    assert stored["EndDate"] == date(2026, 12, 31) and stored["ContractTerm"] == 12
    assert results[1].error.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[1].error.fields == ("Status",)
    assert results[2].error.code in ("INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID")


def test_a_value_that_breaks_the_whole_request_is_isolated_by_halving(connector,
                                                                      salesforce_sandbox):
    emu = salesforce_sandbox
    account = emu.store.insert("Account", {"Name": "Acme"})
    ops = [WriteOp(key=str(i), fields={"AccountId": account, "StartDate": "2026-01-01"})
           for i in range(8)]
    ops[5] = WriteOp(key="5", fields={"AccountId": account, "StartDate": "next tuesday"})
    results = connector.write("Contract", KEY, ops)
    assert [r.ok for r in results] == [True] * 5 + [False] + [True] * 2
    assert results[5].error.code == "JSON_PARSER_ERROR"
    assert len(emu.store.all("Contract")) == 7
    # 1 whole + 2 halves + 2 quarters + 2 eighths: the good records are written once
    assert connector.calls.counts["write"] == 7


def test_describe_maps_types_and_refuses_unknown_objects(connector):
    spec = connector.describe("Contract")
    assert spec.field("Status").type == "enum"
    assert spec.field("Status").choices == ("Draft", "In Approval Process", "Activated")
    assert spec.field("ContractNumber").writable is False
    assert spec.field("EndDate").writable is False and spec.field("EndDate").type == "date"
    assert spec.field("ContractTerm").type == "integer"
    assert spec.field("Description").type == "text"
    assert spec.field("AccountId").type == "reference"
    assert spec.field(KEY).external_id and spec.field(KEY).label == "ContractHub Id"
    assert connector.describe("Contract") is spec  # described once per connection
    with pytest.raises(ConfigError, match="no object 'Widget'"):
        connector.describe("Widget")
