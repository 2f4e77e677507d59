"""Writes against the Salesforce emulator: upsert status codes, sObject
Collections, per-record validation, and the replication resources."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from core.clock import FakeClock
from sandbox.fixtures import salesforce_client_for, sandbox_requests_session
from sandbox.salesforce import SalesforceEmulator

V = "60.0"


def rec(type_name: str, **fields: object) -> dict[str, object]:
    return {"attributes": {"type": type_name}, **fields}


# upsert by external id ------------------------------------------------------
def test_upsert_codes_201_then_200(salesforce_client: Salesforce,
                                   salesforce_sandbox: SalesforceEmulator) -> None:
    path = f"sobjects/Account/ContractHub_Id__c/{quote('CH/1', safe='')}"
    created = salesforce_client.restful(path, method="PATCH", json={"Name": "Acme"})
    assert created["success"] is True and created["created"] is True
    raw = salesforce_client.Account.upsert(f"ContractHub_Id__c/{quote('CH/1', safe='')}",
                                           {"Name": "Acme 2"}, raw_response=True)
    assert raw.status_code == 200
    assert raw.json() == {"id": created["id"], "success": True, "errors": [], "created": False}
    stored = salesforce_sandbox.store.get("Account", created["id"])
    assert (stored["Name"], stored["ContractHub_Id__c"]) == ("Acme 2", "CH/1")
    # external ids match case-insensitively
    assert salesforce_client.Account.upsert("ContractHub_Id__c/ch%2F1", {"Name": "x"}) == 200


def test_upsert_update_before_api_46_is_204(salesforce_sandbox: SalesforceEmulator) -> None:
    old = salesforce_client_for(salesforce_sandbox, version="45.0")
    assert old.Account.upsert("ContractHub_Id__c/A", {"Name": "Acme"}) == 201
    assert old.Account.upsert("ContractHub_Id__c/A", {"Name": "Acme"}) == 204


def test_upsert_300_when_several_match(salesforce_client: Salesforce,
                                       salesforce_sandbox: SalesforceEmulator) -> None:
    account = salesforce_sandbox.store.insert("Account", {"Name": "Acme"})
    twins = [salesforce_sandbox.store.insert("Contract", {"AccountId": account,
                                                          "ContractHub_Id__c": "K-7"})
             for _ in range(2)]
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        salesforce_client.Contract.upsert("ContractHub_Id__c/K-7", {"Description": "x"})
    assert caught.value.status == 300
    assert caught.value.content == [f"/services/data/v{V}/sobjects/Contract/{i}" for i in twins]
    with pytest.raises(SalesforceMoreThanOneRecord):
        salesforce_client.Contract.get_by_custom_id("ContractHub_Id__c", "K-7")


def test_upsert_update_only_404_when_nothing_matches(salesforce_client: Salesforce,
                                                     salesforce_sandbox: SalesforceEmulator
                                                     ) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        salesforce_client.Account.upsert("ContractHub_Id__c/NOPE?updateOnly=true",
                                         {"Name": "Acme"})
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"
    assert salesforce_sandbox.store.all("Account") == []


def test_upsert_on_a_field_that_is_not_an_external_id(salesforce_client: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        salesforce_client.Account.upsert("Name/Acme", {"Industry": "Retail"})
    assert "Provided external ID field does not exist" in caught.value.content[0]["message"]


# per-record validation -----------------------------------------------------------
@pytest.mark.parametrize("body, code, fields", [
    ({"Industry": "Retail"}, "REQUIRED_FIELD_MISSING", ["Name"]),
    ({"Name": "A", "CreatedDate": "2026-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
     ["CreatedDate"]),
    ({"Name": "A" * 256}, "STRING_TOO_LONG", ["Name"]),
    ({"Name": "A", "OwnerId": "bogus"}, "MALFORMED_ID", ["OwnerId"]),
])
def test_create_validation_errors(salesforce_client: Salesforce, body: dict, code: str,
                                  fields: list[str]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.create(body)
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == code
    assert caught.value.content[0]["fields"] == fields


@pytest.mark.parametrize("body, code", [
    ({"Name": "A", "Nope__c": 1}, "INVALID_FIELD"),
    ({"Name": "A", "Renewal_Date__c": "next tuesday"}, "JSON_PARSER_ERROR"),
    ({"Name": {"nested": True}}, "JSON_PARSER_ERROR"),
])
def test_unreadable_bodies_fail_the_request(salesforce_client: Salesforce, body: dict,
                                            code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.create(body)
    assert caught.value.content[0]["errorCode"] == code


def test_contract_rules(salesforce_client: Salesforce,
                        salesforce_sandbox: SalesforceEmulator) -> None:
    account = salesforce_client.Account.create({"Name": "Acme"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Contract.create({"AccountId": account, "Status": "Signed"})
    assert caught.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Contract.create({"AccountId": account, "ContractNumber": "X"})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    salesforce_client.Account.delete(account)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Contract.create({"AccountId": account})
    assert caught.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_unique_external_id_is_enforced(salesforce_client: Salesforce) -> None:
    salesforce_client.Account.create({"Name": "A", "ContractHub_Id__c": "U-1"})
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.create({"Name": "B", "ContractHub_Id__c": "u-1"})
    assert caught.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_rejection_hook(salesforce_client: Salesforce,
                        salesforce_sandbox: SalesforceEmulator) -> None:
    salesforce_sandbox.reject_when_name_contains("REJECT")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.create({"Name": "please REJECT me"})
    assert caught.value.content[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    account = salesforce_client.Account.create({"Name": "fine"})["id"]
    with pytest.raises(SalesforceMalformedRequest):
        salesforce_client.Account.update(account, {"Name": "now REJECT"})
    salesforce_sandbox.reject_records(None)
    assert salesforce_client.Account.update(account, {"Name": "now REJECT"}) == 204


# sObject Collections ---------------------------------------------------------------
def test_collection_create_with_one_failing_record(salesforce_client: Salesforce,
                                                   salesforce_sandbox: SalesforceEmulator
                                                   ) -> None:
    salesforce_sandbox.reject_when_name_contains("REJECT")
    results = salesforce_client.restful("composite/sobjects", method="POST", json={
        "allOrNone": False,
        "records": [rec("Account", Name="one"), rec("Account", Name="REJECT two"),
                    rec("Account", Industry="Retail"), rec("Account", Name="four")]})
    assert [r["success"] for r in results] == [True, False, False, True]
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "Records whose name contains REJECT are refused", "fields": []}]}
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[2]["errors"][0]["fields"] == ["Name"]
    assert [a["Name"] for a in salesforce_sandbox.store.all("Account")] == ["one", "four"]
    assert salesforce_sandbox.api_usage == 1


def test_collection_all_or_none_rolls_back(salesforce_client: Salesforce,
                                           salesforce_sandbox: SalesforceEmulator) -> None:
    salesforce_sandbox.reject_when_name_contains("REJECT")
    results = salesforce_client.restful("composite/sobjects", method="POST", json={
        "allOrNone": True,
        "records": [rec("Account", Name="one"), rec("Account", Name="REJECT"),
                    rec("Account", Name="three")]})
    assert [r["success"] for r in results] == [False, False, False]
    assert results[1]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    for index in (0, 2):
        assert results[index]["errors"] == [{
            "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "message": "Record rolled back because not all records were valid and the "
                       "request was using AllOrNone header", "fields": []}]
        assert "id" not in results[index]
    assert salesforce_sandbox.store.all("Account") == []


def test_collection_update_and_delete(salesforce_client: Salesforce,
                                      salesforce_sandbox: SalesforceEmulator) -> None:
    ids = [salesforce_sandbox.store.insert("Account", {"Name": n}) for n in ("a", "b")]
    results = salesforce_client.restful("composite/sobjects", method="PATCH", json={
        "records": [rec("Account", id=ids[0], Support_Tier__c="Gold"),
                    rec("Account", Support_Tier__c="Silver"),
                    rec("Account", id=ids[1], Name="")]})
    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert results[2]["id"] == ids[1]
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    deleted = salesforce_client.restful(
        "composite/sobjects", method="DELETE",
        params={"ids": f"{ids[0]},{ids[0]},bogus", "allOrNone": "false"})
    assert [d["success"] for d in deleted] == [True, False, False]
    assert deleted[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"


def test_collection_upsert(salesforce_client: Salesforce,
                           salesforce_sandbox: SalesforceEmulator) -> None:
    existing = salesforce_sandbox.store.insert("Account", {"Name": "old",
                                                           "ContractHub_Id__c": "E-1"})
    results = salesforce_client.restful(
        "composite/sobjects/Account/ContractHub_Id__c", method="PATCH", json={
            "allOrNone": False,
            "records": [rec("Account", ContractHub_Id__c="E-1", Name="renamed"),
                        rec("Account", ContractHub_Id__c="N-1", Name="new"),
                        rec("Account", ContractHub_Id__c="D-1", Name="dup a"),
                        rec("Account", ContractHub_Id__c="d-1", Name="dup b"),
                        rec("Account", Name="no key")]})
    assert results[0] == {"id": existing, "success": True, "errors": [], "created": False}
    assert results[1]["created"] is True and results[1]["success"] is True
    assert results[2]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert results[3]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert results[4]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    names = sorted(a["Name"] for a in salesforce_sandbox.store.all("Account"))
    assert names == ["new", "renamed"]


def test_collection_upsert_with_several_matches(salesforce_client: Salesforce,
                                                salesforce_sandbox: SalesforceEmulator) -> None:
    account = salesforce_sandbox.store.insert("Account", {"Name": "Acme"})
    for _ in range(2):
        salesforce_sandbox.store.insert("Contract", {"AccountId": account,
                                                     "ContractHub_Id__c": "T"})
    results = salesforce_client.restful(
        "composite/sobjects/Contract/ContractHub_Id__c", method="PATCH",
        json={"records": [rec("Contract", ContractHub_Id__c="T", Description="x")]})
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"


def test_collection_request_errors(salesforce_client: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.restful("composite/sobjects", method="POST", json={
            "records": [rec("Account", Name=str(i)) for i in range(201)]})
    assert caught.value.content == [{
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT"}]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.restful("composite/sobjects", method="POST", json={
            "records": [rec("Account", Name="ok"), rec("Account", Bogus__c="x")]})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.restful("composite/sobjects", method="POST",
                                  json={"records": [{"Name": "no attributes"}]})
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_two_hundred_records_is_one_call(salesforce_client: Salesforce,
                                         salesforce_sandbox: SalesforceEmulator) -> None:
    results = salesforce_client.restful("composite/sobjects", method="POST", json={
        "records": [rec("Account", Name=f"A{i}") for i in range(200)]})
    assert all(r["success"] for r in results) and len(results) == 200
    assert salesforce_sandbox.api_usage == 1


# replication --------------------------------------------------------------------------
def test_get_updated_and_deleted(salesforce_client: Salesforce,
                                 salesforce_sandbox: SalesforceEmulator,
                                 sandbox_clock: FakeClock) -> None:
    start = sandbox_clock.now()
    kept = salesforce_client.Account.create({"Name": "kept"})["id"]
    gone = salesforce_client.Account.create({"Name": "gone"})["id"]
    sandbox_clock.advance(timedelta(minutes=5))
    salesforce_client.Account.delete(gone)
    sandbox_clock.advance(timedelta(minutes=5))
    updated = salesforce_client.Account.updated(start, sandbox_clock.now())
    assert updated["ids"] == [kept]
    assert updated["latestDateCovered"] == \
        sandbox_clock.now().strftime("%Y-%m-%dT%H:%M:00.000+0000")
    deleted = salesforce_client.Account.deleted(start, sandbox_clock.now())
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]
    assert deleted["deletedRecords"][0]["deletedDate"] == \
        (start + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert set(deleted) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}


def test_get_deleted_window_is_15_days(salesforce_client: Salesforce,
                                       sandbox_clock: FakeClock) -> None:
    now = sandbox_clock.now()
    ok = salesforce_client.Account.deleted(now - timedelta(days=14), now)
    assert ok["deletedRecords"] == []
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.deleted(now - timedelta(days=16), now)
    assert caught.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    assert salesforce_client.Account.updated(now - timedelta(days=29), now)["ids"] == []
    with pytest.raises(SalesforceMalformedRequest):
        salesforce_client.Account.updated(now - timedelta(days=31), now)


def test_purged_recycle_bin_moves_the_deleted_window(salesforce_client: Salesforce,
                                                     salesforce_sandbox: SalesforceEmulator,
                                                     sandbox_clock: FakeClock) -> None:
    start = sandbox_clock.now() - timedelta(hours=1)
    account = salesforce_client.Account.create({"Name": "x"})["id"]
    salesforce_client.Account.delete(account)
    sandbox_clock.advance(timedelta(minutes=2))
    salesforce_sandbox.store.purge_recycle_bin()
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.Account.deleted(start, sandbox_clock.now())
    assert caught.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    everything = salesforce_client.query_all("SELECT Id FROM Account", include_deleted=True)
    assert everything["totalSize"] == 0


def test_naive_replication_dates_are_refused(salesforce_sandbox: SalesforceEmulator) -> None:
    session = sandbox_requests_session(salesforce_sandbox.ca_bundle)
    session.headers["Authorization"] = "Bearer " + salesforce_sandbox.issue_access_token()
    answer = session.get(salesforce_sandbox.data_url() + "sobjects/Account/updated/",
                         params={"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00"})
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_version_list_needs_no_token(salesforce_sandbox: SalesforceEmulator) -> None:
    session = sandbox_requests_session(salesforce_sandbox.ca_bundle)
    versions = session.get(salesforce_sandbox.base_url + "/services/data/").json()
    assert {"label": "API v60.0", "url": "/services/data/v60.0", "version": "60.0"} in versions
