"""Running a mapping over records: directions, None, absent fields, errors, purity."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.mapping import (
    FieldValueError,
    Mapping,
    load_mapping,
    load_mapping_text,
    resolve_mapping,
    to_local,
    to_remote,
)

from .fakes import CONTRACT_SPEC, FakeLinks


@pytest.fixture
def mapping(good_path: Path) -> Mapping:
    return resolve_mapping(load_mapping(good_path), CONTRACT_SPEC)


LOCAL = {
    "id": "3", "number": "C-0001", "kind": "support", "status": "active",
    "start_date": date(2024, 1, 1), "end_date": date(2024, 12, 31),
    "renewal_notice_days": 30, "auto_renew": True, "value": Decimal("12000.5"),
    "uptime_target": 0.999, "customer_id": 7, "tier": " Premium ", "coverage": "24x7",
}


def test_to_remote_writes_out_and_both_fields(mapping: Mapping, links: FakeLinks) -> None:
    remote = to_remote(mapping, LOCAL, links)
    assert remote == {
        "Status": "Activated", "StartDate": "2024-01-01", "EndDate": "2024-12-31",
        "OwnerExpirationNotice": 30, "Auto_Renew__c": True,
        "Contract_Value__c": Decimal("12000.50"), "Uptime_Target__c": 99.9,
        "AccountId": "001A000001", "Support_Tier__c": "Premium",
        "Description": "C-0001 - support ( Premium )", "Source__c": "contracthub",
        "Coverage__c": "24x7",
    }
    assert "ContractNumber" not in remote  # direction: in


def test_to_local_reads_in_and_both_fields(mapping: Mapping, links: FakeLinks) -> None:
    remote = {
        "Id": "800A000003", "ContractNumber": "00000107", "Status": "Expired",
        "StartDate": "2023-01-01", "EndDate": "2023-12-31", "OwnerExpirationNotice": 45,
        "Auto_Renew__c": False, "Contract_Value__c": 9.999, "Uptime_Target__c": 99.5,
        "AccountId": "001A000001", "Support_Tier__c": "Enterprise",
        "Description": "ignored", "Source__c": "ignored", "Coverage__c": "ignored",
    }
    assert to_local(mapping, remote, links) == {
        "number": "00000107", "status": "expired", "start_date": date(2023, 1, 1),
        "end_date": date(2023, 12, 31), "renewal_notice_days": 45, "auto_renew": False,
        "value": Decimal("10.00"), "uptime_target": 0.995, "customer_id": "7",
        "tier": "enterprise",
    }


def test_round_trip_through_both_fields(mapping: Mapping, links: FakeLinks) -> None:
    back = to_local(mapping, to_remote(mapping, LOCAL, links), links)
    assert back["status"] == LOCAL["status"]
    assert back["start_date"] == LOCAL["start_date"]
    assert back["uptime_target"] == LOCAL["uptime_target"]
    assert back["customer_id"] == str(LOCAL["customer_id"])


def test_none_passes_through_but_constant_and_template_still_apply(
        mapping: Mapping, links: FakeLinks) -> None:
    local = {"status": None, "start_date": None, "customer_id": None, "number": None,
             "kind": None, "tier": None}
    remote = to_remote(mapping, local, links)
    assert remote["Status"] is None and remote["StartDate"] is None
    assert remote["AccountId"] is None
    assert remote["Source__c"] == "contracthub"
    assert remote["Description"] == " -  ()"
    assert to_local(mapping, {"Status": None, "AccountId": None}, links) == {
        "status": None, "customer_id": None}


def test_enum_default_in_takes_unknown_remote_values(mapping: Mapping) -> None:
    # status has default_in: null, so an unmapped remote status reads as None.
    assert to_local(mapping, {"Status": "Terminated"}) == {"status": None}


def test_absent_fields_are_left_out(mapping: Mapping, links: FakeLinks) -> None:
    assert to_local(mapping, {"Status": "Draft"}, links) == {"status": "draft"}
    assert set(to_remote(mapping, {"status": "draft"}, links)) == {
        "Status", "Description", "Source__c"}


def test_unconvertible_value_names_field_and_value(mapping: Mapping, links: FakeLinks) -> None:
    with pytest.raises(FieldValueError) as caught:
        to_local(mapping, {"Support_Tier__c": "Platinum"}, links)
    err = caught.value
    assert (err.field, err.value) == ("tier", "Platinum")
    assert str(err) == ("tier: cannot convert 'Platinum': unknown value 'Platinum' (allowed: "
                        "'Basic', 'Standard', 'Premium', 'Enterprise')")
    with pytest.raises(FieldValueError, match="start_date: cannot convert '01/02/2024'"):
        to_local(mapping, {"StartDate": "01/02/2024"}, links)
    with pytest.raises(FieldValueError, match="customer_id: cannot convert 99: customer 99"):
        to_remote(mapping, {"customer_id": 99}, links)


def test_field_value_error_is_a_skip_record_for_the_engine() -> None:
    from connectors.base import SkipRecord
    assert issubclass(FieldValueError, SkipRecord)


def test_apply_does_not_mutate_inputs(mapping: Mapping, links: FakeLinks) -> None:
    local = copy.deepcopy(LOCAL)
    remote = to_remote(mapping, local, links)
    assert local == LOCAL
    snapshot = copy.deepcopy(remote)
    to_local(mapping, remote, links)
    assert remote == snapshot


def test_chain_applies_in_order_outbound_and_reversed_inbound() -> None:
    text = """
version: 1
connection: jira
remote_object: Issue
local_entity: ticket
fields:
  - local: summary
    remote: summary
    transform: [{string: {trim: true}}, {string: {case: upper, truncate: 5}}]
"""
    mapping = load_mapping_text(text, "mappings/jira_tickets.yaml")
    assert to_remote(mapping, {"summary": "  server down  "}) == {"summary": "SERVE"}
    assert to_local(mapping, {"summary": " server down "}) == {"summary": "SERVER DOWN"}
