"""The shipped Salesforce mappings check clean against the emulator's describe."""

from __future__ import annotations

import pytest

from core.mapping import check_mapping, load_mapping, to_local, to_remote
from core.sync.local import LOCAL_FIELDS
from tests.salesforce.conftest import MAPPINGS


@pytest.mark.parametrize("name", ["salesforce_accounts", "salesforce_contracts"])
def test_shipped_mapping_checks_clean_against_the_describe(connector, name):
    mapping = load_mapping(MAPPINGS / f"{name}.yaml")
    assert mapping.connection == "salesforce" and mapping.upsert_key == "ContractHub_Id__c"
    spec = connector.describe(mapping.remote_object)
    assert check_mapping(mapping, spec, LOCAL_FIELDS[mapping.local_entity]) == []
    for f in mapping.outbound_fields():  # never writes what Salesforce computes itself
        assert spec.field(f.remote).writable, f.remote


def test_contract_number_is_never_pulled_over_the_hubs_number():
    mapping = load_mapping(MAPPINGS / "salesforce_contracts.yaml")
    assert "ContractNumber" not in mapping.remote_fields()
    assert "number" not in to_local(mapping, {"ContractNumber": "00000100", "Status": "Draft"})


def test_every_local_status_has_a_picklist_value_and_status_is_not_pulled(connector):
    mapping = load_mapping(MAPPINGS / "salesforce_contracts.yaml")
    choices = connector.describe("Contract").field("Status").choices
    from core.models import CONTRACT_STATUSES

    for status in CONTRACT_STATUSES:
        assert to_remote(mapping, {"status": status})["Status"] in choices
    assert "status" not in to_local(mapping, {"Status": "Activated"})
