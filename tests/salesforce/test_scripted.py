"""Edge cases the emulator cannot easily script, with ``responses`` in strict mode:
every registered answer must be asked for, and nothing else may be."""

from __future__ import annotations

import threading

import pytest
import responses
from responses import matchers

from connectors.base import RateLimited, RetryLater
from connectors.salesforce import SalesforceConnector
from core.clock import FakeClock

LOGIN = "https://login.example.test"
INSTANCE = "https://acme.my.example.test"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
DATA = f"{INSTANCE}/services/data/v60.0"
QUERY = f"{DATA}/query/"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def conn() -> SalesforceConnector:
    return SalesforceConnector(name="salesforce", clock=FakeClock(), settings={
        "type": "salesforce", "login_url": LOGIN, "page_size": 500,
        "auth": {"method": "client_credentials", "client_id": "app", "client_secret": "s"}})


def token(rsps, access: str) -> None:
    rsps.post(TOKEN_URL, json={"access_token": access, "instance_url": INSTANCE,
                               "token_type": "Bearer", "id": f"{LOGIN}/id/00D/005"},
              match=[matchers.urlencoded_params_matcher({
                  "grant_type": "client_credentials", "client_id": "app",
                  "client_secret": "s"})])


def bearer(access: str) -> list:
    return [matchers.header_matcher({"Authorization": f"Bearer {access}"})]


def row(i: int) -> dict:
    return {"attributes": {"type": "Account"}, "Id": f"001Dn00000000{i:02d}AAA",
            "SystemModstamp": "2026-01-05T08:00:00.000+0000", "Name": f"A{i}"}


def test_a_malformed_json_body_is_retry_later(rsps, conn):
    token(rsps, "T1")
    rsps.get(QUERY, body="<html>upstream hiccup", status=200,
             content_type="application/json", match=bearer("T1"))
    with pytest.raises(RetryLater, match="was not valid JSON"):
        list(conn.read_changes("Account", None, ["Name"]))


def test_a_401_mid_page_is_refreshed_once_and_the_page_read_again(rsps, conn):
    token(rsps, "T1")
    more = "/services/data/v60.0/query/01gXX-2"
    rsps.get(QUERY, json={"totalSize": 3, "done": False, "nextRecordsUrl": more,
                          "records": [row(1), row(2)]},
             match=[*bearer("T1"), matchers.header_matcher(
                 {"Sforce-Query-Options": "batchSize=500"})])
    rsps.get(INSTANCE + more, status=401, match=bearer("T1"),
             json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    token(rsps, "T2")
    rsps.get(INSTANCE + more, json={"totalSize": 3, "done": True, "records": [row(3)]},
             match=bearer("T2"))
    pages = list(conn.read_changes("Account", {"v": 1, "ts": None, "id": "",
                                               "del": "2026-01-05T09:00:00+00:00"}, ["Name"]))
    assert [r.fields["Name"] for p in pages for r in p.records] == ["A1", "A2", "A3"]
    assert conn.calls.counts == {"token": 2, "query": 3}


def test_two_threads_hitting_a_401_share_one_token_request(rsps, conn):
    token(rsps, "T1")
    both_rejected = threading.Barrier(2, timeout=10)

    def expired(request):
        both_rejected.wait()  # both calls hold the old token before either refreshes
        return 401, {}, '[{"message": "expired", "errorCode": "INVALID_SESSION_ID"}]'

    rsps.add_callback(responses.GET, f"{DATA}/limits/", callback=expired, match=bearer("T1"))
    token(rsps, "T2")
    rsps.get(f"{DATA}/limits/", json={"DailyApiRequests": {"Max": 15000}}, match=bearer("T2"))
    conn.api.tokens.current()
    errors: list[BaseException] = []

    def check() -> None:
        try:
            conn.check()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    token_calls = [c for c in rsps.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 2  # the first login and ONE refresh
    assert conn.calls.counts["token"] == 2 and conn.calls.counts["check"] == 4


def test_retry_after_as_an_http_date(rsps, conn):
    token(rsps, "T1")
    rsps.get(f"{DATA}/limits/", status=429, headers={
        "Retry-After": "Mon, 05 Jan 2099 09:00:00 GMT", "Sforce-Limit-Info": "api-usage=5/100"})
    with pytest.raises(RateLimited) as caught:
        conn.check()
    assert caught.value.retry_after > 0
    assert conn.api.usage == (5, 100)


def test_a_collections_answer_of_the_wrong_length_is_not_trusted(rsps, conn):
    from connectors.base import WriteOp

    token(rsps, "T1")
    rsps.patch(f"{DATA}/composite/sobjects/Account/ContractHub_Id__c",
               json=[{"id": "001Dn0000000001AAA", "success": True, "errors": []}],
               match=[matchers.json_params_matcher({"allOrNone": False, "records": [
                   {"attributes": {"type": "Account"}, "Name": "A", "ContractHub_Id__c": "1"},
                   {"attributes": {"type": "Account"}, "Name": "B", "ContractHub_Id__c": "2"},
               ]})])
    with pytest.raises(RetryLater, match="answered 1 results for 2 records"):
        conn.write("Account", "ContractHub_Id__c", [WriteOp("1", {"Name": "A"}),
                                                    WriteOp("2", {"Name": "B"})])
