"""The Salesforce emulator driven by the real simple-salesforce over HTTPS:
authentication, queries and paging, limits, error shapes, faults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from core.clock import FakeClock
from sandbox.faults import FaultRule
from sandbox.fixtures import salesforce_client_for, sandbox_requests_session
from sandbox.salesforce import SalesforceEmulator
from sandbox.salesforce.ids import make_id

V = "60.0"


def seed_accounts(emu: SalesforceEmulator, count: int) -> list[str]:
    return [emu.store.insert("Account", {"Name": f"Account {i:05d}",
                                         "ContractHub_Id__c": f"CH-{i}"}) for i in range(count)]


def token_request(emu: SalesforceEmulator, session: requests.Session,
                  **data: str) -> requests.Response:
    return session.post(emu.token_url, data=data)


# authentication -------------------------------------------------------------
def test_client_credentials_token_shape(salesforce_sandbox: SalesforceEmulator,
                                        sandbox_session: requests.Session) -> None:
    client_id, secret = salesforce_sandbox.client_credentials()
    answer = token_request(salesforce_sandbox, sandbox_session, grant_type="client_credentials",
                           client_id=client_id, client_secret=secret)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"access_token", "instance_url", "id", "token_type", "issued_at",
                         "signature"}
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == salesforce_sandbox.instance_url
    assert "refresh_token" not in body


def test_client_credentials_by_basic_auth_and_bad_secret(
        salesforce_sandbox: SalesforceEmulator, sandbox_session: requests.Session) -> None:
    client_id, secret = salesforce_sandbox.client_credentials()
    ok = sandbox_session.post(salesforce_sandbox.token_url, auth=(client_id, secret),
                              data={"grant_type": "client_credentials"})
    assert ok.status_code == 200
    bad = token_request(salesforce_sandbox, sandbox_session, grant_type="client_credentials",
                        client_id=client_id, client_secret="wrong")
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_client",
                          "error_description": "invalid client credentials"}
    odd = token_request(salesforce_sandbox, sandbox_session, grant_type="password")
    assert odd.json()["error"] == "unsupported_grant_type"


def jwt_assertion(emu: SalesforceEmulator, clock: FakeClock, **override: Any) -> str:
    claims = {"iss": emu.client_credentials()[0], "sub": emu.username,
              "aud": emu.login_url, "exp": int(clock.now().timestamp()) + 180}
    claims.update(override)
    return jwt.encode(claims, emu.jwt_private_key_pem, algorithm="RS256")


def test_jwt_bearer_flow(salesforce_sandbox: SalesforceEmulator,
                         sandbox_session: requests.Session, sandbox_clock: FakeClock) -> None:
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    def ask(assertion: str) -> requests.Response:
        return token_request(salesforce_sandbox, sandbox_session, grant_type=grant,
                             assertion=assertion)

    good = ask(jwt_assertion(salesforce_sandbox, sandbox_clock))
    assert good.status_code == 200, good.text
    sf = Salesforce(instance_url=good.json()["instance_url"],
                    session_id=good.json()["access_token"], session=sandbox_session, version=V)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0

    expired = ask(jwt_assertion(salesforce_sandbox, sandbox_clock,
                                exp=int(sandbox_clock.now().timestamp()) - 1))
    assert (expired.status_code, expired.json()["error"]) == (400, "invalid_grant")
    wrong_aud = ask(jwt_assertion(salesforce_sandbox, sandbox_clock,
                                  aud="https://login.salesforce.com"))
    assert wrong_aud.json() == {"error": "invalid_grant", "error_description":
                                "audience is invalid"}
    wrong_iss = ask(jwt_assertion(salesforce_sandbox, sandbox_clock, iss="someone-else"))
    assert wrong_iss.json()["error"] == "invalid_client_id"
    other_key = jwt.encode({"iss": "x"}, "not-the-key-" * 4, algorithm="HS256")
    assert ask(other_key).json()["error_description"] == "invalid assertion"


def test_refresh_tokens_rotate(salesforce_sandbox: SalesforceEmulator,
                               sandbox_session: requests.Session) -> None:
    client_id, secret = salesforce_sandbox.client_credentials()
    first = salesforce_sandbox.issue_refresh_token()

    def refresh(token: str) -> requests.Response:
        return token_request(salesforce_sandbox, sandbox_session, grant_type="refresh_token",
                             client_id=client_id, client_secret=secret, refresh_token=token)

    answer = refresh(first)
    assert answer.status_code == 200
    second = answer.json()["refresh_token"]
    assert second != first
    reused = refresh(first)
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant",
                             "error_description": "expired access/refresh token"}
    assert refresh(second).status_code == 200


def test_expired_token_is_401_json_list_and_expired_session(
        salesforce_client: Salesforce, salesforce_sandbox: SalesforceEmulator,
        sandbox_clock: FakeClock) -> None:
    salesforce_client.query("SELECT Id FROM Account")
    sandbox_clock.advance(timedelta(seconds=7201))
    with pytest.raises(SalesforceExpiredSession) as caught:
        salesforce_client.query("SELECT Id FROM Account")
    assert caught.value.content == [{"message": "Session expired or invalid",
                                     "errorCode": "INVALID_SESSION_ID"}]


def test_expire_all_tokens_and_missing_header(salesforce_client: Salesforce,
                                              salesforce_sandbox: SalesforceEmulator,
                                              sandbox_session: requests.Session) -> None:
    salesforce_sandbox.expire_all_tokens()
    with pytest.raises(SalesforceExpiredSession):
        salesforce_client.Account.describe()
    naked = sandbox_session.get(salesforce_sandbox.data_url() + "sobjects/")
    assert naked.status_code == 401
    assert naked.json()[0]["errorCode"] == "INVALID_SESSION_ID"


# queries ----------------------------------------------------------------------
def test_query_paging_default_batch(salesforce_client: Salesforce,
                                    salesforce_sandbox: SalesforceEmulator) -> None:
    seed_accounts(salesforce_sandbox, 2500)
    first = salesforce_client.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert (first["totalSize"], first["done"], len(first["records"])) == (2500, False, 2000)
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{V}/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    assert first["records"][0]["attributes"]["type"] == "Account"
    assert first["records"][0]["attributes"]["url"].startswith(f"/services/data/v{V}/sobjects/")
    assert list(first["records"][0]) == ["attributes", "Id", "Name"]
    second = salesforce_client.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["done"], len(second["records"])) == (True, 500)
    assert "nextRecordsUrl" not in second
    names = [r["Name"] for r in first["records"] + second["records"]]
    assert names == sorted(names) and len(set(names)) == 2500


@pytest.mark.parametrize("batch, pages", [(500, 5), (200, 13), (50, 13), (5000, 2)])
def test_query_all_honours_batch_size(salesforce_client: Salesforce,
                                      salesforce_sandbox: SalesforceEmulator,
                                      batch: int, pages: int) -> None:
    seed_accounts(salesforce_sandbox, 2500)
    headers = {"Sforce-Query-Options": f"batchSize={batch}"}
    result = salesforce_client.query_all("SELECT Id FROM Account", headers=headers)
    assert len(result["records"]) == 2500
    assert len({r["Id"] for r in result["records"]}) == 2500
    assert salesforce_sandbox.calls.count(f"GET /services/data/v{V}/query") == 1
    assert salesforce_sandbox.calls.count(rf"GET /services/data/v{V}/query/01g.*") == pages - 1


def test_query_all_includes_deleted_rows(salesforce_client: Salesforce,
                                         salesforce_sandbox: SalesforceEmulator) -> None:
    ids = seed_accounts(salesforce_sandbox, 3)
    salesforce_client.Account.delete(ids[1])
    live = salesforce_client.query("SELECT Id FROM Account")
    assert [r["Id"] for r in live["records"]] == [ids[0], ids[2]]
    everything = salesforce_client.query_all("SELECT Id, IsDeleted FROM Account",
                                             include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in everything["records"]] == [
        (ids[0], False), (ids[1], True), (ids[2], False)]
    assert salesforce_sandbox.calls.count(f"GET /services/data/v{V}/queryAll") == 1


def test_query_all_pages_keep_deleted_rows(salesforce_client: Salesforce,
                                           salesforce_sandbox: SalesforceEmulator) -> None:
    ids = seed_accounts(salesforce_sandbox, 450)
    for record_id in ids[-50:]:
        salesforce_sandbox.store.delete("Account", record_id)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = salesforce_client.query("SELECT Id FROM Account", include_deleted=True,
                                    headers=headers)
    assert first["totalSize"] == 450
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{V}/query/")  # as documented
    rest = salesforce_client.query_all("SELECT Id, IsDeleted FROM Account",
                                       include_deleted=True, headers=headers)["records"]
    assert sum(r["IsDeleted"] for r in rest) == 50
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1]
    same = salesforce_client.query_more(locator, include_deleted=True, headers=headers)
    assert len(same["records"]) == 200  # queryAll/<locator> serves the same cursor


def test_count_query_and_typed_values(salesforce_client: Salesforce,
                                      salesforce_sandbox: SalesforceEmulator,
                                      sandbox_clock: FakeClock) -> None:
    account = salesforce_sandbox.store.insert("Account", {"Name": "Acme"})
    salesforce_sandbox.store.insert("Contract", {"AccountId": account, "StartDate": "2026-01-01",
                                                 "ContractTerm": 12})
    count = salesforce_client.query("SELECT COUNT() FROM Contract")
    assert count == {"totalSize": 1, "done": True, "records": []}
    row = salesforce_client.query("SELECT ContractNumber, Status, StartDate, EndDate, "
                                  "SystemModstamp FROM Contract")["records"][0]
    assert row["ContractNumber"] == "00000100"
    assert row["Status"] == "Draft"
    assert (row["StartDate"], row["EndDate"]) == ("2026-01-01", "2026-12-31")
    expected = sandbox_clock.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert row["SystemModstamp"] == expected


def test_query_errors_are_400_lists(salesforce_client: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.query("SELECT Id FRO Account")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert "unexpected token: 'FRO'" in caught.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.query("SELECT Nope__c FROM Account")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.query("SELECT Id FROM Nope")
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_dead_query_locator(salesforce_client: Salesforce, salesforce_sandbox: SalesforceEmulator,
                            sandbox_clock: FakeClock) -> None:
    seed_accounts(salesforce_sandbox, 300)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = salesforce_client.query("SELECT Id FROM Account", headers=headers)
    sandbox_clock.advance(timedelta(minutes=16))
    salesforce_sandbox.tokens.lifetime = timedelta(days=1)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        salesforce_client.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


# describe, rows -----------------------------------------------------------------
def test_describe_shape(salesforce_client: Salesforce) -> None:
    describe = salesforce_client.Contract.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "800"
    assert fields["ContractHub_Id__c"]["externalId"] is True
    assert fields["ContractNumber"]["autoNumber"] is True
    assert fields["ContractNumber"]["createable"] is False
    assert fields["EndDate"]["calculated"] is True
    assert [p["value"] for p in fields["Status"]["picklistValues"]] == [
        "Draft", "In Approval Process", "Activated"]
    assert fields["AccountId"]["nillable"] is False
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    for f in describe["fields"]:
        assert {"name", "type", "externalId", "updateable", "createable", "nillable",
                "picklistValues"} <= set(f)
    objects = {o["name"] for o in salesforce_client.describe()["sobjects"]}
    assert objects == {"Account", "Contract"}


def test_row_crud_and_not_found(salesforce_client: Salesforce) -> None:
    created = salesforce_client.Account.create({"Name": "Acme", "Renewal_Date__c": "2026-06-30"})
    assert created["success"] is True and created["errors"] == []
    account_id = created["id"]
    assert len(account_id) == 18 and account_id.startswith("001")
    assert salesforce_client.Account.update(account_id, {"Support_Tier__c": "Gold"}) == 204
    record = salesforce_client.Account.get(account_id)
    assert (record["Support_Tier__c"], record["Renewal_Date__c"]) == ("Gold", "2026-06-30")
    assert salesforce_client.Account.get(account_id[:15])["Id"] == account_id
    assert salesforce_client.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        salesforce_client.Account.delete(account_id)
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as caught:
        salesforce_client.Account.get(make_id("001", 99_999))
    assert caught.value.content == [{"message": "The requested resource does not exist",
                                     "errorCode": "NOT_FOUND"}]


# limits ---------------------------------------------------------------------------
def test_limit_info_header_counts_calls(salesforce_client: Salesforce,
                                        salesforce_sandbox: SalesforceEmulator) -> None:
    for expected in (1, 2, 3):
        salesforce_client.query("SELECT Id FROM Account")
        assert salesforce_client.api_usage["api-usage"].used == expected
        assert salesforce_client.api_usage["api-usage"].total == 15000
    assert salesforce_sandbox.api_usage == 3


def test_request_limit_exceeded_after_the_budget(sandbox_clock: FakeClock) -> None:
    with SalesforceEmulator(clock=sandbox_clock, daily_limit=3) as emu:
        sf = salesforce_client_for(emu, sandbox_requests_session(emu.ca_bundle))
        for _ in range(3):
            sf.query("SELECT Id FROM Account")
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.query("SELECT Id FROM Account")
        assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                         "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        sandbox_clock.advance(timedelta(hours=24, seconds=1))  # the window rolls on
        sf.session_id = emu.issue_access_token()
        sf.headers["Authorization"] = "Bearer " + sf.session_id
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


# faults -------------------------------------------------------------------------------
def test_429_with_retry_after_after_n_calls(salesforce_client: Salesforce,
                                            salesforce_sandbox: SalesforceEmulator) -> None:
    salesforce_sandbox.faults.add_rule(FaultRule(rf"^GET /services/data/v{V}/query", 429,
                                                 retry_after=7, after=2, times=1))
    salesforce_client.query("SELECT Id FROM Account")
    salesforce_client.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceGeneralError) as caught:
        salesforce_client.query("SELECT Id FROM Account")
    assert caught.value.status == 429
    salesforce_client.query("SELECT Id FROM Account")
    assert salesforce_sandbox.calls.statuses(rf"GET /services/data/v{V}/query") == [
        200, 200, 429, 200]
    assert salesforce_sandbox.api_usage == 3  # the injected answer cost nothing


def test_fault_answer_carries_retry_after_and_vendor_body(
        salesforce_sandbox: SalesforceEmulator, sandbox_session: requests.Session) -> None:
    salesforce_sandbox.add_fault(pattern="sobjects", status=503, retry_after=1.5)
    answer = sandbox_session.get(salesforce_sandbox.data_url() + "sobjects/")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1.5"
    assert answer.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
