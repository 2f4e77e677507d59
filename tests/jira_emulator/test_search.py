"""Issue search on Cloud (``/search/jql``, ``nextPageToken``) and Data Center
(``/search``, ``startAt``/``total``), through the real ``jira`` library."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from sandbox.jira import JiraEmulator
from sandbox.jira.errors import BAD_PAGE_TOKEN, SEARCH_GONE, UNBOUNDED_JQL


def seed(emu: JiraEmulator, count: int, project: str = "SUP") -> None:
    for n in range(count):
        emu.store.create_issue(project, summary=f"ticket {n}", Severity="sev3")


def test_cloud_pages_with_next_page_token_until_the_last_page(jira_cloud: JiraEmulator,
                                                              jira_cloud_client: JIRA) -> None:
    seed(jira_cloud, 250)
    jira_cloud.calls.reset()
    issues = jira_cloud_client.enhanced_search_issues(
        "project = SUP ORDER BY key ASC", maxResults=False, fields=["summary", "updated"])
    assert [i.key for i in issues] == [f"SUP-{n}" for n in range(1, 251)]
    pages = jira_cloud.calls.matching("GET /rest/api/2/search/jql")
    assert len(pages) == 3
    assert "nextPageToken" not in pages[0].query and "nextPageToken" in pages[2].query
    assert issues[0].fields.summary == "ticket 0"


def test_cloud_page_shape_has_no_total_and_the_last_page_no_token(
        jira_cloud: JiraEmulator, jira_cloud_client: JIRA) -> None:
    seed(jira_cloud, 120)
    first = jira_cloud_client.enhanced_search_issues("project = SUP", maxResults=100,
                                                     json_result=True)
    assert len(first["issues"]) == 100 and first["isLast"] is False
    assert "total" not in first and first["nextPageToken"]
    last = jira_cloud_client.enhanced_search_issues(
        "project = SUP", maxResults=100, nextPageToken=first["nextPageToken"], json_result=True)
    assert len(last["issues"]) == 20 and last["isLast"] is True
    assert "nextPageToken" not in last
    keys = {i["key"] for i in first["issues"]} | {i["key"] for i in last["issues"]}
    assert len(keys) == 120


def test_cloud_page_size_is_capped(jira_cloud: JiraEmulator, jira_cloud_client: JIRA) -> None:
    seed(jira_cloud, 130)
    page = jira_cloud_client.enhanced_search_issues("project = SUP", maxResults=500,
                                                    json_result=True)
    assert len(page["issues"]) == 100


def test_cloud_post_search_and_default_fields_are_ids_only(jira_cloud: JiraEmulator,
                                                           raw_session) -> None:
    seed(jira_cloud, 3)
    session = raw_session(jira_cloud)
    url = f"{jira_cloud.base_url}/rest/api/3/search/jql"
    bare = session.get(url, params={"jql": "project = SUP"}).json()
    assert bare["issues"][0] == {"id": bare["issues"][0]["id"]}
    posted = session.post(url, json={"jql": "project = SUP ORDER BY key DESC", "maxResults": 2,
                                     "fields": ["summary", "customfield_10019"]}).json()
    assert [i["key"] for i in posted["issues"]] == ["SUP-3", "SUP-2"]
    assert set(posted["issues"][0]["fields"]) == {"summary", "customfield_10019"}
    more = session.post(url, json={"jql": "project = SUP ORDER BY key DESC", "maxResults": 2,
                                   "nextPageToken": posted["nextPageToken"]}).json()
    assert [i["id"] for i in more["issues"]] == [jira_cloud.store.issue("SUP-1").id]
    bad = session.post(url, json={"jql": "project = SUP", "startAt": 5})
    assert bad.status_code == 400


def test_cloud_field_selection(jira_cloud: JiraEmulator, raw_session) -> None:
    seed(jira_cloud, 1)
    jira_cloud.store.add_comment("SUP-1", "hello")
    url = f"{jira_cloud.base_url}/rest/api/2/search/jql"
    session = raw_session(jira_cloud)
    every = session.get(url, params={"jql": "key = SUP-1", "fields": "*all"}).json()
    navigable = session.get(url, params={"jql": "key = SUP-1", "fields": "*navigable"}).json()
    minus = session.get(url, params={"jql": "key = SUP-1",
                                     "fields": "*all,-comment,-description"}).json()
    assert "comment" in every["issues"][0]["fields"]
    assert "comment" not in navigable["issues"][0]["fields"]
    assert "customfield_10015" in navigable["issues"][0]["fields"]
    assert {"comment", "description"}.isdisjoint(minus["issues"][0]["fields"])


def test_a_token_belongs_to_its_query(jira_cloud: JiraEmulator, raw_session) -> None:
    seed(jira_cloud, 5)
    session = raw_session(jira_cloud)
    url = f"{jira_cloud.base_url}/rest/api/2/search/jql"
    token = session.get(url, params={"jql": "project = SUP", "maxResults": 2}).json()[
        "nextPageToken"]
    other = session.get(url, params={"jql": "project = SUP ORDER BY key", "nextPageToken":
                                     token})
    assert other.status_code == 400
    assert other.json() == {"errorMessages": [BAD_PAGE_TOKEN], "errors": {}}
    junk = session.get(url, params={"jql": "project = SUP", "nextPageToken": "%%%"})
    assert junk.status_code == 400


def test_unbounded_cloud_query_is_refused(jira_cloud: JiraEmulator,
                                          jira_cloud_client: JIRA) -> None:
    seed(jira_cloud, 1)
    with pytest.raises(JIRAError) as caught:
        jira_cloud_client.enhanced_search_issues("ORDER BY created DESC")
    assert caught.value.status_code == 400
    assert UNBOUNDED_JQL in caught.value.text


def test_old_search_is_gone_on_cloud(jira_cloud: JiraEmulator, raw_session) -> None:
    for version in ("2", "3", "latest"):
        answer = raw_session(jira_cloud).get(
            f"{jira_cloud.base_url}/rest/api/{version}/search", params={"jql": "project = SUP"})
        assert answer.status_code == 410
        assert answer.json() == {"errorMessages": [SEARCH_GONE], "errors": {}}


def test_the_library_refuses_start_at_on_cloud(jira_cloud_client: JIRA) -> None:
    with pytest.raises(JIRAError):
        jira_cloud_client.search_issues("project = SUP", startAt=10)


def test_datacenter_search_pages_with_start_at_and_total(jira_dc: JiraEmulator,
                                                         jira_dc_client: JIRA) -> None:
    seed(jira_dc, 250)
    jira_dc.calls.reset()
    issues = jira_dc_client.search_issues("project = SUP ORDER BY key ASC", maxResults=False,
                                          fields="summary")
    assert [i.key for i in issues] == [f"SUP-{n}" for n in range(1, 251)]
    assert issues.total == 250
    assert jira_dc.calls.count("GET /rest/api/2/search") == 3
    page = jira_dc_client.search_issues("project = SUP ORDER BY key ASC", startAt=240,
                                        maxResults=50, json_result=True)
    assert page["startAt"] == 240 and page["total"] == 250 and len(page["issues"]) == 10


def test_datacenter_post_search_and_no_enhanced_search(jira_dc: JiraEmulator,
                                                       raw_session) -> None:
    seed(jira_dc, 3)
    session = raw_session(jira_dc)
    posted = session.post(f"{jira_dc.base_url}/rest/api/2/search",
                          json={"jql": "project = SUP", "startAt": 1, "maxResults": 1,
                                "fields": ["summary"]}).json()
    assert posted["total"] == 3 and posted["startAt"] == 1 and len(posted["issues"]) == 1
    assert set(posted["issues"][0]["fields"]) == {"summary"}
    assert session.get(f"{jira_dc.base_url}/rest/api/2/search/jql",
                       params={"jql": "project = SUP"}).status_code == 404
    everything = session.get(f"{jira_dc.base_url}/rest/api/2/search").json()
    assert everything["total"] == 3  # Data Center allows an unbounded query


def test_search_sees_edits_between_pages_as_jira_does(jira_cloud: JiraEmulator,
                                                      raw_session) -> None:
    seed(jira_cloud, 4)
    session = raw_session(jira_cloud)
    url = f"{jira_cloud.base_url}/rest/api/2/search/jql"
    jql = "project = SUP ORDER BY key ASC"
    first = session.get(url, params={"jql": jql, "maxResults": 2, "fields": "key"}).json()
    jira_cloud.store.delete_issue("SUP-1")
    second = session.get(url, params={"jql": jql, "maxResults": 2, "fields": "key",
                                      "nextPageToken": first["nextPageToken"]}).json()
    assert [i["key"] for i in second["issues"]] == ["SUP-4"]  # SUP-3 slid onto page one
