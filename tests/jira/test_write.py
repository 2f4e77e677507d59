"""Editing issues: the conformance suite's write tests as edits (Jira issues are not
created by the hub), values in Jira's forms, only what differs, the contract link."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from connectors.base import REMOTE_DELETED, WriteOp
from sandbox.jira.emulator import JiraEmulator
from tests.jira.conftest import (
    BREACHED,
    COVERAGE,
    FR_DUE,
    NUMBER,
    TIER,
    make_connector,
    read_all,
    ticket,
)

DUE = datetime(2026, 3, 2, 13, 15, 30, 250000, tzinfo=UTC)


def puts(emu: JiraEmulator) -> list:
    return [c for c in emu.calls.all() if c.method == "PUT"]


def entitlement(i: int = 0) -> dict:
    return {TIER: "Premium", COVERAGE: f"24x7 #{i}", FR_DUE: DUE, BREACHED: "No",
            NUMBER: f"C-{i}"}


def test_rewriting_the_same_edits_is_idempotent(connector, emu, jira_clock):
    issues = [ticket(emu, f"T{i}") for i in range(4)]
    ops = [WriteOp(key=str(100 + n), fields=entitlement(n), remote_id=i.id)
           for n, i in enumerate(issues)]
    first = connector.write("issue", None, ops)
    assert all(r.ok for r in first) and [r.key for r in first] == [o.key for o in ops]
    assert not any(r.created for r in first)
    count, writes = len(emu.store.issues()), emu.write_count
    again = connector.write("issue", None, ops)
    assert len(emu.store.issues()) == count  # nothing created, ever
    assert [r.remote_id for r in again] == [i.id for i in issues]
    assert emu.write_count == writes  # Jira already holds these values: no call at all
    assert emu.calls.count("POST /rest/api/2/issue") == 0


def test_per_record_errors_do_not_fail_the_batch(connector, emu):
    a, b, c = (ticket(emu, s) for s in "abc")
    results = connector.write("issue", None, [
        WriteOp(key="1", fields={COVERAGE: "24x7"}, remote_id=a.id),
        WriteOp(key="2", fields={BREACHED: "Maybe"}, remote_id=b.id),
        WriteOp(key="3", fields={COVERAGE: "24x7"}, remote_id=c.id)])
    assert [r.ok for r in results] == [True, False, True]
    err = results[1].error
    assert err.code == "INVALID_FIELD" and err.fields == (BREACHED,)
    assert "Option value 'Maybe' is not valid" in err.message


def test_versions_change_on_every_write(connector, emu, jira_clock):
    issue = ticket(emu)
    jira_clock.advance(600)
    [before], _ = read_all(connector)
    jira_clock.advance(1)
    [res] = connector.write("issue", None, [WriteOp(key="1", fields={COVERAGE: "24x7"},
                                                    remote_id=issue.id)])
    assert res.ok and res.version is None  # unknown without a GET: the next read says
    jira_clock.advance(600)
    [after], _ = read_all(connector)
    assert after.id == before.id and after.version != before.version


def test_values_go_in_jiras_forms_and_only_the_given_fields(connector, emu):
    issue = ticket(emu, fields={"Contract Number": "C-OLD"})
    connector.write("issue", None, [WriteOp(key="1", remote_id=issue.id, fields={
        TIER: "Premium", FR_DUE: DUE, BREACHED: "Yes", COVERAGE: None})])
    [put] = puts(emu)
    assert "notifyUsers=false" in put.query
    stored = emu.store.issue(issue.key)
    assert stored.get(FR_DUE) == datetime(2026, 3, 2, 13, 15, 30, 250000, tzinfo=UTC)
    assert emu.store.catalog.by_id(TIER).option(stored.get(TIER), by="id").value == "Premium"
    assert stored.get(NUMBER) == "C-OLD"  # not sent, not touched


def test_only_fields_that_differ_are_sent(connector, emu, jira_clock):
    issue = ticket(emu)
    op = WriteOp(key="1", remote_id=issue.id, fields=entitlement())
    connector.write("issue", None, [op])
    jira_clock.advance(600)
    read_all(connector)  # reads now ask for the written fields too
    emu.store.edit_issue(issue.key, {COVERAGE: "business_hours"})  # a person's edit
    jira_clock.advance(600)
    read_all(connector)
    emu.calls.reset()
    connector.write("issue", None, [op])
    [put] = emu.calls.all()
    assert put.method == "PUT" and emu.store.issue(issue.key).get(COVERAGE) == "24x7 #0"
    assert [h.items[0].field_id for h in emu.store.issue(issue.key).histories][-1] == COVERAGE


def test_writes_never_create_or_delete_issues(connector, emu):
    issue = ticket(emu)
    results = connector.write("issue", None, [
        WriteOp(key="1", fields={COVERAGE: "x"}),
        WriteOp(key="2", fields={}, remote_id=issue.id, op="delete")])
    assert [r.error.code for r in results] == ["NOT_CREATABLE", "NOT_SUPPORTED"]
    assert emu.write_count == 0 and len(emu.store.issues()) == 1


def test_a_deleted_issue_answers_remote_deleted_and_is_not_recreated(connector, emu):
    issue = ticket(emu)
    emu.store.delete_issue(issue.key)
    [res] = connector.write("issue", None, [WriteOp(key="1", fields=entitlement(),
                                                    remote_id=issue.id)])
    assert res.error.code == REMOTE_DELETED
    assert emu.calls.count("POST /rest/api/2/issue") == 0 and emu.store.issues() == []


def test_the_contract_link_is_one_idempotent_remote_link(connector, emu, jira_clock):
    issue = ticket(emu)
    write = lambda value: connector.write(  # noqa: E731
        "issue", None, [WriteOp(key="1", fields={"contract_link": value},
                                remote_id=issue.id)])
    assert write("C-7")[0].ok
    assert write("C-7")[0].ok  # remembered: no call
    fresh = make_connector(emu, jira_clock)  # a restarted hub posts again: same link
    assert fresh.write("issue", None, [WriteOp(key="1", fields={"contract_link": "C-7"},
                                               remote_id=issue.id)])[0].ok
    [link] = emu.store.issue(issue.key).remote_links
    assert link.payload["object"] == {"url": "https://hub.example.com/contracts/C-7",
                                      "title": "Contract C-7"}
    assert emu.calls.count("POST /rest/api/2/issue/.*/remotelink") == 2
    assert emu.calls.count("GET /rest/applinks.*") == 0  # no library detour
    write("C-8 amended")
    [link] = emu.store.issue(issue.key).remote_links
    assert link.payload["object"]["url"].endswith("/contracts/C-8%20amended")
    write(None)
    assert emu.store.issue(issue.key).remote_links == []


def test_a_contract_link_without_a_url_rule_is_a_record_error(emu, jira_clock):
    conn = make_connector(emu, jira_clock, contract_url=None)
    issue = ticket(emu)
    [res] = conn.write("issue", None, [WriteOp(key="1", fields={"contract_link": "C-1"},
                                               remote_id=issue.id)])
    assert res.error.code == "INVALID_VALUE" and "contract_url" in res.error.message
    [ok] = conn.write("issue", None, [WriteOp(
        key="1", fields={"contract_link": "https://docs.example.com/c/1.pdf"},
        remote_id=issue.id)])
    assert ok.ok


def test_put_bodies_carry_fields_only(connector, emu, monkeypatch):
    issue = ticket(emu)
    sent: list = []
    original = connector.api.request

    def spy(method, path, what, *, body=None, params=None):
        sent.append((method, path, json.loads(json.dumps(body, default=str))))
        return original(method, path, what, body=body, params=params)

    monkeypatch.setattr(connector.api, "request", spy)
    connector.write("issue", None, [WriteOp(key="1", remote_id=issue.id,
                                            fields={BREACHED: "No", FR_DUE: DUE})])
    [(method, path, body)] = sent
    assert (method, path) == ("PUT", f"issue/{issue.id}")
    assert body == {"fields": {BREACHED: {"value": "No"},
                               FR_DUE: "2026-03-02T13:15:30.250+0000"}}


def test_without_the_right_to_mute_notifications_edits_still_go_through(connector, emu,
                                                                       caplog):
    """Jira lets only (project) admins edit with notifyUsers=false: refused once, the
    connector edits with notifications from then on and says so."""
    a, b = ticket(emu, "a"), ticket(emu, "b")
    emu.add_fault(pattern=r"PUT .*/issue/", status=403, times=1, body={
        "errorMessages": ["To discard the user notification either admin or project admin "
                          "permissions are required."], "errors": {}})
    results = connector.write("issue", None, [
        WriteOp(key="1", fields={COVERAGE: "24x7"}, remote_id=a.id),
        WriteOp(key="2", fields={COVERAGE: "24x7"}, remote_id=b.id)])
    assert all(r.ok for r in results)
    assert [("notifyUsers=false" in c.query, c.status) for c in puts(emu)] == [
        (True, 403), (False, 204), (False, 204)]
    assert "notify_users: true" in caplog.text
    assert emu.store.issue(a.key).get(COVERAGE) == emu.store.issue(b.key).get(COVERAGE)
