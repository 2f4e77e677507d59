"""Rate limiting (the emulator's own budget and FaultyApp 429 storms), fault
injection and call accounting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jira import JIRA, JIRAError

from core.clock import FakeClock
from sandbox.jira import JiraEmulator
from sandbox.jira.client import jira_client
from sandbox.jira.errors import RATE_LIMITED


def test_budget_spent_answers_429_with_atlassian_headers(jira_cloud: JiraEmulator,
                                                         jira_clock: FakeClock,
                                                         raw_session) -> None:
    jira_clock.set(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC))
    jira_cloud.set_rate_limit(3, window=60)
    session = raw_session(jira_cloud)
    url = f"{jira_cloud.base_url}/rest/api/3/myself"
    remaining = [session.get(url).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    jira_clock.advance(15)
    refused = session.get(url)
    assert refused.status_code == 429
    assert refused.json() == {"errorMessages": [RATE_LIMITED], "errors": {}}
    headers = refused.headers
    assert headers["Retry-After"] == "45"  # an integer number of seconds
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == "2026-03-02T09:02Z"  # 09:01:10 rounded up
    assert headers["RateLimit-Reason"] == "jira-burst-based"
    assert headers["X-RateLimit-NearLimit"] == "true"
    jira_clock.advance(45)
    assert session.get(url).status_code == 200  # a new window
    assert session.get(f"{jira_cloud.base_url}/rest/api/3/serverInfo").status_code == 200


def test_library_with_no_retries_raises_429(jira_cloud: JiraEmulator,
                                            jira_cloud_client: JIRA) -> None:
    jira_cloud.set_rate_limit(0)
    with pytest.raises(JIRAError) as caught:
        jira_cloud_client.myself()
    assert caught.value.status_code == 429
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    assert jira_cloud.calls.count("GET /rest/api/2/myself") == 1  # no retry happened


def test_datacenter_sends_token_bucket_headers(jira_dc: JiraEmulator, raw_session) -> None:
    jira_dc.set_rate_limit(2, window=1)
    session = raw_session(jira_dc)
    url = f"{jira_dc.base_url}/rest/api/2/myself"
    ok = session.get(url).headers
    assert ok["X-RateLimit-FillRate"] == "2" and ok["X-RateLimit-Interval-Seconds"] == "1"
    assert ok["Retry-After"] == "0" and ok["X-RateLimit-Remaining"] == "1"
    session.get(url)
    refused = session.get(url)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "RateLimit-Reason" not in refused.headers


def test_unauthenticated_calls_do_not_spend_the_budget(jira_cloud: JiraEmulator,
                                                       raw_session) -> None:
    jira_cloud.set_rate_limit(1)
    anonymous = raw_session(jira_cloud, auth=None)
    for _ in range(3):
        assert anonymous.get(f"{jira_cloud.base_url}/rest/api/2/myself").status_code == 401
    assert raw_session(jira_cloud).get(
        f"{jira_cloud.base_url}/rest/api/2/myself").status_code == 200


def test_fault_rules_give_429_storms_and_5xx(jira_cloud: JiraEmulator, raw_session) -> None:
    jira_cloud.store.create_issue(summary="x")
    jira_cloud.add_fault(pattern=r"GET .*/search/jql", status=429, retry_after=7, times=2,
                         headers={"RateLimit-Reason": "jira-quota-tenant-based"})
    jira_cloud.add_fault(pattern=r"PUT .*/issue/", status=503, times=1)
    session = raw_session(jira_cloud)
    url = f"{jira_cloud.base_url}/rest/api/3/search/jql"
    storm = [session.get(url, params={"jql": "project = SUP"}) for _ in range(3)]
    assert [r.status_code for r in storm] == [429, 429, 200]
    assert storm[0].headers["Retry-After"] == "7"
    assert storm[0].json() == {"errorMessages": [RATE_LIMITED], "errors": {}}
    assert storm[0].headers["RateLimit-Reason"] == "jira-quota-tenant-based"
    put = session.put(f"{jira_cloud.base_url}/rest/api/2/issue/SUP-1",
                      json={"fields": {"summary": "y"}})
    assert put.status_code == 503
    assert jira_cloud.store.issue("SUP-1").get("summary") == "x"  # the fault hid the app
    assert [c.faulted for c in jira_cloud.calls.matching(r"GET .*/search/jql")] == \
        [True, True, False]


def test_fault_delays_sleep_on_the_fake_clock(jira_cloud: JiraEmulator,
                                              jira_clock: FakeClock, raw_session) -> None:
    start = jira_clock.now()
    jira_cloud.add_fault(pattern=r"GET .*/myself", status=None, delay=30, times=1)
    assert raw_session(jira_cloud).get(
        f"{jira_cloud.base_url}/rest/api/2/myself").status_code == 200
    assert jira_clock.now() - start == timedelta(seconds=30)


def test_reads_and_writes_are_counted_apart(jira_dc: JiraEmulator) -> None:
    jira_dc.store.create_issue(summary="x")
    client = jira_client(jira_dc)
    jira_dc.calls.reset()
    client.search_issues("project = SUP", use_post=True)
    issue = client.issue("SUP-1")
    issue.update(fields={"summary": "y"})
    client.add_comment("SUP-1", "hi")
    client.transition_issue("SUP-1", "Start Progress")
    client.close()
    assert jira_dc.write_count == 3  # PUT, comment, transition (search POST is a read)
    assert [c.method for c in jira_dc.writes()] == ["PUT", "POST", "POST"]
    assert jira_dc.read_count == len(jira_dc.calls) - 3


def test_rate_limit_settings_are_checked() -> None:
    emu = JiraEmulator(clock=FakeClock())
    with pytest.raises(ValueError):
        emu.set_rate_limit(-1)
    with pytest.raises(ValueError):
        emu.set_rate_limit(5, window=0)
    emu.set_rate_limit(None)
    assert emu.limiter.remaining is None
