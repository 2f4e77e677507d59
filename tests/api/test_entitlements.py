"""``GET /v1/entitlements``: the same answer as ``core.entitlement``, from the store only."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

import connectors.base
from core.api.schemas import EntitlementOut
from core.entitlement import find_customer, for_ticket, resolve
from tests.api.conftest import Seeded, TestClient, auth


def lookup(client: TestClient, seeded: Seeded, **params: str) -> dict:
    r = client.get("/v1/entitlements", params=params, headers=auth(seeded.tokens["agent"]))
    assert r.status_code == 200, r.text
    EntitlementOut.model_validate(r.json())  # the documented shape
    return r.json()


@pytest.mark.parametrize("who", ["Acme Corp", "acme corp", "acme.example", "1"])
def test_customer_answer_matches_resolve(client: TestClient, seeded: Seeded, who: str) -> None:
    body = lookup(client, seeded, customer=who)
    hub = seeded.hub
    with hub.session() as s:
        want = resolve(s, find_customer(s, who), hub.clock.now()).to_dict()
    assert {k: v for k, v in body.items() if k not in ("summary", "ticket")} == want
    assert body["ticket"] is None
    assert body["entitled"] and body["tier"] == "premium" and body["coverage"] == "24x7"
    assert body["contracts"] == ["C-1", "C-2"]
    # the explanation: what grants it, what sets the targets, and why C-3 does not count
    reasons = "\n".join(body["reasons"])
    assert "C-1 (support, premium, 24x7" in reasons
    assert "sev1: first response 10min" in reasons
    assert "C-3 (support, standard) is expired" in reasons
    assert body["summary"].startswith("premium, 24x7, until 2026-12-31")


def test_at_moves_the_answer(client: TestClient, seeded: Seeded) -> None:
    body = lookup(client, seeded, customer="Acme Corp", at="2025-06-01T12:00:00Z")
    with seeded.hub.session() as s:
        want = resolve(s, find_customer(s, "Acme Corp"),
                       datetime(2025, 6, 1, 12, tzinfo=UTC)).to_dict()
    assert body["entitled"] is False and body["at"] == "2025-06-01T12:00:00+00:00"
    assert body["reasons"] == want["reasons"]
    assert body["reasons"][0].startswith("no contract of Acme Corp is in force")


def test_ticket_answer_matches_for_ticket(client: TestClient, seeded: Seeded) -> None:
    body = lookup(client, seeded, ticket="SUP-1")
    with seeded.hub.session() as s:
        ticket, ent = for_ticket(s, "SUP-1")
        want = ent.to_dict()
    assert {k: v for k, v in body.items() if k not in ("summary", "ticket")} == want
    assert body["ticket"] == {"key": "SUP-1", "severity": "sev1", "status": "Open",
                              "created_at": "2026-02-27T16:30:00+00:00",
                              "contract_number": "C-1"}
    assert body["at"] == "2026-02-27T16:30:00+00:00"  # opened then, not now


def test_not_entitled_customer(client: TestClient, seeded: Seeded) -> None:
    body = lookup(client, seeded, customer="Globex")
    assert body["entitled"] is False and body["contracts"] == []
    assert any("G-1 (support, standard) is draft" in r for r in body["reasons"])


@pytest.mark.parametrize("params, status, words", [
    ({}, 400, "exactly one of `customer` or `ticket`"),
    ({"customer": "Acme Corp", "ticket": "SUP-1"}, 400, "exactly one"),
    ({"customer": "Acme Corp", "at": "yesterday"}, 400, "not an ISO 8601 time"),
    ({"customer": "Nobody Inc"}, 404, "no customer named 'Nobody Inc'"),
    ({"ticket": "SUP-404"}, 404, "no ticket 'SUP-404' in the store"),
])
def test_bad_lookups_say_what_is_wrong(client: TestClient, seeded: Seeded, params: dict,
                                       status: int, words: str) -> None:
    r = client.get("/v1/entitlements", params=params, headers=auth(seeded.tokens["agent"]))
    assert r.status_code == status
    assert words in r.json()["detail"]


def test_lookup_makes_no_remote_call(client: TestClient, seeded: Seeded,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """No connector is made, and no connection opened except to the store itself."""
    def no_connectors(*_a: object, **_k: object) -> None:
        raise AssertionError("a connector was made while answering a lookup")

    monkeypatch.setattr(connectors.base, "connector_factories", no_connectors)
    monkeypatch.setattr(connectors.base, "load_connector", no_connectors)
    opened: list[object] = []
    real_connect = socket.socket.connect

    def watch(self: socket.socket, address: object) -> object:
        opened.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", watch)
    seeded.hub.engine.dispose()  # so a store connection, if any, is opened in sight
    calls_before = seeded.remote.calls.total
    lookup(client, seeded, customer="Acme Corp")
    lookup(client, seeded, ticket="SUP-1")
    assert seeded.remote.calls.total == calls_before
    store_port = seeded.hub.engine.url.port or 5432
    others = [a for a in opened if not (isinstance(a, tuple) and a[1] == store_port)]
    assert others == []


@pytest.mark.parametrize("params, most", [
    ({"customer": "Acme Corp"}, 3),  # token; customer + plans; contracts
    ({"customer": "1"}, 3),
    ({"customer": "acme.example"}, 6),  # by domain: a miss, find_customer's two, plans
    ({"ticket": "SUP-1"}, 4),  # token; ticket + customer + plans; ticket; contracts
])
def test_lookup_is_a_bounded_number_of_queries(client: TestClient, seeded: Seeded,
                                               params: dict, most: int) -> None:
    """Never one query per contract: the SLA plans come in one query, not lazy-loaded."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_a) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    engine = seeded.hub.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        lookup(client, seeded, **params)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    lazy_loads = [q for q in statements if "WHERE sla_plans.id = " in q]
    assert lazy_loads == [] and any("sla_plans" in q for q in statements), statements
    assert len(statements) <= most, statements


def test_a_dead_pooled_connection_is_replaced(pg_url: str, clock, tmp_path) -> None:  # noqa: ANN001
    """The serving engine does not ping before each checkout: a connection the database
    dropped (a restart) fails the token check, is discarded, and the check runs again."""
    import psycopg

    from core.api import create_app
    from core.api.app import serving_hub
    from core.config import HubConfig
    from core.db import open_store, session_factory
    from core.hub import Hub
    from tests.api.conftest import PG_ADMIN, configure, seed

    engine = open_store(pg_url, auto_migrate=True)
    hub = serving_hub(Hub(HubConfig(path=tmp_path / "contracthub.yaml", store={"url": pg_url}),
                          engine, session_factory(engine), clock))
    assert hub.engine.pool._pre_ping is False  # type: ignore[attr-defined]
    seeded = seed(configure(hub, tmp_path))
    try:
        with TestClient(create_app(seeded.hub)) as client:
            lookup(client, seeded, customer="Acme Corp")
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()",
                             (pg_url.rsplit("/", 1)[1],))
            assert lookup(client, seeded, customer="Acme Corp")["customer"] == "Acme Corp"
    finally:
        seeded.hub.engine.dispose()
