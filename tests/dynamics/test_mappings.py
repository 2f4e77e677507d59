"""The shipped Dynamics mappings check clean against the org's metadata and say the same as
the Salesforce ones (same local fields, directions, policies)."""

from __future__ import annotations

import pytest

from core.mapping import check_mapping, load_mapping, to_local, to_remote
from core.models import CONTRACT_STATUSES
from core.sync.local import LOCAL_FIELDS
from tests.dynamics.conftest import MAPPINGS

PAIRS = [("dynamics_accounts", "salesforce_accounts"),
         ("dynamics_contracts", "salesforce_contracts")]


@pytest.mark.parametrize("name", ["dynamics_accounts", "dynamics_contracts"])
def test_shipped_mapping_checks_clean_against_the_metadata(connector, name):
    mapping = load_mapping(MAPPINGS / f"{name}.yaml")
    assert mapping.connection == "dynamics" and mapping.upsert_key == "chub_contracthubid"
    spec = connector.describe(mapping.remote_object)
    assert check_mapping(mapping, spec, LOCAL_FIELDS[mapping.local_entity]) == []
    assert spec.field(mapping.upsert_key).external_id
    for f in mapping.outbound_fields():  # never writes what Dataverse computes itself
        assert spec.field(f.remote).writable, f.remote


@pytest.mark.parametrize("dynamics, salesforce", PAIRS)
def test_each_dynamics_mapping_matches_its_salesforce_twin(dynamics, salesforce):
    dyn, sf = (load_mapping(MAPPINGS / f"{n}.yaml") for n in (dynamics, salesforce))
    assert (dyn.local_entity, dyn.conflict_policy, dyn.deletes) == (
        sf.local_entity, sf.conflict_policy, sf.deletes)

    def local_directions(m):
        return {(f.local, f.direction, m.policy_for(f.local)) for f in m.fields if f.local}
    # Salesforce also writes its standard Status picklist; the rest is the same
    assert local_directions(dyn) == local_directions(sf) - {("status", "out", "newest_wins")}


def test_every_local_status_has_a_choice_value_and_comes_back(connector):
    mapping = load_mapping(MAPPINGS / "dynamics_contracts.yaml")
    choices = connector.describe("chub_supportcontract").field("chub_contractstatus").choices
    for status in CONTRACT_STATUSES:
        value = to_remote(mapping, {"status": status})["chub_contractstatus"]
        assert str(value) in choices
        assert to_local(mapping, {"chub_contractstatus": value})["status"] == status
