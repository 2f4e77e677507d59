"""msal against the identity emulator over HTTPS: tokens, caching, refused secrets,
401 refresh, and the settings checks shared by the Graph and Dynamics connectors."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from connectors.base import ConfigError, RetryLater, StopSync
from connectors.msal_auth import MsalAuth, MsalAuthSettings, parse_auth
from sandbox.microsoft_identity import GRAPH_RESOURCE

GRAPH_SCOPE = GRAPH_RESOURCE + "/.default"


def auth_for(emu: Any, secret: str | None = None, tenant: str | None = None) -> MsalAuth:
    client_id, real_secret = emu.client_credentials()
    settings = MsalAuthSettings(tenant or emu.tenant_id, client_id, secret or real_secret,
                                emu.base_url)
    return MsalAuth(settings, ca_bundle=emu.ca_bundle, timeout=10)


def test_token_is_valid_at_graph_and_cached(microsoft_identity: Any) -> None:
    auth = auth_for(microsoft_identity)
    token = auth.token(GRAPH_SCOPE)
    assert microsoft_identity.validate(f"Bearer {token}", GRAPH_RESOURCE)
    assert microsoft_identity.validate(token, "https://org.crm.dynamics.com") is None
    assert auth.token(GRAPH_SCOPE) == token
    assert microsoft_identity.calls.count(r"POST /.*/oauth2/v2.0/token") == 1
    assert microsoft_identity.calls.count(r"GET /.*/v2.0/.well-known/openid-configuration") == 1
    assert auth.requests == 1


def test_tenant_domain_works_as_authority(microsoft_identity: Any) -> None:
    auth = auth_for(microsoft_identity, tenant="contoso.onmicrosoft.com")
    assert microsoft_identity.validate(auth.token(GRAPH_SCOPE), GRAPH_RESOURCE)


def test_wrong_secret_is_a_clear_stop_without_the_secret(microsoft_identity: Any) -> None:
    secret = "wrong-secret-Zq9~value"
    with pytest.raises(StopSync) as caught:
        auth_for(microsoft_identity, secret=secret).token(GRAPH_SCOPE)
    message = caught.value.user_message
    assert "auth.client_secret" in message and "AADSTS7000215" in message
    assert secret not in message and secret not in caught.value.detail
    assert secret not in repr(caught.value.args)
    assert microsoft_identity.calls.statuses(r"POST /.*/token") == [401]


def test_unknown_tenant_names_the_setting(microsoft_identity: Any) -> None:
    with pytest.raises(ConfigError, match="auth.tenant_id"):
        auth_for(microsoft_identity, tenant="nowhere.onmicrosoft.com").token(GRAPH_SCOPE)


def test_unknown_resource_and_bad_scope(microsoft_identity: Any) -> None:
    auth = auth_for(microsoft_identity)
    with pytest.raises(ConfigError, match="AADSTS500011"):
        auth.token("https://org.crm.dynamics.com/.default")
    microsoft_identity.add_resource("https://org.crm.dynamics.com")
    auth = auth_for(microsoft_identity)  # msal remembers a 400 for 60 s: a new app
    token = auth.token("https://org.crm.dynamics.com/.default")
    assert microsoft_identity.validate(token, "https://org.crm.dynamics.com")
    with pytest.raises(ConfigError, match="AADSTS1002012"):
        auth.token("https://graph.microsoft.com/Files.Read")


def test_expired_token_refreshes_once_for_all_threads(microsoft_identity: Any) -> None:
    auth = auth_for(microsoft_identity)
    stale = auth.token(GRAPH_SCOPE)
    microsoft_identity.expire_all_tokens()
    assert microsoft_identity.validate(stale, GRAPH_RESOURCE) is None
    fresh: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        fresh.append(auth.refresh(GRAPH_SCOPE, stale))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(fresh)) == 1 and stale not in fresh
    assert microsoft_identity.validate(fresh[0], GRAPH_RESOURCE)
    assert microsoft_identity.calls.count(r"POST /.*/token") == 2


def test_token_lifetime_follows_the_emulator_clock(microsoft_identity: Any,
                                                   sandbox_clock: Any) -> None:
    token = auth_for(microsoft_identity).token(GRAPH_SCOPE)
    sandbox_clock.advance(timedelta(seconds=3598))
    assert microsoft_identity.validate(token, GRAPH_RESOURCE)
    sandbox_clock.advance(timedelta(seconds=2))
    assert microsoft_identity.validate(token, GRAPH_RESOURCE) is None


def test_busy_identity_platform_is_retry_later(microsoft_identity: Any) -> None:
    microsoft_identity.add_fault(pattern=r"POST .*/token", status=503, retry_after=2)
    with pytest.raises(RetryLater):
        auth_for(microsoft_identity).token(GRAPH_SCOPE)


def test_unreachable_authority_is_retry_later(microsoft_identity: Any) -> None:
    auth = auth_for(microsoft_identity)
    microsoft_identity.stop()
    with pytest.raises(RetryLater):
        auth.token(GRAPH_SCOPE)


@pytest.mark.parametrize(("raw", "needle"), [
    (None, "needs an auth block"),
    ({"tenant_id": "t", "client_id": "c"}, "auth.client_secret is required"),
    ({"tenant_id": "t", "client_id": "c", "client_secret": "s", "extra": 1}, "'extra'"),
    ({"tenant_id": "t", "client_id": "c", "client_secret": "s",
      "authority_host": "http://login.example"}, "auth.authority_host"),
    ({"tenant_id": "https://login/t", "client_id": "c", "client_secret": "s"}, "tenant_id"),
])
def test_auth_settings_errors_name_the_key(raw: Any, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")) as caught:
        parse_auth("connection 'sp'", raw)
    assert "connection 'sp'" in str(caught.value)


def test_auth_settings_keep_the_secret_out_of_repr() -> None:
    settings = parse_auth("c", {"tenant_id": "t", "client_id": "c",
                                "client_secret": "very-secret"})
    assert "very-secret" not in repr(settings)
    assert settings.authority == "https://login.microsoftonline.com/t"
