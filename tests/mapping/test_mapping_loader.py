"""Loading: the good example, the model's helpers, the schema and the error format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from connectors.base import ConfigError
from core.mapping import (
    MappingError,
    Problem,
    check_mapping,
    load_mapping,
    load_mapping_text,
    mapping_schema,
    resolve_mapping,
    resolve_remote_name,
)
from core.mapping.validate import AmbiguousName

from .fakes import CONTRACT_FIELDS, CONTRACT_SPEC, LOCAL_FIELDS, REMOTE_SPECS

MINIMAL = """\
version: 1
connection: salesforce
remote_object: Contract
local_entity: contract
fields:
  - local: number
    remote: ContractNumber
    direction: in
"""


def test_good_example_loads_and_checks_clean(good_path: Path) -> None:
    mapping = load_mapping(good_path)
    assert mapping.name == "salesforce_contracts"
    assert (mapping.connection, mapping.remote_object, mapping.local_entity) == (
        "salesforce", "Contract", "contract")
    assert mapping.upsert_key == "ContractHub_Id__c"
    assert (mapping.match_local, mapping.match_remote) == ("number", "ContractNumber")
    assert (mapping.conflict_policy, mapping.deletes, mapping.version) == (
        "newest_wins", "flag", 1)
    assert check_mapping(mapping, CONTRACT_SPEC, CONTRACT_FIELDS) == []


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "good").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_good_example_checks_clean(path: Path) -> None:
    mapping = load_mapping(path)
    spec = REMOTE_SPECS[mapping.remote_object]
    assert check_mapping(mapping, spec, LOCAL_FIELDS[mapping.local_entity]) == []


def test_model_helpers(good_path: Path) -> None:
    mapping = load_mapping(good_path)
    inbound = {f.local for f in mapping.inbound_fields()}
    outbound = {f.remote for f in mapping.outbound_fields()}
    assert "number" in inbound and "coverage" not in inbound
    assert {"Description", "Source__c", "Coverage__c"} <= outbound
    assert "ContractNumber" not in outbound
    assert mapping.policy_for("status") == "remote_wins"
    assert mapping.policy_for("coverage") == "store_wins"
    assert mapping.policy_for("start_date") == "newest_wins"
    assert mapping.remote_fields()[:2] == ("ContractNumber", "Status")
    assert "Description" not in mapping.remote_fields()
    assert "ContractHub_Id__c" in mapping.remote_fields()
    status = mapping.fields[1]
    assert status.line == 17 and status.transforms[0].name == "enum"


def test_mapping_is_frozen_and_hashable(good_path: Path) -> None:
    mapping = load_mapping(good_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapping.name = "other"  # type: ignore[misc]
    assert hash(mapping) == hash(load_mapping(good_path))
    assert mapping == load_mapping(good_path)


def test_defaults_and_name_from_file_stem() -> None:
    mapping = load_mapping_text(MINIMAL, "mappings/sf_contracts.yaml")
    assert mapping.name == "sf_contracts"
    assert mapping.conflict_policy == "store_wins" and mapping.deletes == "flag"
    assert mapping.upsert_key is None and mapping.match_local is None
    assert mapping.fields[0].direction == "in"
    assert load_mapping_text(MINIMAL.replace("fields:", "fields:", 1)
                             .replace("  - local: number\n    remote: ContractNumber\n"
                                      "    direction: in\n",
                                      "  - local: number\n    remote: ContractNumber\n"),
                             "x.yaml").fields[0].direction == "both"


def test_problem_format_is_exact() -> None:
    problem = Problem("mappings/x.yaml", 12, 5, "fields[2].direction",
                      "'sideways' is not one of in, out, both", "use in, out or both")
    assert str(problem) == ("mappings/x.yaml:12:5: fields[2].direction: 'sideways' is not one "
                            "of in, out, both (use in, out or both)")
    assert str(dataclasses.replace(problem, hint="")).endswith("in, out, both")


def test_mapping_error_lists_every_problem_one_per_line() -> None:
    text = MINIMAL.replace("version: 1", "version: 3").replace("direction: in",
                                                               "direction: sideways")
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text, "mappings/x.yaml")
    lines = str(caught.value).splitlines()
    assert lines == [
        "mappings/x.yaml:1:10: version: unsupported version 3 (only version 1 exists: "
        "write 'version: 1')",
        "mappings/x.yaml:8:16: fields[0].direction: 'sideways' is not one of in, out, both "
        "(use in, out or both)",
    ]
    assert isinstance(caught.value, ConfigError)
    assert len(caught.value.problems) == 2


def test_yaml_keys_stay_text_and_unquoted_values_get_a_hint() -> None:
    text = MINIMAL + "    transform: {enum: {map: {on: On, off: no}}}\n"
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text, "m.yaml")
    on, problem = caught.value.problems
    assert on.field_path == "fields[0].transform.enum.map.on"
    assert problem.field_path == "fields[0].transform.enum.map.off"
    assert problem.message == "expected text, a whole number or nothing, got false"
    assert problem.hint == 'quote it if you mean the text: "no"'


def test_unreadable_file_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"missing\.yaml:1:1: \(file\): cannot read the file"):
        load_mapping(tmp_path / "missing.yaml")


def test_schema_is_valid_draft_2020_12_and_accepts_the_good_example(good_path: Path) -> None:
    import yaml

    schema = mapping_schema()
    Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(good_path.read_text())
    assert list(Draft202012Validator(schema).iter_errors(data)) == []
    schema["properties"].clear()
    assert mapping_schema()["properties"], "mapping_schema() must hand out a copy"


def test_remote_names_by_id_or_unique_label() -> None:
    assert resolve_remote_name("Status", CONTRACT_SPEC) == "Status"
    assert resolve_remote_name("Support Tier", CONTRACT_SPEC) == "Support_Tier__c"
    assert resolve_remote_name("Nope", CONTRACT_SPEC) is None
    with pytest.raises(AmbiguousName) as caught:
        resolve_remote_name("Tier", CONTRACT_SPEC)
    assert caught.value.candidates == ("customfield_10010", "customfield_10020")


def test_resolve_mapping_rewrites_labels_to_ids(good_path: Path) -> None:
    resolved = resolve_mapping(load_mapping(good_path), CONTRACT_SPEC)
    assert "Support_Tier__c" in resolved.remote_fields()
    assert "Support Tier" not in resolved.remote_fields()


def test_label_and_id_of_the_same_field_are_one_remote_target() -> None:
    text = MINIMAL.replace("    direction: in\n", "    direction: in\n"
                           "  - local: tier\n    remote: Support Tier\n"
                           "  - local: kind\n    remote: Support_Tier__c\n"
                           "    transform: {string: {}}\n")
    problems = check_mapping(load_mapping_text(text, "m.yaml"), CONTRACT_SPEC, CONTRACT_FIELDS)
    assert [str(p).split(" (")[0] for p in problems] == [
        "m.yaml:12:13: fields[2].remote: 'Support_Tier__c' is the same remote field as "
        "'Support Tier' in fields[1]"]
