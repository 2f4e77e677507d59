"""Logging in, refreshing, and what each failure becomes -- against the emulator."""

from __future__ import annotations

import json
import logging

import pytest

from connectors.base import ConfigError, RateLimited, RetryLater, StopSync
from connectors.salesforce import SalesforceConnector
from tests.salesforce.conftest import DATA, sf_settings

TOKEN = "POST /services/oauth2/token"


def make(emu, clock, **settings) -> SalesforceConnector:
    return SalesforceConnector(name="salesforce", settings=sf_settings(emu, **settings),
                               clock=clock)


def test_client_credentials_login_then_one_cheap_call(connector, salesforce_sandbox):
    connector.check()
    assert salesforce_sandbox.calls.count(TOKEN) == 1
    assert salesforce_sandbox.calls.count(f"GET {DATA}/limits") == 1
    assert connector.calls.counts == {"token": 1, "check": 1}


def test_jwt_bearer_with_a_key_file_relative_to_the_config(salesforce_sandbox, clock, tmp_path):
    emu = salesforce_sandbox
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "sf.pem").write_bytes(emu.jwt_private_key_pem)
    conn = make(emu, clock, _config_folder=str(tmp_path), auth={
        "method": "jwt", "client_id": emu.client_credentials()[0], "username": emu.username,
        "private_key_file": "keys/sf.pem"})
    conn.check()
    wrong_user = make(emu, clock, _config_folder=str(tmp_path), auth={
        "method": "jwt", "client_id": emu.client_credentials()[0], "username": "who@else",
        "private_key_file": "keys/sf.pem"})
    with pytest.raises(StopSync, match="salesforce: login refused: user hasn't approved"):
        wrong_user.check()


def test_rotating_refresh_tokens_are_stored_atomically_and_reused(salesforce_sandbox, clock,
                                                                   tmp_path):
    emu = salesforce_sandbox
    client_id, secret = emu.client_credentials()
    auth = {"method": "refresh_token", "client_id": client_id, "client_secret": secret,
            "refresh_token": emu.issue_refresh_token(), "token_store": "state/sf-token.json"}
    first = make(emu, clock, _config_folder=str(tmp_path), auth=auth)
    first.check()
    store = tmp_path / "state" / "sf-token.json"
    rotated = json.loads(store.read_text())["refresh_token"]
    assert rotated != auth["refresh_token"] and oct(store.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in store.parent.iterdir()] == ["sf-token.json"]  # no temp left
    emu.expire_all_tokens()
    first.check()  # 401 -> refresh with the rotated token -> rotated again
    assert json.loads(store.read_text())["refresh_token"] != rotated
    # a restart: the configured token is spent, the stored one works
    second = make(emu, clock, _config_folder=str(tmp_path), auth=auth)
    second.check()
    without_store = make(emu, clock, auth={**auth, "token_store": None})
    with pytest.raises(StopSync, match="login refused: expired access/refresh token"):
        without_store.check()


def test_a_refused_login_names_the_reason_never_the_secret(salesforce_sandbox, clock, caplog):
    emu = salesforce_sandbox
    secret = "s3cr3t-value-never-shown"
    conn = make(emu, clock, auth={"method": "client_credentials",
                                  "client_id": emu.client_credentials()[0],
                                  "client_secret": secret})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StopSync) as caught:
        conn.check()
    assert caught.value.user_message == "salesforce: login refused: invalid client credentials"
    for text in (str(caught.value), caught.value.detail, caplog.text, repr(conn.settings)):
        assert secret not in text


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    connector.check()
    emu.expire_all_tokens()
    connector.check()
    assert emu.calls.count(TOKEN) == 2
    assert emu.calls.statuses(f"GET {DATA}/limits") == [200, 401, 200]


def test_a_token_refused_again_after_refreshing_stops_the_sync(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    emu.add_fault(pattern=r"GET .*/limits", status=401)
    with pytest.raises(StopSync, match="refused .*INVALID_SESSION_ID.* even after a fresh login"):
        connector.check()
    assert emu.calls.count(TOKEN) == 2  # one refresh, no loop
    assert emu.calls.count(f"GET {DATA}/limits") == 2


@pytest.mark.parametrize("status, retry_after, error", [
    (429, 12, RateLimited), (503, 30, RateLimited), (500, None, RetryLater),
    (502, None, RetryLater)])
def test_throttling_and_outages_are_retry_later_with_retry_after(
        connector, salesforce_sandbox, status, retry_after, error):
    salesforce_sandbox.add_fault(pattern=r"GET .*/limits", status=status,
                                 retry_after=retry_after, times=1)
    with pytest.raises(error) as caught:
        connector.check()
    assert type(caught.value) is error
    assert getattr(caught.value, "retry_after", None) == retry_after
    connector.check()  # the connector itself never retried or slept


def test_the_daily_limit_wall_stops_the_sync(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    emu.budget.set_used(emu.budget.daily_limit)
    with pytest.raises(StopSync, match="daily API request limit is used up "
                                       r"\(REQUEST_LIMIT_EXCEEDED\)"):
        connector.check()


def test_the_configured_ca_wins_over_the_environment(salesforce_sandbox, clock, monkeypatch,
                                                     tmp_path):
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    make(salesforce_sandbox, clock).check()  # the sandbox CA, whatever the environment says
    with pytest.raises(StopSync, match="TLS verification failed.*ca_bundle"):
        make(salesforce_sandbox, clock, ca_bundle=certifi.where()).check()


def test_a_connection_error_is_retry_later(salesforce_sandbox, clock):
    conn = make(salesforce_sandbox, clock, login_url="https://127.0.0.1:9")
    with pytest.raises(RetryLater, match="unreachable"):
        conn.check()


@pytest.mark.parametrize("settings, message", [
    ({"auth": None}, "needs an auth block"),
    ({"auth": {"method": "password"}}, "auth.method must be one of"),
    ({"auth": {"method": "client_credentials", "client_id": "x"}}, "needs auth.client_secret"),
    ({"auth": {"method": "jwt", "client_id": "x", "username": "u"}},
     "needs auth.private_key_file"),
    ({"login_url": "http://login.example"}, "login_url must be an https:// URL"),
    ({"budget_share": 1.5}, "budget_share must be between"),
    ({"ca_bundle": "missing.pem"}, "ca_bundle .* is not a file"),
    ({"colour": "blue"}, "unknown setting 'colour'"),
    ({"api_version": "sixty"}, "api_version must look like"),
])
def test_settings_errors_name_the_key(salesforce_sandbox, clock, settings, message):
    with pytest.raises(ConfigError, match=message):
        make(salesforce_sandbox, clock, **settings)


def test_the_api_version_is_pinned(salesforce_sandbox, clock):
    conn = make(salesforce_sandbox, clock, api_version="v59")
    conn.check()
    assert salesforce_sandbox.calls.count("GET /services/data/v59.0/limits") == 1
