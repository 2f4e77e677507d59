"""Failures, each as what should happen next: TLS, auth, throttling, outages, bad
searches, and sweeps that are complete or raise."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import certifi
import pytest
import requests

from connectors.base import ConfigError, RateLimited, RetryLater, StopSync, WriteOp
from tests.jira.conftest import COVERAGE, make_connector, read_all, ticket


def test_the_configured_ca_wins_over_requests_ca_bundle(emu, jira_clock, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    with pytest.raises(requests.exceptions.SSLError):  # what the environment alone gives
        requests.get(f"{emu.base_url}/rest/api/2/serverInfo", timeout=10)
    conn = make_connector(emu, jira_clock)
    conn.check()  # serverInfo + myself over the sandbox CA, despite the variables
    assert conn.calls.counts == {"read": 2}


def test_a_wrong_ca_is_a_clear_stop(emu, jira_clock):
    conn = make_connector(emu, jira_clock, ca_bundle=certifi.where())
    with pytest.raises(StopSync, match="ca_bundle"):
        conn.check()


def test_refused_credentials_stop_the_sync_without_naming_them(emu, jira_clock):
    conn = make_connector(emu, jira_clock)
    secret = conn.settings.pat or conn.settings.api_token
    emu.rotate_credentials()
    with pytest.raises(StopSync) as caught:
        conn.check()
    text = caught.value.user_message + caught.value.detail
    assert "401" in text and "credentials" in text
    assert secret and secret not in text


def test_429_is_rate_limited_with_the_servers_retry_after(connector, emu):
    emu.add_fault(pattern=r"GET .*/search", status=429, retry_after=7, times=1)
    with pytest.raises(RateLimited) as caught:
        read_all(connector)
    assert caught.value.retry_after == 7
    assert emu.calls.count(r"GET .*/search.*") == 1  # the library did not retry


def test_an_http_date_retry_after_is_read_not_crashed_on(connector, emu, jira_clock):
    when = jira_clock.now() + timedelta(seconds=90)
    emu.add_fault(pattern=r"PUT .*/issue/", status=429, times=1,
                  headers={"Retry-After": format_datetime(when, usegmt=True)})
    issue = ticket(emu)
    with pytest.raises(RateLimited) as caught:
        connector.write("issue", None, [WriteOp(key="1", fields={COVERAGE: "x"},
                                                remote_id=issue.id)])
    assert caught.value.retry_after == 90


@pytest.mark.parametrize(("status", "kind"), [(500, RetryLater), (502, RetryLater),
                                              (503, RateLimited)])
def test_server_errors_are_transient(connector, emu, status, kind):
    emu.add_fault(pattern=r"GET .*/search", status=status, times=1)
    with pytest.raises(kind):
        read_all(connector)
    read_all(connector)  # and the next attempt works


def test_an_unreachable_site_is_transient(emu, jira_clock):
    conn = make_connector(emu, jira_clock)
    emu.stop()
    with pytest.raises(RetryLater, match="unreachable"):
        conn.check()


def test_a_refused_search_is_a_config_error_with_jiras_message(emu, jira_clock):
    conn = make_connector(emu, jira_clock, projects=["NOPE"])
    with pytest.raises(ConfigError, match="The value 'NOPE' does not exist for the field "
                                          "'project'"):
        read_all(conn)


def test_settings_are_checked_without_echoing_secrets():
    base = {"url": "https://x.atlassian.net", "projects": ["SUP"],
            "customer_rule": {"field": "Organization"}}
    from connectors.jira import JiraConnector

    for bad, words in [({"url": "http://x"}, "https://"),
                       ({"auth": {"email": "a@b"}}, "api_token"),
                       ({"auth": {"pat": "s3cret"}, "projects": []}, "projects"),
                       ({"auth": {"pat": "s3cret"}, "customer_rule": {"guess": True}},
                        "customer_rule"),
                       ({"auth": {"pat": "s3cret"}, "contract_url": "https://h/c"}, "{number}"),
                       ({"auth": {"pat": "s3cret"}, "lag": 2}, "unknown setting 'lag'")]:
        with pytest.raises(ConfigError, match=words) as caught:
            JiraConnector(name="j", settings={**base, **bad})
        assert "s3cret" not in str(caught.value)
    conn = JiraConnector(name="j", settings={**base, "auth": {"pat": "s3cret"}})
    assert "s3cret" not in repr(conn.settings)
    assert conn.calls.total == 0  # built without a call


def test_a_complete_sweep_lists_every_live_issue(connector, emu):
    connector.page_size = 2
    issues = [ticket(emu, f"T{i}") for i in range(5)]
    emu.store.delete_issue(issues[1].key)
    assert connector.sweep_ids("issue") == {i.id for n, i in enumerate(issues) if n != 1}


def test_a_failing_sweep_raises_rather_than_answering_a_partial_set(connector, emu):
    connector.page_size = 2
    for i in range(5):
        ticket(emu, f"T{i}")
    emu.add_fault(pattern=r"GET .*/search", status=500, after=1)  # page 2 onwards
    with pytest.raises(RetryLater):
        connector.sweep_ids("issue")


def test_a_deletion_during_a_sweep_does_not_hide_a_live_issue(connector, emu, jira_clock,
                                                              monkeypatch):
    connector.page_size = 2
    issues = []
    for i in range(6):
        issues.append(ticket(emu, f"T{i}"))
        jira_clock.advance(60)
    original, pages = connector.api.search_page, []

    def deleting(*args, **kwargs):
        answer = original(*args, **kwargs)
        pages.append(answer)
        if len(pages) == 1:
            emu.store.delete_issue(issues[0].key)  # a person deletes one already listed
        return answer

    monkeypatch.setattr(connector.api, "search_page", deleting)
    live = connector.sweep_ids("issue")
    assert {i.id for i in issues[1:]} <= live
