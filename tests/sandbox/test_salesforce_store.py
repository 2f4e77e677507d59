"""The emulator's store, schema config and ids, without HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from core.clock import FakeClock
from sandbox.fixtures import salesforce_client_for
from sandbox.salesforce import SalesforceEmulator, ids
from sandbox.salesforce.schema import build_schema
from sandbox.salesforce.store import Store


def test_ids_are_18_characters_with_a_valid_checksum() -> None:
    made = [ids.make_id("001", n) for n in (1, 35, 36, 10**6)]
    assert all(len(i) == 18 and ids.is_valid(i) for i in made)
    assert made == sorted(made) == sorted(made, key=str.lower)
    assert ids.to18(made[0][:15]) == made[0]
    assert not ids.is_valid(made[0][:15] + "AAA")
    assert not ids.is_valid("short")


def test_seeding_honours_system_fields_and_shared_modstamps() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    store = Store(clock=clock)
    a = store.insert("Account", {"Name": "a"})
    b = store.insert("Account", {"Name": "b"})
    assert store.get("Account", a)["SystemModstamp"] == store.get("Account", b)["SystemModstamp"]
    c = store.insert("Account", {"Name": "c", "SystemModstamp": "2025-12-31T23:59:59.123Z"})
    assert store.get("Account", c)["SystemModstamp"] == datetime(
        2025, 12, 31, 23, 59, 59, 123000, tzinfo=UTC)
    clock.advance(60)
    store.update("Account", a, {"Industry": "Retail"})
    assert store.get("Account", a)["SystemModstamp"] == clock.now()
    with pytest.raises(KeyError):
        store.insert("Account", {"Name": "d", "Nope__c": 1})


def test_delete_keeps_the_record_in_the_recycle_bin() -> None:
    store = Store(clock=FakeClock())
    record_id = store.insert("Account", {"Name": "a"})
    store.delete("Account", record_id)
    assert store.get("Account", record_id) is None
    assert store.get("Account", record_id, include_deleted=True)["IsDeleted"] is True
    assert store.all("Account") == []
    assert len(store.all("Account", include_deleted=True)) == 1
    assert store.purge_recycle_bin() == 1
    assert store.all("Account", include_deleted=True) == []


def test_transaction_undoes_creates_updates_deletes_and_counters() -> None:
    store = Store(clock=FakeClock())
    keep = store.insert("Account", {"Name": "keep"})
    gone = store.insert("Account", {"Name": "gone"})
    before = store.all("Account", include_deleted=True)
    with pytest.raises(RuntimeError), store.transaction():
        store.insert("Account", {"Name": "new"})
        store.update("Account", keep, {"Name": "changed"})
        store.delete("Account", gone)
        store.purge_recycle_bin()
        raise RuntimeError("roll back")
    assert store.all("Account", include_deleted=True) == before
    assert store.insert("Account", {"Name": "next"}) == ids.make_id("001", 3)


def test_contract_end_date_is_calculated() -> None:
    store = Store(clock=FakeClock())
    account = store.insert("Account", {"Name": "a"})
    contract = store.insert("Contract", {"AccountId": account, "StartDate": date(2026, 1, 31),
                                         "ContractTerm": 1})
    assert store.get("Contract", contract)["EndDate"] == date(2026, 2, 27)
    store.update("Contract", contract, {"ContractTerm": None})
    assert store.get("Contract", contract)["EndDate"] is None


def test_custom_fields_config() -> None:
    schema = build_schema({"Account": [
        {"name": "Region__c", "type": "picklist", "picklistValues": ["EMEA", "APAC"],
         "restricted": True},
        {"name": "Ext__c", "type": "string", "externalId": True, "unique": True,
         "required": True}]})
    account = schema["Account"]
    assert account.field("region__c").picklist == ("EMEA", "APAC")
    assert account.field("Ext__c").required
    assert account.field("ContractHub_Id__c") is None  # an explicit config replaces defaults
    with pytest.raises(ValueError, match="__c"):
        build_schema({"Account": [{"name": "NoSuffix", "type": "string"}]})
    with pytest.raises(ValueError, match="unknown object"):
        build_schema({"Lead": []})


def test_custom_fields_reach_describe_and_validation(sandbox_clock: FakeClock) -> None:
    config = {"Account": [{"name": "Region__c", "type": "picklist", "restricted": True,
                           "picklistValues": ["EMEA", "APAC"]}]}
    with SalesforceEmulator(clock=sandbox_clock, custom_fields=config) as emu:
        sf = salesforce_client_for(emu)
        names = [f["name"] for f in sf.Account.describe()["fields"]]
        assert names[-1] == "Region__c"
        results = sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "a", "Region__c": "EMEA"},
            {"attributes": {"type": "Account"}, "Name": "b", "Region__c": "Mars"}]})
        assert [r["success"] for r in results] == [True, False]
        assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_concurrent_requests_are_served_one_at_a_time(
        salesforce_sandbox: SalesforceEmulator) -> None:
    sf = salesforce_client_for(salesforce_sandbox)

    def create(n: int) -> str:
        return str(sf.Account.create({"Name": f"A{n}"})["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(create, range(40)))
    assert len(set(made)) == 40
    assert len(salesforce_sandbox.store.all("Account")) == 40
    assert salesforce_sandbox.api_usage == 40
