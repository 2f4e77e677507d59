"""``contracthub mappings schema|validate`` and a sync that refuses a broken mapping."""

from __future__ import annotations

import json

from tests.cli.conftest import CONFIG, EXAMPLE_MAPPING, ROOT, run

GOOD = EXAMPLE_MAPPING.read_text()


def test_schema_prints_the_json_schema(tmp_path):
    r = run(tmp_path, "mappings", "schema")
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"version", "connection", "fields"} <= set(schema["required"])


def test_shipped_example_validates_from_the_repo_root():
    r = run(ROOT, "--config", "examples/memory/contracthub.yaml", "mappings", "validate")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("mappings/example_accounts.yaml: ok (checked against Account "
                                "on connection 'memory')")


def test_validate_a_good_file_without_its_connection_says_what_was_skipped(tmp_path):
    (tmp_path / "m.yaml").write_text(GOOD)
    r = run(tmp_path, "mappings", "validate", "m.yaml")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("m.yaml: ok (meaning checks skipped: connection 'memory' is not "
                                "configured in contracthub.yaml (configured: none))")


def test_validate_reports_every_problem_with_file_line_column(tmp_path):
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    (tmp_path / "accounts.yaml").write_text(GOOD)
    (tmp_path / "schema_bad.yaml").write_text(
        GOOD.replace("direction: in}", "direction: inn}").replace("deletes: flag", "deletes: nuke"))
    (tmp_path / "structure_bad.yaml").write_text(
        GOOD.replace("{local: owner, remote: OwnerName, direction: in}",
                     "{local: owner, remote: Name, direction: out}"))
    (tmp_path / "meaning_bad.yaml").write_text(
        GOOD.replace("remote: BillingCountry}", "remote: BillingCountri}")
            .replace("upsert_key: ContractHub_Id__c", "upsert_key: Name")
            .replace("{local: owner, remote: OwnerName, direction: in}",
                     "{local: owner, remote: OwnerName, direction: in, "
                     "transform: {lookup: {entity: customer}}}"))
    r = run(tmp_path, "mappings", "validate", "accounts.yaml", "schema_bad.yaml",
            "structure_bad.yaml", "meaning_bad.yaml")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "accounts.yaml: ok (checked against Account on connection 'memory')"]
    assert r.stderr.splitlines() == [
        "schema_bad.yaml:11:10: deletes: 'nuke' is not one of ignore, flag, propagate "
        "(use ignore, flag or propagate)",
        "schema_bad.yaml:19:50: fields[4].direction: 'inn' is not one of in, out, both "
        "(did you mean 'in'?)",
        "structure_bad.yaml:19:28: fields[4].remote: remote field 'Name' is already written by "
        "fields[0] (write each remote field from one mapping entry; make the other "
        "direction: in)",
        "meaning_bad.yaml:8:13: upsert_key: 'Name' is not an external-id field on Account "
        "(use one of ContractHub_Id__c)",
        "meaning_bad.yaml:13:27: fields[0].remote: 'Name' is the upsert key; the engine writes "
        "the store's id there (remove this field, or make it direction: in)",
        "meaning_bad.yaml:18:38: fields[3].remote: remote field 'BillingCountri' not found on "
        "Account (did you mean 'BillingCountry'?)",
        "meaning_bad.yaml:19:66: fields[4].transform.lookup: lookup transform does not fit "
        "local field 'owner' (string); it needs reference (lookup maps reference fields)",
        "meaning_bad.yaml:19:66: fields[4].transform.lookup: lookup transform does not fit "
        "remote field 'OwnerName' (string); it needs id or reference (map another remote field)",
        "error: 8 problem(s) in 4 mapping file(s)"]


def test_validate_checks_the_configured_syncs_by_default(tmp_path):
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    (tmp_path / "accounts.yaml").write_text(GOOD.replace("connection: memory ", "connection: crm "))
    r = run(tmp_path, "mappings", "validate")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "accounts.yaml:5:13: connection: connection is 'crm' but the sync using this file in "
        "contracthub.yaml uses 'memory' (use connection: memory)",
        "error: 1 problem(s) in 1 mapping file(s)"]


def test_an_unknown_remote_object_is_a_located_problem(tmp_path):
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    (tmp_path / "accounts.yaml").write_text(GOOD.replace("remote_object: Account",
                                                         "remote_object: Acount"))
    r = run(tmp_path, "mappings", "validate", "accounts.yaml")
    assert r.returncode == 1
    line = r.stderr.splitlines()[0]
    assert line.startswith("accounts.yaml:6:16: remote_object: memory: no object 'Acount' "
                           "(known: Account, ")
    assert line.endswith(") (check connection 'memory' and the remote object name)")


def test_validate_without_syncs_or_files_is_a_user_error(tmp_path):
    r = run(tmp_path, "mappings", "validate")
    assert r.returncode == 1
    assert r.stderr.strip() == ("error: contracthub.yaml: no syncs configured; name the mapping "
                                "files to check")


def test_sync_refuses_a_broken_mapping_listing_every_problem(tmp_path):
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    (tmp_path / "accounts.yaml").write_text(
        GOOD.replace("remote: BillingCountry}", "remote: BillingCountri}")
            .replace("remote: Domain__c", "remote: Domain"))
    r = run(tmp_path, "sync")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        "accounts.yaml:15:13: fields[1].remote: remote field 'Domain' not found on Account "
        "(did you mean 'Domain__c'?)",
        "accounts.yaml:18:38: fields[3].remote: remote field 'BillingCountri' not found on "
        "Account (did you mean 'BillingCountry'?)",
        "error: 2 problem(s) in mapping(s)"]
    assert not (tmp_path / "crm.json").exists()
