"""Issues through the real ``jira`` library: read, create, edit (``updated``
moves on every write), validation errors, deletion, comments, remote links,
transitions and the status history the hub computes SLA pauses from."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from jira import JIRA, JIRAError

from core.clock import FakeClock
from sandbox.jira import JiraEmulator
from sandbox.jira.errors import ISSUE_NOT_FOUND, NOT_ADF, not_on_screen
from sandbox.jira.wire import parse_jira_time

JIRA_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def test_issue_fields_are_written_like_jira(jira_cloud: JiraEmulator, jira_clock: FakeClock,
                                            jira_cloud_client: JIRA) -> None:
    jira_clock.set(jira_clock.now().replace(second=30, microsecond=123456))
    jira_cloud.store.create_issue(summary="Printer on fire", Severity="sev1",
                                  fields={"First Response Due": jira_clock.now()})
    issue = jira_cloud_client.issue("SUP-1")
    assert issue.fields.created == "2026-03-02T09:00:30.123+0000"
    assert JIRA_TIME.match(issue.fields.updated)
    assert issue.fields.customfield_10015 == issue.fields.created
    assert issue.fields.customfield_10019.value == "sev1"
    assert issue.fields.status.name == "Open"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.project.key == "SUP"
    assert issue.fields.reporter.accountId == jira_cloud.api_user.account_id
    assert issue.fields.resolutiondate is None
    assert issue.raw["self"].endswith(f"/rest/api/2/issue/{issue.id}")
    assert jira_cloud_client.issue(issue.id).key == "SUP-1"
    only = jira_cloud_client.issue("SUP-1", fields="summary,updated")
    assert set(only.raw["fields"]) == {"summary", "updated"}


def test_create_through_the_library(jira_dc: JiraEmulator, jira_dc_client: JIRA) -> None:
    created = jira_dc_client.create_issue(fields={
        "project": {"key": "SUP"}, "issuetype": {"name": "Support Request"},
        "summary": "VPN down", "customfield_10019": {"value": "sev2"},
        "customfield_10018": "C-2026-001"})
    assert created.key == "SUP-1"
    stored = jira_dc.store.issue("SUP-1")
    assert stored.get("customfield_10018") == "C-2026-001"
    by_name = jira_dc_client.create_issue(project="SUP", issuetype="Task", summary="Named")
    assert by_name.fields.issuetype.name == "Task"
    assert jira_dc.write_count == 2


def test_create_reports_every_missing_or_bad_field(jira_cloud: JiraEmulator,
                                                   raw_session) -> None:
    answer = raw_session(jira_cloud).post(f"{jira_cloud.base_url}/rest/api/2/issue", json={
        "fields": {"project": {"key": "NOPE"}, "customfield_10019": {"value": "sev9"},
                   "colour": "red"}})
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorMessages"] == []
    assert body["errors"] == {
        "project": "Specify a valid project ID or key", "issuetype": "Specify an issue type",
        "summary": "You must specify a summary of the issue.",
        "customfield_10019": "Option value 'sev9' is not valid",
        "colour": not_on_screen("colour")}
    assert jira_cloud.store.issues() == []


def test_every_write_moves_updated_even_the_hubs_own(jira_cloud: JiraEmulator,
                                                     jira_clock: FakeClock,
                                                     jira_cloud_client: JIRA) -> None:
    jira_cloud.store.create_issue(summary="Slow portal")
    issue = jira_cloud_client.issue("SUP-1")
    before = parse_jira_time(issue.fields.updated)
    jira_clock.advance(timedelta(minutes=5, seconds=7))
    issue.update(fields={"customfield_10014": "24x7",
                         "customfield_10016": "2026-03-03T09:00:00.000+0000",
                         "customfield_10017": {"value": "No"}}, notify=False)
    after = jira_cloud_client.issue("SUP-1")
    assert parse_jira_time(after.fields.updated) - before == timedelta(minutes=5, seconds=7)
    assert issue.fields.updated == after.fields.updated  # the library re-read it
    assert after.fields.customfield_10014 == "24x7"
    assert after.fields.customfield_10017.value == "No"
    put = jira_cloud.calls.matching(r"PUT /rest/api/2/issue/\d+")
    assert put and put[0].status == 204 and "notifyUsers=false" in put[0].query
    jira_clock.advance(60)
    jira_cloud_client.add_comment("SUP-1", "We are on it")
    assert jira_cloud.store.issue("SUP-1").updated == jira_clock.now()


def test_seeded_edits_choose_their_own_time(jira_cloud: JiraEmulator,
                                            jira_clock: FakeClock) -> None:
    issue = jira_cloud.store.create_issue(summary="x")
    when = jira_clock.now() - timedelta(hours=2, seconds=13)
    jira_cloud.store.edit_issue("SUP-1", {"Severity": "sev2"}, updated=when)
    assert issue.updated == when
    history = issue.histories[-1]
    assert history.items[0].field == "Severity"
    assert history.items[0].to_string == "sev2"
    jira_cloud.store.edit_issue("SUP-1", updated=when + timedelta(minutes=1))  # a touch
    assert issue.updated == when + timedelta(minutes=1)


def test_edit_validation_in_jiras_shape(jira_cloud: JiraEmulator, jira_cloud_client: JIRA,
                                        raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    issue = jira_cloud_client.issue("SUP-1")
    with pytest.raises(JIRAError) as caught:
        issue.update(fields={"nosuchfield": 1})
    assert caught.value.status_code == 400
    assert not_on_screen("nosuchfield") in caught.value.text
    url = f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1"
    session = raw_session(jira_cloud)
    answer = session.put(url, json={"fields": {
        "summary": "two\nlines", "status": {"name": "Closed"}, "customfield_10015": "tomorrow",
        "customfield_10019": "sev1", "labels": ["a b"]}})
    errors = answer.json()["errors"]
    assert answer.status_code == 400
    assert errors["summary"] == "The summary is invalid because it contains newline characters."
    assert errors["status"] == not_on_screen("status")
    assert errors["customfield_10015"].startswith("Invalid date format.")
    assert errors["customfield_10019"] == ("Could not find valid 'id' or 'value' in the Parent "
                                           "Option object.")
    assert "labels" in errors
    v3 = session.put(f"{jira_cloud.base_url}/rest/api/3/issue/SUP-1",
                     json={"fields": {"description": "plain text"}})
    assert v3.json()["errors"] == {"description": NOT_ADF}
    assert jira_cloud.store.issue("SUP-1").histories == []  # nothing was applied


def test_update_operations(jira_cloud: JiraEmulator, raw_session) -> None:
    jira_cloud.store.create_issue(summary="x", labels=["a"])
    answer = raw_session(jira_cloud).put(
        f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1",
        json={"update": {"labels": [{"add": "b"}, {"remove": "a"}],
                         "summary": [{"set": "renamed"}],
                         "comment": [{"add": {"body": "via update"}}]}})
    assert answer.status_code == 204
    issue = jira_cloud.store.issue("SUP-1")
    assert issue.get("labels") == ["b"] and issue.get("summary") == "renamed"
    assert [c.body for c in issue.comments] == ["via update"]


def test_deleted_issue_is_404_with_jiras_body(jira_cloud: JiraEmulator, jira_cloud_client: JIRA,
                                              raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    jira_cloud.store.delete_issue("SUP-1")
    with pytest.raises(JIRAError) as caught:
        jira_cloud_client.issue("SUP-1")
    assert caught.value.status_code == 404
    answer = raw_session(jira_cloud).get(f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1")
    assert answer.json() == {"errorMessages": [ISSUE_NOT_FOUND], "errors": {}}
    put = raw_session(jira_cloud).put(f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1",
                                      json={"fields": {"summary": "y"}})
    assert put.status_code == 404


def test_comments_v2_text_and_v3_documents(jira_cloud: JiraEmulator, jira_cloud_client: JIRA,
                                           raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    added = jira_cloud_client.add_comment("SUP-1", "First response")
    assert added.body == "First response"
    assert JIRA_TIME.match(added.created)
    assert [c.body for c in jira_cloud_client.comments("SUP-1")] == ["First response"]
    session = raw_session(jira_cloud)
    v3 = f"{jira_cloud.base_url}/rest/api/3/issue/SUP-1/comment"
    assert session.post(v3, json={"body": "not a document"}).status_code == 400
    doc = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Second"}]}]}
    assert session.post(v3, json={"body": doc}).status_code == 201
    page = session.get(v3).json()
    assert page["total"] == 2 and page["comments"][1]["body"] == doc


def test_remote_links_are_idempotent_by_global_id(jira_cloud: JiraEmulator,
                                                  jira_cloud_client: JIRA) -> None:
    jira_cloud.store.create_issue(summary="x")
    target = {"url": "https://hub.example/contracts/42", "title": "Contract C-42"}
    with pytest.warns(Warning, match="applicationlinks"):  # the library asks first: 404
        first = jira_cloud_client.add_remote_link("SUP-1", target, globalId="contracthub:42")
        again = jira_cloud_client.add_remote_link(
            "SUP-1", {**target, "title": "Contract C-42 v2"}, globalId="contracthub:42")
    assert first.id == again.id
    links = jira_cloud_client.remote_links("SUP-1")
    assert len(links) == 1 and links[0].object.title == "Contract C-42 v2"
    statuses = jira_cloud.calls.statuses(r"POST /rest/api/2/issue/SUP-1/remotelink")
    assert statuses == [201, 200]
    assert set(jira_cloud.calls.statuses(r"GET /rest/applinks/.*")) == {404}
    with pytest.warns(Warning, match="applicationlinks"):
        other = jira_cloud_client.add_remote_link("SUP-1", target, globalId="contracthub:43")
    assert other.id != first.id and len(jira_cloud_client.remote_links("SUP-1")) == 2


def test_transitions_status_history_and_resolution(jira_dc: JiraEmulator, jira_clock: FakeClock,
                                                   jira_dc_client: JIRA) -> None:
    jira_dc.store.create_issue(summary="Outage", Severity="sev1")
    names = {t["name"] for t in jira_dc_client.transitions("SUP-1")}
    assert {"Start Progress", "Waiting for customer", "Resolve Issue"} <= names
    assert "Reopen" not in names
    steps = ["Start Progress", "Waiting for customer", "Start Progress", "Resolve Issue"]
    for step in steps:
        jira_clock.advance(timedelta(minutes=10))
        jira_dc_client.transition_issue("SUP-1", step)
    resolved = jira_dc_client.issue("SUP-1", expand="changelog")
    assert resolved.fields.status.name == "Resolved"
    assert resolved.fields.resolution.name == "Done"
    assert resolved.fields.resolutiondate == resolved.fields.updated
    moves = [(item.fromString, item.toString) for history in resolved.changelog.histories
             for item in history.items if item.field == "status"]
    assert moves == [("Open", "In Progress"), ("In Progress", "Waiting for customer"),
                     ("Waiting for customer", "In Progress"), ("In Progress", "Resolved")]
    stamps = [parse_jira_time(h.created) for h in resolved.changelog.histories]
    assert stamps == sorted(stamps)  # Data Center: oldest first
    jira_clock.advance(60)
    jira_dc_client.transition_issue("SUP-1", "Reopen")
    reopened = jira_dc_client.issue("SUP-1")
    assert reopened.fields.resolution is None and reopened.fields.resolutiondate is None


def test_invalid_transition_and_resolution_on_the_screen(jira_cloud: JiraEmulator,
                                                         raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    url = f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1/transitions"
    session = raw_session(jira_cloud)
    bad = session.post(url, json={"transition": {"id": "51"}})
    assert bad.status_code == 400
    assert bad.json()["errorMessages"] == ["Transition id '51' is not valid for this issue."]
    not_screen = session.post(url, json={"transition": {"id": "11"},
                                         "fields": {"resolution": {"name": "Done"}}})
    assert not_screen.json()["errors"] == {"resolution": not_on_screen("resolution")}
    wont = session.post(url, json={"transition": {"id": "31"},
                                   "fields": {"resolution": {"name": "Won't Do"}}})
    assert wont.status_code == 204
    assert jira_cloud.store.issue("SUP-1").get("resolution") == "10001"


def test_cloud_changelog_is_newest_first_and_pageable(jira_cloud: JiraEmulator,
                                                      jira_clock: FakeClock,
                                                      raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    for status in ("In Progress", "Waiting for customer", "In Progress"):
        jira_clock.advance(300)
        jira_cloud.store.set_status("SUP-1", status)
    session = raw_session(jira_cloud)
    expanded = session.get(f"{jira_cloud.base_url}/rest/api/3/issue/SUP-1",
                           params={"expand": "changelog"}).json()["changelog"]
    created = [h["created"] for h in expanded["histories"]]
    assert created == sorted(created, reverse=True) and expanded["total"] == 3
    page = session.get(f"{jira_cloud.base_url}/rest/api/3/issue/SUP-1/changelog",
                       params={"startAt": 1, "maxResults": 1}).json()
    assert page["total"] == 3 and page["isLast"] is False
    assert page["values"][0]["items"][0]["toString"] == "Waiting for customer"
    assert jira_cloud.store.issue("SUP-1").status_history()[0][1:] == ("Open", "In Progress")


@pytest.mark.parametrize("touch", [True, False])
def test_a_write_that_changes_nothing(touch: bool, jira_clock: FakeClock, raw_session) -> None:
    emu = JiraEmulator(clock=jira_clock, touch_noop_writes=touch)
    with emu:
        issue = emu.store.create_issue(summary="same")
        created = issue.updated
        jira_clock.advance(90)
        answer = raw_session(emu).put(f"{emu.base_url}/rest/api/2/issue/SUP-1",
                                      json={"fields": {"summary": "same"}})
        assert answer.status_code == 204
        assert issue.updated == (jira_clock.now() if touch else created)
        assert issue.histories == []
