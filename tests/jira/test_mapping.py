"""The shipped mapping against the emulator's fields, and what an admin sees when a
mapping names a field that is not unique."""

from __future__ import annotations

import pytest

from core.mapping import MappingError, check_mapping, load_mapping, load_mapping_text
from core.sync.local import LOCAL_FIELDS
from tests.jira.conftest import MAPPING


def test_the_shipped_mapping_fits_the_site(connector):
    mapping = load_mapping(MAPPING)
    assert mapping.upsert_key is None and mapping.deletes == "flag"
    assert check_mapping(mapping, connector.describe("issue"), LOCAL_FIELDS["ticket"]) == []


def test_an_ambiguous_field_name_is_a_validation_error_naming_the_candidates(connector):
    text = MAPPING.read_text(encoding="utf-8").replace("remote: Support Tier", "remote: Tier")
    mapping = load_mapping_text(text, "mappings/jira_tickets.yaml")
    [problem] = check_mapping(mapping, connector.describe("issue"), LOCAL_FIELDS["ticket"])
    shown = str(problem)
    assert shown.startswith("mappings/jira_tickets.yaml:")
    assert "ambiguous field name 'Tier': candidates customfield_10012, customfield_10013" in shown
    assert "name the field by its id" in shown


def test_a_broken_mapping_refuses_to_build_the_sync(jira_hub, tmp_path):
    from core.sync.jobs import build_jobs

    bad = tmp_path / "jira_tickets.yaml"
    bad.write_text(MAPPING.read_text(encoding="utf-8").replace("remote: Coverage",
                                                               "remote: Tier"))
    cfg = jira_hub.config.model_copy(update={"syncs": [
        jira_hub.config.syncs[0].model_copy(update={"mapping": str(bad)})]})
    hub = type(jira_hub)(cfg, jira_hub.engine, jira_hub.sessions, jira_hub.clock)
    with pytest.raises(MappingError, match="customfield_10012, customfield_10013"):
        build_jobs(hub)
