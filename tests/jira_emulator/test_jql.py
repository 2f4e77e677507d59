"""JQL: parsing, Jira's error sentences, field resolution, and dates read in
the API user's profile time zone with minute precision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jira import JIRA, JIRAError

from core.clock import FakeClock
from sandbox.jira import JiraEmulator, JqlError
from sandbox.jira import jql as jql_mod
from sandbox.jira.jql_eval import EvalContext, run

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def keys(emu: JiraEmulator, text: str, ambiguous: str = "error") -> list[str]:
    ctx = EvalContext(emu.store, ZoneInfo(emu.user_timezone), emu.store.now(), ambiguous)
    return [i.key for i in run(text, ctx)[1]]


def jql_error(emu: JiraEmulator, text: str) -> list[str]:
    with pytest.raises(JqlError) as caught:
        keys(emu, text)
    return caught.value.messages


@pytest.fixture
def emu() -> JiraEmulator:
    clock = FakeClock(T0)
    emu = JiraEmulator(clock=clock)
    store = emu.store
    store.create_issue("SUP", summary="Printer on fire", Severity="sev1",
                       fields={"Organization": "Acme Corp", "Support Tier": "Premium"},
                       created=T0 - timedelta(days=3))
    store.create_issue("SUP", summary="Password reset", Severity="sev3",
                       fields={"customfield_10012": "gold-ish", "customfield_10013": "Gold"},
                       created=T0 - timedelta(days=2), labels=["vip"])
    store.create_issue("OPS", summary="Disk almost full", issuetype="Bug", priority="High",
                       created=T0 - timedelta(days=1))
    store.set_status("SUP-2", "In Progress", at=T0 - timedelta(hours=1))
    return emu


# the parser ------------------------------------------------------------------------
def test_precedence_and_parentheses(emu: JiraEmulator) -> None:
    assert keys(emu, "project = OPS OR project = SUP AND Severity = sev1 ORDER BY key") == \
        ["OPS-1", "SUP-1"]
    assert keys(emu, "(project = OPS OR project = SUP) AND Severity = sev1") == ["SUP-1"]
    assert keys(emu, "NOT project = SUP") == ["OPS-1"]
    assert keys(emu, "project = SUP && !(status = Open) || issuetype = Bug ORDER BY key ASC") \
        == ["OPS-1", "SUP-2"]


def test_membership_status_and_empties(emu: JiraEmulator) -> None:
    assert keys(emu, "project in (SUP, ops) ORDER BY key ASC") == ["OPS-1", "SUP-1", "SUP-2"]
    assert keys(emu, "status = 'In Progress'") == ["SUP-2"]
    assert keys(emu, 'status != "In Progress" ORDER BY key') == ["OPS-1", "SUP-1"]
    assert keys(emu, "status not in (Open) ") == ["SUP-2"]
    assert keys(emu, "Severity is EMPTY") == ["OPS-1"]
    assert keys(emu, "Severity IS NOT EMPTY ORDER BY key") == ["SUP-1", "SUP-2"]
    assert keys(emu, "Severity != sev1") == ["SUP-2"]  # != never matches an empty field
    assert keys(emu, "Severity in (sev1, EMPTY) ORDER BY key") == ["OPS-1", "SUP-1"]
    assert keys(emu, "resolution = Unresolved ORDER BY key") == ["OPS-1", "SUP-1", "SUP-2"]
    assert keys(emu, "labels = vip") == ["SUP-2"]
    assert keys(emu, "issuetype = Bug AND priority = High") == ["OPS-1"]
    assert keys(emu, "statusCategory = 'In Progress'") == ["SUP-2"]


def test_keys(emu: JiraEmulator) -> None:
    assert keys(emu, "key = sup-1") == ["SUP-1"]
    assert keys(emu, "issuekey in (SUP-2, OPS-1) ORDER BY key DESC") == ["SUP-2", "OPS-1"]
    assert keys(emu, "key > SUP-1") == ["SUP-2"]
    assert jql_error(emu, "key in (SUP-1, SUP-99)") == [
        "An issue with key 'SUP-99' does not exist for field 'key'."]
    emu.store.delete_issue("SUP-1")
    assert jql_error(emu, "key = SUP-1") == [
        "An issue with key 'SUP-1' does not exist for field 'key'."]


def test_custom_fields_by_id_and_by_name(emu: JiraEmulator) -> None:
    assert keys(emu, "cf[10019] = sev1") == ["SUP-1"]
    assert keys(emu, '"Support Tier" = Premium') == ["SUP-1"]
    assert keys(emu, "severity = SEV3") == ["SUP-2"]
    assert keys(emu, 'Organization ~ "acme"') == ["SUP-1"]
    assert keys(emu, "cf[10013] = Gold") == ["SUP-2"]


def test_text_search(emu: JiraEmulator) -> None:
    assert keys(emu, 'summary ~ "fire printer"') == ["SUP-1"]
    assert keys(emu, 'summary !~ "fire" ORDER BY key') == ["OPS-1", "SUP-2"]
    assert jql_error(emu, 'summary = "Printer on fire"') == [
        "The operator '=' is not supported by the 'summary' field."]
    assert jql_error(emu, 'Organization = "Acme Corp"') == [
        "The operator '=' is not supported by the 'Organization' field."]


def test_ambiguous_names_are_refused_or_matched_by_any(emu: JiraEmulator) -> None:
    messages = jql_error(emu, "Tier = Gold")
    assert len(messages) == 1 and "ambiguous" in messages[0]
    assert "cf[10012]" in messages[0] and "cf[10013]" in messages[0]
    assert keys(emu, "Tier = Gold", ambiguous="any") == ["SUP-2"]


def test_unknown_fields_values_and_functions(emu: JiraEmulator) -> None:
    assert jql_error(emu, "colour = red") == [
        "Field 'colour' does not exist or you do not have permission to view it."]
    assert jql_error(emu, "customfield_10019 = sev1") == [
        "Field 'customfield_10019' does not exist or you do not have permission to view it."]
    assert jql_error(emu, "status = Sleeping") == [
        "The value 'Sleeping' does not exist for the field 'status'."]
    assert jql_error(emu, "Severity = sev9") == [
        "The value 'sev9' does not exist for the field 'Severity'."]
    assert jql_error(emu, "project = NOPE") == [
        "The value 'NOPE' does not exist for the field 'project'."]
    assert jql_error(emu, "updated > bogus()") == ["Unable to find JQL function 'bogus()'."]
    assert jql_error(emu, 'updated > now("-1d")') == [
        "Function 'now' expected '0' arguments but received '1'."]
    assert jql_error(emu, "ORDER BY bogus") == ["Not able to sort using field 'bogus'."]
    both = jql_error(emu, "colour = red AND status = Sleeping")
    assert len(both) == 2  # every semantic error at once, as Jira reports them


@pytest.mark.parametrize(("text", "message"), [
    ("project = SUP AND", "Error in the JQL Query: Expecting a field name at the end of the "
                          "query."),
    ("project =", "Error in the JQL Query: Expecting either a value, list or function before "
                  "the end of the query."),
    ("project = = SUP", "Error in the JQL Query: Expecting either a value, list or function but "
                        "got '='. You must surround '=' in quotation marks to use it as a "
                        "value. (line 1, character 11)"),
    ("status closed", "Error in the JQL Query: Expecting operator but got 'closed'. The valid "
                      "operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT "
                      "IN', 'IS' and 'IS NOT'. (line 1, character 8)"),
    ("status in (Open, Closed", "Error in the JQL Query: Expecting ')' before the end of the "
                                "query."),
    ("(status = Open", "Error in the JQL Query: Expecting ')' before the end of the query."),
    ("status = Open foo", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                          "'foo'. (line 1, character 15)"),
    ('summary ~ "unfinished', "Error in the JQL Query: The quoted string 'unfinished' has not "
                              "been completed. (line 1, character 11)"),
])
def test_syntax_errors_use_jiras_sentences(text: str, message: str) -> None:
    with pytest.raises(JqlError) as caught:
        jql_mod.parse(text)
    assert caught.value.messages == [message]


def test_parse_errors_reach_the_client_in_jiras_shape(jira_cloud: JiraEmulator,
                                                      raw_session) -> None:
    answer = raw_session(jira_cloud).get(f"{jira_cloud.base_url}/rest/api/3/search/jql",
                                         params={"jql": "project = SUP AND"})
    assert answer.status_code == 400
    assert answer.json() == {"errorMessages": [
        "Error in the JQL Query: Expecting a field name at the end of the query."],
        "errors": {}}


def test_library_raises_jira_error_with_the_message(jira_dc_client: JIRA) -> None:
    with pytest.raises(JIRAError) as caught:
        jira_dc_client.search_issues("nosuchfield = 1")
    assert caught.value.status_code == 400
    assert "Field 'nosuchfield' does not exist" in caught.value.text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_string_survives_quoting(value: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    query = jql_mod.parse(f"summary ~ {quoted}")
    assert isinstance(query.where, jql_mod.Clause)
    assert query.where.operand == jql_mod.Literal(value, True)


@given(st.sampled_from(["Severity = sev1", "status = Open", "project = OPS", "labels = vip",
                        "Severity is EMPTY", "priority in (High, Medium)"]))
def test_not_partitions_the_issues(clause: str) -> None:
    emu = JiraEmulator(clock=FakeClock(T0))
    emu.store.create_issue(summary="a", Severity="sev1")
    emu.store.create_issue(summary="b", labels=["vip"])
    emu.store.create_issue("OPS", summary="c", priority="High")
    inside, outside = set(keys(emu, clause)), set(keys(emu, f"NOT ({clause})"))
    assert inside.isdisjoint(outside)
    assert inside | outside == {"SUP-1", "SUP-2", "OPS-1"}


# dates and time zones --------------------------------------------------------------------
def _issue_updated_at_local(emu: JiraEmulator, zone: str, local: datetime) -> str:
    instant = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    issue = emu.store.create_issue(summary="edited", created=instant - timedelta(days=1))
    emu.store.edit_issue(issue.key, {"Coverage": "24x7"}, updated=instant)
    return issue.key


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Los_Angeles"])
def test_updated_is_read_in_the_profile_zone_with_minute_precision(
        zone: str, jira_cloud: JiraEmulator, jira_cloud_client: JIRA) -> None:
    jira_cloud.user_timezone = zone
    key = _issue_updated_at_local(jira_cloud, zone, datetime(2026, 3, 2, 9, 15, 40))

    def found(jql: str) -> list[str]:
        return [i.key for i in jira_cloud_client.enhanced_search_issues(
            jql, maxResults=False, fields=["updated"])]

    assert found('updated >= "2026/03/02 09:15"') == [key]
    assert found('updated >= "2026-03-02 09:15"') == [key]
    assert found('updated > "2026/03/02 09:15"') == [key]  # 09:15:40 is after 09:15:00
    assert found('updated >= "2026/03/02 09:16"') == []
    assert found('updated <= "2026/03/02 09:15"') == []
    assert found('updated < "2026/03/02 09:16" AND updated >= "2026-03-02"') == [key]
    jira_cloud.user_timezone = "UTC"  # the same words now mean another instant
    east_of_utc = zone == "Asia/Kolkata"  # 09:15 there is 03:45 UTC; in LA it is 17:15 UTC
    assert found('updated >= "2026/03/02 09:15"') == ([] if east_of_utc else [key])
    utc_minute = "03:45" if east_of_utc else "17:15"
    assert found(f'updated >= "2026/03/02 {utc_minute}"') == [key]
    next_minute = "03:46" if east_of_utc else "17:16"
    assert found(f'updated >= "2026/03/02 {next_minute}"') == []


def test_datetime_custom_fields_and_periods(emu: JiraEmulator) -> None:
    emu.store.edit_issue("SUP-1", {"First Response Due": T0 + timedelta(hours=4)}, updated=T0)
    assert keys(emu, 'cf[10015] > "2026-03-02 12:59"') == ["SUP-1"]
    assert keys(emu, '"First Response Due" < now()') == []
    assert keys(emu, "created > -36h ORDER BY created") == ["OPS-1"]
    assert keys(emu, 'created >= "-4w 2d" ORDER BY created ASC') == ["SUP-1", "SUP-2", "OPS-1"]
    messages = jql_error(emu, 'updated > "2026/13/40"')
    assert messages[0].startswith("Date value '2026/13/40' for field 'updated' is invalid.")


def test_order_by_dates_with_ties_and_empties(emu: JiraEmulator) -> None:
    assert keys(emu, "ORDER BY created ASC") == ["SUP-1", "SUP-2", "OPS-1"]
    assert keys(emu, "ORDER BY updated DESC, key ASC") == ["SUP-2", "OPS-1", "SUP-1"]
    assert keys(emu, "ORDER BY Severity ASC") == ["SUP-1", "SUP-2", "OPS-1"]
    assert keys(emu, "ORDER BY Severity DESC") == ["OPS-1", "SUP-2", "SUP-1"]
    assert keys(emu, "project = SUP") == ["SUP-2", "SUP-1"]  # default: newest first
