"""Site metadata, authentication and TLS, driven by the real ``jira`` library."""

from __future__ import annotations

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox.jira import JiraEmulator
from sandbox.jira.client import jira_client
from sandbox.jira.errors import AUTH_REQUIRED


def test_cloud_server_info_makes_the_library_use_cloud_search(jira_cloud_client: JIRA) -> None:
    info = jira_cloud_client.server_info()
    assert info["deploymentType"] == "Cloud"
    assert info["versionNumbers"][0] == 1001
    assert jira_cloud_client._is_cloud


def test_datacenter_server_info_reports_server(jira_dc_client: JIRA) -> None:
    info = jira_dc_client.server_info()
    assert info["deploymentType"] == "Server"
    assert tuple(info["versionNumbers"]) >= (9, 0, 0)
    assert not jira_dc_client._is_cloud


def test_myself_gives_the_profile_time_zone(jira_cloud: JiraEmulator,
                                            jira_cloud_client: JIRA) -> None:
    me = jira_cloud_client.myself()
    assert me["timeZone"] == "UTC"
    assert me["accountId"] == jira_cloud.api_user.account_id
    assert me["emailAddress"] == jira_cloud.basic_auth[0]
    jira_cloud.user_timezone = "America/Los_Angeles"
    assert jira_cloud_client.myself()["timeZone"] == "America/Los_Angeles"


def test_datacenter_myself_names_the_user(jira_dc: JiraEmulator, jira_dc_client: JIRA) -> None:
    me = jira_dc_client.myself()
    assert me["name"] == jira_dc.api_user.name
    assert "accountId" not in me


def test_field_list_has_custom_fields_with_duplicate_names(jira_cloud_client: JIRA) -> None:
    fields = jira_cloud_client.fields()
    by_id = {f["id"]: f for f in fields}
    assert by_id["summary"]["custom"] is False
    assert by_id["updated"]["schema"] == {"type": "datetime", "system": "updated"}
    tiers = [f for f in fields if f["name"] == "Tier"]
    assert len(tiers) == 2 and len({f["id"] for f in tiers}) == 2
    severity = next(f for f in fields if f["name"] == "Severity")
    assert severity["custom"] is True
    number = severity["id"].removeprefix("customfield_")
    assert severity["clauseNames"] == [f"cf[{number}]", "Severity"]
    assert severity["schema"]["type"] == "option"
    assert severity["schema"]["customId"] == int(number)
    due = next(f for f in fields if f["name"] == "First Response Due")
    assert due["schema"]["type"] == "datetime"
    names = {f["name"] for f in fields}
    assert {"Organization", "Support Tier", "Coverage", "Resolution Due", "SLA Breached",
            "Contract Number", "First Response At"} <= names


def test_custom_fields_can_be_replaced() -> None:
    emu = JiraEmulator(custom_fields=[{"id": 12000, "name": "Plan", "type": "option",
                                       "options": ["A", "B"]}])
    customs = [f for f in emu.store.catalog.fields if f.custom]
    assert [f.id for f in customs] == ["customfield_12000"]
    with pytest.raises(ValueError):
        JiraEmulator(custom_fields=[{"id": "x", "name": "Bad"}])


def test_wrong_api_token_is_401_in_jiras_words(jira_cloud: JiraEmulator) -> None:
    email, _ = jira_cloud.basic_auth
    client = JIRA(server=jira_cloud.base_url, basic_auth=(email, "wrong"),
                  options={"verify": jira_cloud.ca_bundle}, max_retries=0, timeout=10,
                  get_server_info=True)  # serverInfo is anonymous, as in Jira
    with pytest.raises(JIRAError) as caught:
        client.myself()
    assert caught.value.status_code == 401
    assert AUTH_REQUIRED in caught.value.text
    client.close()


def test_bearer_pat_is_accepted_and_a_wrong_one_is_not(jira_dc: JiraEmulator,
                                                       raw_session) -> None:
    client = jira_client(jira_dc, auth="pat")
    assert client.myself()["name"] == jira_dc.api_user.name
    client.close()
    session = raw_session(jira_dc, auth=None)
    answer = session.get(f"{jira_dc.base_url}/rest/api/2/myself",
                         headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.json() == {"message": AUTH_REQUIRED, "status-code": 401}
    assert answer.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


def test_anonymous_and_unknown_schemes_are_refused(jira_cloud: JiraEmulator,
                                                   raw_session) -> None:
    session = raw_session(jira_cloud, auth=None)
    url = f"{jira_cloud.base_url}/rest/api/3/myself"
    assert session.get(url).status_code == 401
    assert session.get(url, headers={"Authorization": "Digest abc"}).status_code == 401
    assert session.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert session.get(f"{jira_cloud.base_url}/rest/api/3/serverInfo").status_code == 200


def test_rotated_credentials_stop_working(jira_cloud: JiraEmulator, raw_session) -> None:
    old = raw_session(jira_cloud)
    jira_cloud.rotate_credentials()
    assert old.get(f"{jira_cloud.base_url}/rest/api/2/myself").status_code == 401
    assert raw_session(jira_cloud).get(
        f"{jira_cloud.base_url}/rest/api/2/myself").status_code == 200


def test_unknown_paths_and_versions_answer_404(jira_cloud: JiraEmulator, jira_dc: JiraEmulator,
                                               raw_session) -> None:
    cloud = raw_session(jira_cloud)
    assert cloud.get(f"{jira_cloud.base_url}/rest/api/3/nothing").status_code == 404
    assert cloud.get(
        f"{jira_cloud.base_url}/rest/applinks/latest/listApplicationlinks").status_code == 404
    dc = raw_session(jira_dc)
    assert dc.get(f"{jira_dc.base_url}/rest/api/3/myself").status_code == 404
    assert dc.get(f"{jira_dc.base_url}/rest/api/latest/myself").status_code == 200


def test_the_sandbox_ca_is_what_the_client_trusts(jira_cloud: JiraEmulator) -> None:
    """``options={"verify": CA}`` wins over REQUESTS_CA_BUNDLE (jira sends verify on
    every request); the system bundle alone cannot reach the emulator."""
    client = jira_client(jira_cloud)
    assert client.myself()["accountId"]
    client.close()
    with pytest.raises(requests.exceptions.SSLError):
        JIRA(server=jira_cloud.base_url, basic_auth=jira_cloud.basic_auth,
             options={"verify": requests.certs.where()}, max_retries=0, timeout=10)


def test_emulator_refuses_bad_settings() -> None:
    with pytest.raises(ValueError):
        JiraEmulator(mode="server")
    with pytest.raises(Exception):  # noqa: B017 - ZoneInfoNotFoundError
        JiraEmulator(user_timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        JiraEmulator(page_max=0)
