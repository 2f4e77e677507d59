"""Reading issues: the object's fields, the cursor in the API user's zone, ties, DST,
edits during a read, and the synthetic fields (customer, severity, history...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest

from connectors.jira.cursor import Position, jql_instant
from sandbox.jira.emulator import JiraEmulator
from tests.jira.conftest import make_connector, read_all, ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def searches(emu: JiraEmulator) -> list[str]:
    """The JQL of every search the emulator answered, in order."""
    return [parse_qs(c.query).get("jql", [""])[0] for c in emu.calls.all()
            if "/search" in c.path]


def test_describe_lists_fields_by_id_labelled_by_name_plus_synthetic_ones(connector, emu):
    spec = connector.describe("issue")
    tier_ids = sorted(fid for fid, f in spec.fields.items() if f.label == "Tier")
    assert tier_ids == ["customfield_10012", "customfield_10013"]  # names repeat
    assert spec.field("customfield_10011").label == "Support Tier"
    assert spec.field("customfield_10011").type == "enum" and spec.field(
        "customfield_10015").type == "datetime"
    for name in ("key", "customer", "severity", "status", "created", "updated", "resolved",
                 "first_response", "status_history"):
        assert not spec.field(name).writable, name
    assert spec.field("status_history").type == "json"
    assert spec.field("contract_link").writable
    with pytest.raises(Exception, match="no object 'Issue'"):
        connector.describe("Issue")


def test_cloud_pages_by_token_and_datacenter_by_start_at(connector, emu, jira_clock):
    for i in range(7):
        ticket(emu, f"T{i}")
    jira_clock.advance(600)
    connector.page_size = 3
    records, _ = read_all(connector)
    assert len(records) == len({r.id for r in records}) == 7
    paths = {c.path for c in emu.calls.all() if "/search" in c.path}
    assert paths == ({"/rest/api/2/search/jql"} if emu.cloud else {"/rest/api/2/search"})
    assert all(j.startswith('project in ("SUP")') for j in searches(emu))  # never unbounded
    assert emu.calls.count("GET /rest/api/2/field") == 1  # the library's cache is primed


def test_record_ids_are_issue_ids_and_versions_the_updated_time(connector, emu, jira_clock):
    issue = ticket(emu)
    jira_clock.advance(600)
    [rec], _ = read_all(connector)
    assert rec.id == issue.id != issue.key
    assert rec.version == "2026-03-02T09:00:00.000+0000"
    assert rec.fields["key"] == "SUP-1" and rec.modified == T0


@pytest.mark.parametrize(("zone", "literal"), [("Asia/Kolkata", "2026/03/02 14:28"),
                                               ("America/Los_Angeles", "2026/03/02 00:58")])
def test_the_overlap_is_rendered_in_the_api_users_zone(emu, jira_clock, zone, literal):
    emu.user_timezone = zone
    conn = make_connector(emu, jira_clock)
    ticket(emu, "early")
    jira_clock.advance(30)
    late = ticket(emu, "late")  # 09:00:30
    jira_clock.advance(600)
    cursor = Position(T0 + timedelta(seconds=30), frozenset()).encode()  # before `late`'s id
    records, _ = read_all(conn, cursor)
    assert [r.id for r in records] == [late.id]
    assert f'updated >= "{literal}"' in searches(emu)[-1]  # 09:00:30 - 2 min, floored, local
    assert emu.calls.count("GET /rest/api/2/myself") == 1


def test_edits_in_one_minute_across_a_page_boundary_are_each_read_once(connector, emu,
                                                                        jira_clock):
    connector.page_size = 2
    issues = [ticket(emu, f"T{i}") for i in range(4)]
    jira_clock.set(T0 + timedelta(minutes=10, seconds=5))
    for n, issue in enumerate(issues):  # four edits within 09:10
        emu.store.edit_issue(issue.key, summary=f"edited {n}")
        jira_clock.advance(10)
    jira_clock.advance(600)
    pages = connector.read_changes("issue", None, ["summary"])
    first = next(pages)
    assert [r.fields["summary"] for r in first.records] == ["edited 0", "edited 1"]
    pages.close()  # the sync stops here (a crash, a stop request)
    emu.store.edit_issue(issues[0].key, summary="again", updated=T0 + timedelta(minutes=10,
                                                                                seconds=55))
    tie = ticket(emu, "same second as edited 3", created=T0 + timedelta(minutes=10,
                                                                         seconds=35))
    records, cursor = read_all(connector, dict(first.cursor), ["summary"])
    assert [r.fields["summary"] for r in records] == [
        "edited 2", "edited 3", "same second as edited 3", "again"]
    assert tie.id in {r.id for r in records}
    assert read_all(connector, cursor)[0] == []  # nothing twice once the lag has passed


def test_an_issue_edited_during_a_paged_read_does_not_hide_another(connector, emu,
                                                                    jira_clock):
    """Offsets shift when an issue of an earlier page moves to the end: the read asks
    afresh from its position after each page, so the next issue is not skipped."""
    connector.page_size = 2
    issues = []
    for i in range(6):
        issues.append(ticket(emu, f"T{i}"))
        jira_clock.advance(60)
    jira_clock.advance(600)
    pages = connector.read_changes("issue", None, ["summary"])
    seen = [r.id for r in next(pages).records]
    emu.store.edit_issue(issues[0].key, summary="moved to the end")  # now
    seen += [r.id for p in pages for r in p.records]
    assert sorted(set(seen), key=int) == [i.id for i in issues]
    assert seen.count(issues[0].id) == 2  # read again after its edit


def test_a_daylight_saving_change_loses_nothing(emu, jira_clock):
    """America/Los_Angeles falls back on 2026-11-01 at 09:00 UTC: 01:00-02:00 local
    happens twice. Cycles of reads through the fold miss nothing."""
    emu.user_timezone = "America/Los_Angeles"
    conn = make_connector(emu, jira_clock)
    jira_clock.set(datetime(2026, 11, 1, 7, 40, tzinfo=UTC))
    cursor, seen, made = None, set(), set()
    for _ in range(16):  # 07:40 .. 10:20 UTC, a read every 10 minutes
        for k in range(2):
            made.add(ticket(emu, f"at {jira_clock.now():%H:%M}/{k}").id)
            jira_clock.advance(170)
        records, cursor = read_all(conn, cursor)
        seen |= {r.id for r in records}
        jira_clock.advance(260)
    jira_clock.advance(600)
    seen |= {r.id for r in read_all(conn, cursor)[0]}
    assert seen == made


def test_jql_literals_never_name_a_later_moment_in_a_fold():
    zone = "America/Los_Angeles"
    tz = ZoneInfo(zone)
    start = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    for minutes in range(0, 240, 7):
        instant = start + timedelta(minutes=minutes, seconds=13)
        wall = datetime.strptime(jql_instant(instant, zone), "%Y/%m/%d %H:%M")
        readings = [wall.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1)]
        assert max(readings) <= instant
        assert instant - min(readings) <= timedelta(hours=2)
    assert jql_instant(datetime(2026, 11, 1, 8, 30, tzinfo=UTC), zone) == "2026/11/01 00:30"
    assert jql_instant(datetime(2026, 11, 1, 9, 30, tzinfo=UTC), zone) == "2026/11/01 01:30"
    assert jql_instant(datetime(2026, 3, 2, 9, 0, 59, tzinfo=UTC), None) == "2026/03/01 19:00"


def test_synthetic_fields(connector, emu, jira_clock):
    issue = ticket(emu, severity="sev1", reporter="carol")
    jira_clock.advance(60)
    emu.store.add_comment(issue.key, "carol adds detail", author="carol")  # the reporter
    jira_clock.advance(60)
    emu.store.set_status(issue.key, "In Progress")
    jira_clock.advance(60)
    emu.store.add_comment(issue.key, "on it", author="alice")  # 09:03: first response
    jira_clock.advance(60)
    emu.store.set_status(issue.key, "Resolved")
    jira_clock.advance(600)
    fields = ["key", "customer", "severity", "status", "created", "updated", "resolved",
              "first_response", "status_history"]
    [rec], _ = read_all(connector, None, fields)
    f = rec.fields
    assert (f["key"], f["customer"], f["severity"], f["status"]) == (
        "SUP-1", "Acme Corp", "sev1", "Resolved")
    assert f["created"] == T0 and f["resolved"] == T0 + timedelta(minutes=4)
    assert f["first_response"] == T0 + timedelta(minutes=3)
    assert f["status_history"] == [
        {"at": "2026-03-02T09:00:00+00:00", "status": "Open"},
        {"at": "2026-03-02T09:02:00+00:00", "status": "In Progress"},
        {"at": "2026-03-02T09:04:00+00:00", "status": "Resolved"}]
    assert "changelog" in emu.calls.all()[-1].query


def test_first_response_prefers_the_first_response_field(connector, emu, jira_clock):
    ticket(emu, fields={"First Response At": T0 + timedelta(minutes=7)})
    jira_clock.advance(600)
    [rec], _ = read_all(connector, None, ["first_response", "status_history"])
    assert rec.fields["first_response"] == T0 + timedelta(minutes=7)
    assert rec.fields["status_history"] == [{"at": T0.isoformat(), "status": "Open"}]


@pytest.mark.parametrize(("rule", "expected"), [
    ({"field": "Organization"}, ["Acme Corp", None, None]),
    ({"reporter_domain": True}, ["customer.example", "vendor.example", "contracthub.example"]),
    ({"project_customers": {"SUP": "Support Co", "SUPACME": "Acme Corp"}},
     ["Support Co", "Support Co", "Acme Corp"])])
def test_customer_rules(emu, jira_clock, rule, expected):
    ticket(emu, "org", org="Acme Corp", reporter="carol")
    ticket(emu, "no org", org=None, reporter="alice")
    emu.store.create_issue("SUPACME", summary="acme's own project")
    jira_clock.advance(600)
    projects = ["SUP", "SUPACME"]
    conn = make_connector(emu, jira_clock, customer_rule=rule, projects=projects)
    records, _ = read_all(conn, None, ["summary", "customer"])
    by_summary = {r.fields["summary"]: r.fields["customer"] for r in records}
    assert [by_summary[s] for s in ("org", "no org", "acme's own project")] == expected


def test_an_ambiguous_customer_field_name_is_a_config_error_naming_candidates(emu,
                                                                               jira_clock):
    conn = make_connector(emu, jira_clock, customer_rule={"field": "Tier"})
    with pytest.raises(Exception, match="customfield_10012, customfield_10013"):
        read_all(conn, None, ["customer"])


def test_a_foreign_cursor_reads_everything_again(connector, emu, jira_clock):
    ticket(emu)
    jira_clock.advance(600)
    records, cursor = read_all(connector, {"v": 99, "ts": "2030-01-01T00:00:00+00:00"})
    assert len(records) == 1 and cursor["v"] == 1


def test_cursor_is_capped_at_the_read_start_minus_the_lag(connector, emu, jira_clock):
    ticket(emu)
    jira_clock.advance(30)  # inside the lag window: read now, and again next time
    records, cursor = read_all(connector)
    assert len(records) == 1
    assert cursor == {"v": 1, "ts": (T0 + timedelta(seconds=30) - timedelta(minutes=2))
                      .isoformat(), "ids": []}
    again, _ = read_all(connector, cursor)
    assert [r.id for r in again] == [r.id for r in records]


def test_unknown_field_names_are_config_errors(connector, emu):
    with pytest.raises(Exception, match="no field 'Nope'"):
        read_all(connector, None, ["Nope"])


def test_a_changed_profile_zone_is_noticed_within_the_hour(emu, jira_clock):
    emu.user_timezone = "Asia/Kolkata"
    conn = make_connector(emu, jira_clock)
    ticket(emu)
    jira_clock.advance(600)
    _, cursor = read_all(conn)
    emu.user_timezone = "America/Los_Angeles"  # an admin edits the API user's profile
    jira_clock.advance(3600)
    ticket(emu, "after the change")
    jira_clock.advance(600)
    records, _ = read_all(conn, cursor)
    assert [r.fields["summary"] for r in records] == ["after the change"]
    assert emu.calls.count("GET /rest/api/2/myself") == 2
    assert 'updated >= "2026/03/02 00:58"' in searches(emu)[-1]  # 09:00 - 2 min in LA


def test_without_a_profile_zone_reads_reach_back_fourteen_hours(emu, jira_clock,
                                                                monkeypatch):
    conn = make_connector(emu, jira_clock)
    monkeypatch.setattr(conn.api, "zone", lambda: None)
    ticket(emu)
    jira_clock.advance(600)
    records, cursor = read_all(conn)
    jira_clock.advance(600)
    late = ticket(emu, "late")
    jira_clock.advance(600)
    assert [r.id for r in read_all(conn, cursor)[0]] == [late.id]
    assert 'updated >= "2026/03/01 18:58"' in searches(emu)[-1]


def test_a_long_changelog_cut_short_in_a_search_is_read_in_full(connector, emu, jira_clock,
                                                                monkeypatch):
    issue = ticket(emu)
    for status in ("In Progress", "Waiting for customer", "In Progress", "Resolved"):
        jira_clock.advance(60)
        emu.store.set_status(issue.key, status)
    jira_clock.advance(600)
    original = connector.api.search_page

    def newest_two_only(*args, **kwargs):  # as Jira does past 100 entries
        page, token = original(*args, **kwargs)
        for i in page:
            log = i["changelog"]
            log["histories"] = sorted(log["histories"], key=lambda h: h["created"])[-2:]
        return page, token

    monkeypatch.setattr(connector.api, "search_page", newest_two_only)
    [rec], _ = read_all(connector, None, ["status_history"])
    assert [h["status"] for h in rec.fields["status_history"]] == [
        "Open", "In Progress", "Waiting for customer", "In Progress", "Resolved"]
    assert emu.calls.count(r"GET /rest/api/2/issue/\d+(/changelog)?") == 1
