"""Dataverse emulator fidelity, checked against the Web API documents' examples: $filter,
paging, upsert codes with If-Match/If-None-Match, etags, change tracking, errors, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from sandbox.dataverse import odata_filter
from sandbox.dataverse.schema import TIERS
from sandbox.fixtures import sandbox_requests_session

GUID = "60c4e274-0d87-e711-80e5-00155db19e6d"


@pytest.fixture
def api(dataverse_sandbox):
    """(session with a bearer token, the API URL) for the emulated org."""
    emu = dataverse_sandbox
    token = emu.identity.issue_token(emu.org_url)
    session = sandbox_requests_session(emu.ca_bundle)
    session.headers.update({"Authorization": f"Bearer {token}", "OData-Version": "4.0",
                            "OData-MaxVersion": "4.0", "Accept": "application/json"})
    yield session, emu.api_url
    session.close()


def seed_accounts(emu, n: int = 5) -> list[str]:
    return [emu.store.insert("account", {"name": f"Account {i}", "chub_contracthubid": str(i),
                                         "address1_city": ("Leeds", "York")[i % 2],
                                         "chub_supporttier": TIERS["Basic"] if i else None})
            for i in range(n)]


@pytest.mark.parametrize("text, expected", [
    ("name eq 'Account 1'", {"1"}),
    ("contains(name,'count 3') or startswith(name,'ACCOUNT 4')", {"3", "4"}),
    ("not (address1_city eq 'Leeds') and chub_contracthubid ne '1'", {"3"}),
    ("chub_supporttier eq null", {"0"}),
    ("chub_supporttier eq 100000000 and (chub_contracthubid eq '1' or "
     "chub_contracthubid eq '2')", {"1", "2"}),
    ("createdon ge 2026-01-01T00:00:00Z and chub_contracthubid le '1'", {"0", "1"}),
    (f"accountid eq {GUID}", set()),
    ("name eq 'O''Neil'", set()),
])
def test_filters_in_the_subset_select_the_right_rows(api, dataverse_sandbox, text, expected):
    session, url = api
    seed_accounts(dataverse_sandbox)
    answer = session.get(url + "accounts", params={"$filter": text,
                                                   "$select": "chub_contracthubid"})
    assert answer.status_code == 200, answer.text
    assert {r["chub_contracthubid"] for r in answer.json()["value"]} == expected


@pytest.mark.parametrize("text, message", [
    ("name eq", "Syntax error at position 7 in 'name eq'."),
    ("name has 'x'", "Syntax error at position 5"),
    ("(name eq 'x'", "Syntax error at position 12"),
    ("substringof('x',name)", "Syntax error at position 11"),
    ("nosuch eq 1", "Could not find a property named 'nosuch' on type "
                    "'Microsoft.Dynamics.CRM.account'."),
])
def test_filters_outside_the_subset_answer_the_odata_error(api, text, message):
    session, url = api
    answer = session.get(url + "accounts", params={"$filter": text})
    assert answer.status_code == 400
    assert answer.headers["OData-Version"] == "4.0"
    error = answer.json()["error"]
    assert error["code"] == "0x80060888" and message in error["message"]


def test_the_parser_builds_the_documented_precedence():
    tree = odata_filter.parse("a eq 1 or b eq 2 and not c eq 3")
    assert isinstance(tree, odata_filter.Bool) and tree.op == "or"
    assert isinstance(tree.right, odata_filter.Bool) and tree.right.op == "and"
    assert isinstance(tree.right.right, odata_filter.Not)
    assert odata_filter.properties(tree) == {"a", "b", "c"}


def test_maxpagesize_pages_with_next_links_orderby_and_top(api, dataverse_sandbox):
    session, url = api
    seed_accounts(dataverse_sandbox)
    headers = {"Prefer": "odata.maxpagesize=2"}
    first = session.get(url + "accounts", headers=headers,
                        params={"$select": "name", "$orderby": "address1_city desc,name asc"})
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=2"
    names, body = [], first.json()
    while True:
        assert len(body["value"]) <= 2 and all("@odata.etag" in r for r in body["value"])
        names += [r["name"] for r in body["value"]]
        if "@odata.nextLink" not in body:
            break
        body = session.get(body["@odata.nextLink"], headers=headers).json()
    assert names == ["Account 1", "Account 3", "Account 0", "Account 2", "Account 4"]
    top = session.get(url + "accounts", params={"$top": "3", "$select": "name"}).json()
    assert len(top["value"]) == 3 and "@odata.nextLink" not in top
    assert top["@odata.context"].endswith("$metadata#accounts(name)")


def test_upsert_by_alternate_key_and_its_conditions(api, dataverse_sandbox):
    session, url = api
    by_key = url + "accounts(chub_contracthubid='42')"
    created = session.patch(by_key, json={"name": "Contoso"})
    assert created.status_code == 204 and created.text == ""
    entity_id = created.headers["OData-EntityId"]
    assert entity_id.startswith(url + "accounts(") and entity_id.endswith(")")
    again = session.patch(by_key, json={"name": "Contoso Ltd"})  # the same call: an update
    assert again.status_code == 204 and again.headers["OData-EntityId"] == entity_id
    assert len(dataverse_sandbox.store.all("account")) == 1
    # If-Match: * never creates; If-None-Match: * never updates
    missing = session.patch(url + "accounts(chub_contracthubid='43')", json={"name": "x"},
                            headers={"If-Match": "*"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "0x80040217"
    present = session.patch(by_key, json={"name": "y"}, headers={"If-None-Match": "*"})
    assert present.status_code == 412
    assert len(dataverse_sandbox.store.all("account")) == 1
    # return=representation: 201 for a create, 200 for an update, with the row's etag
    rep = session.patch(url + "accounts(chub_contracthubid='44')", json={"name": "New"},
                        headers={"Prefer": "return=representation"},
                        params={"$select": "name"})
    assert rep.status_code == 201 and rep.json()["name"] == "New"
    etag = rep.json()["@odata.etag"]
    assert etag.startswith('W/"')
    rid = rep.json()["accountid"]
    updated = session.patch(f"{url}accounts({rid})", json={"name": "Newer"},
                            headers={"Prefer": "return=representation", "If-Match": etag})
    assert updated.status_code == 200 and updated.json()["@odata.etag"] != etag
    stale = session.patch(f"{url}accounts({rid})", json={"name": "Stale"},
                          headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "0x80060882"
    assert session.get(f"{url}accounts({rid})").json()["name"] == "Newer"


def test_create_read_delete_and_payload_errors(api, dataverse_sandbox):
    session, url = api
    made = session.post(url + "accounts", json={"name": "Fabrikam", "chub_contracthubid": "7"})
    assert made.status_code == 204
    rid = made.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    assert session.get(url + "accounts(chub_contracthubid='7')").json()["accountid"] == rid
    bad = session.post(url + "accounts", json={"nosuch": 1})
    assert bad.status_code == 400 and "'nosuch' does not exist" in bad.json()["error"]["message"]
    long = session.post(url + "accounts", json={"name": "x" * 161})
    assert long.status_code == 400 and long.json()["error"]["code"] == "0x80044331"
    option = session.post(url + "accounts", json={"name": "y", "chub_supporttier": 5})
    assert option.status_code == 400 and "outside the valid range" in option.text
    contract = session.post(url + "chub_supportcontracts", json={
        "chub_name": "C-1", "chub_AccountId@odata.bind": f"/accounts({GUID})"})
    assert contract.status_code == 404  # a lookup to a row that does not exist
    assert session.delete(f"{url}accounts({rid})").status_code == 204
    gone = session.delete(f"{url}accounts({rid})")
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == f"account With Id = {rid} Does Not Exist"


def test_change_tracking_returns_changes_and_deleted_entities(api, dataverse_sandbox, clock):
    session, url = api
    emu = dataverse_sandbox
    ids = seed_accounts(emu, 3)
    first = session.get(url + "accounts", params={"$select": "name"},
                        headers={"Prefer": "odata.track-changes"})
    assert "odata.track-changes" in first.headers["Preference-Applied"]
    body = first.json()
    assert len(body["value"]) == 3 and body["@odata.context"].endswith("accounts(name)/$delta")
    delta = body["@odata.deltaLink"]
    assert "$select=name&$deltatoken=" in delta
    emu.store.update("account", ids[0], {"name": "Changed"})
    emu.store.delete("account", ids[1])
    changes = session.get(delta).json()
    changed = [r for r in changes["value"] if "@odata.etag" in r]
    deleted = [r for r in changes["value"] if "$deletedEntity" in r.get("@odata.context", "")]
    assert [r["name"] for r in changed] == ["Changed"]
    assert deleted == [{"@odata.context": f"{url}$metadata#accounts/$deletedEntity",
                        "id": ids[1], "reason": "deleted"}]
    again = session.get(changes["@odata.deltaLink"]).json()
    assert again["value"] == []
    # a token past the retention (30 days) or one the org no longer knows is refused
    clock.advance(timedelta(days=31))
    session.headers["Authorization"] = f"Bearer {emu.identity.issue_token(emu.org_url)}"
    expired = session.get(changes["@odata.deltaLink"])
    assert expired.status_code == 400 and "expired" in expired.json()["error"]["message"]
    fresh = session.get(url + "accounts", params={"$select": "name"},
                        headers={"Prefer": "odata.track-changes"}).json()["@odata.deltaLink"]
    emu.store.expire_change_tracking()
    assert session.get(fresh).status_code == 400
    assert session.get(url + "accounts?$select=name&$deltatoken=garbage").status_code == 400


def test_tokens_service_protection_and_headers(api, dataverse_sandbox):
    session, url = api
    emu = dataverse_sandbox
    anonymous = requests.get(url + "accounts", verify=emu.ca_bundle)
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["WWW-Authenticate"]
    wrong = session.get(url + "accounts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = session.get(url + "WhoAmI")
    assert ok.status_code == 200 and ok.json()["UserId"]
    remaining = int(ok.headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    assert remaining == emu.limits.limit - 1
    emu.limits.set_used(emu.identity.client_credentials()[0], emu.limits.limit)
    throttled = session.get(url + "accounts")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "300"
    assert throttled.json()["error"] == {
        "code": "0x80072322",
        "message": "Number of requests exceeded the limit of 6000 over time window of 300 "
                   "seconds."}


def test_metadata_describes_columns_keys_and_lookups(api):
    session, url = api
    base = url + "EntityDefinitions(LogicalName='chub_supportcontract')"
    table = session.get(base).json()
    assert (table["EntitySetName"], table["PrimaryIdAttribute"]) == (
        "chub_supportcontracts", "chub_supportcontractid")
    attrs = {a["LogicalName"]: a for a in session.get(base + "/Attributes").json()["value"]}
    assert attrs["chub_renewaldate"]["Format"] == "DateOnly"
    assert attrs["chub_accountid"]["Targets"] == ["account"]
    assert "OptionSet" not in attrs["chub_supporttier"]  # a navigation property
    choices = session.get(base + "/Attributes/Microsoft.Dynamics.CRM."
                                 "PicklistAttributeMetadata",
                          params={"$select": "LogicalName",
                                  "$expand": "OptionSet($select=Options)"}).json()["value"]
    tier = next(c for c in choices if c["LogicalName"] == "chub_supporttier")
    assert [o["Value"] for o in tier["OptionSet"]["Options"]] == list(TIERS.values())
    keys = session.get(base + "/Keys").json()["value"]
    assert keys[0]["KeyAttributes"] == ["chub_contracthubid"]
    rel = session.get(base + "/ManyToOneRelationships").json()["value"]
    assert rel[0]["ReferencingEntityNavigationPropertyName"] == "chub_AccountId"
    assert session.get(url + "EntityDefinitions(LogicalName='nosuch')").status_code == 404


def test_batch_runs_requests_in_order_and_stops_at_the_first_error_unless_asked(
        api, dataverse_sandbox):
    from connectors.dynamics import batch

    session, url = api
    parts = [batch.Part("PATCH", url + "accounts(chub_contracthubid='1')", {}, {"name": "A"}),
             batch.Part("POST", url + "accounts", {}, {"name": "x" * 161}),
             batch.Part("POST", url + "accounts", {"Prefer": "return=representation"},
                        {"name": "C"})]
    content_type, body = batch.encode(parts)
    stopped = session.post(url + "$batch", data=body, headers={"Content-Type": content_type})
    assert stopped.status_code == 200
    assert stopped.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    answers = batch.decode(stopped.headers["Content-Type"], stopped.text)
    assert [a.status for a in answers] == [204, 400]  # the third never ran
    assert answers[0].headers["odata-entityid"].startswith(url + "accounts(")
    assert answers[1].body["error"]["code"] == "0x80044331"
    assert len(dataverse_sandbox.store.all("account")) == 1
    content_type, body = batch.encode(parts)
    all_of_them = session.post(url + "$batch", data=body, headers={
        "Content-Type": content_type, "Prefer": "odata.continue-on-error"})
    answers = batch.decode(all_of_them.headers["Content-Type"], all_of_them.text)
    assert [a.status for a in answers] == [204, 400, 201]
    assert answers[2].body["name"] == "C"
    not_multipart = session.post(url + "$batch", json={})
    assert not_multipart.status_code == 400
