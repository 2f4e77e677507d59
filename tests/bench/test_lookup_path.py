"""The lookup API's one-query customer path answers exactly what ``resolve`` answers.

Over the benchmark's own book (bench.lookup.rows: capped contracts with tickets
served, SLA plans, business hours in five zones with holiday calendars, expired,
draft and terminated contracts, customers without one), on SQLite and
PostgreSQL, at several instants; and it costs two statements (the token, the
answer) whatever the customer has.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from bench.lookup import seed
from core.api.entitlements import entitlement_body, lookup
from core.entitlement import NotFound, find_customer, resolve
from core.models import Customer


def test_the_customer_path_matches_resolve(hub):
    names = seed(hub.config.store.url, 120)
    base = hub.clock.now()
    capped_seen = 0
    with hub.session() as s:
        for at in (base - timedelta(days=400), base, base + timedelta(days=200)):
            for name in names[::3]:
                got = lookup(s, customer=name, ticket=None, at=at)
                want = entitlement_body(resolve(s, find_customer(s, name), at))
                assert got == want, name
                capped_seen += got["remaining_incidents"] not in (None, 0)
        by_id = str(s.scalar(select(Customer.id).where(Customer.name == names[4])))
        assert lookup(s, customer=by_id, ticket=None, at=base) == \
            lookup(s, customer=names[4], ticket=None, at=base)
        assert lookup(s, customer=names[4].upper(), ticket=None, at=base)["customer"] == \
            names[4]  # find_customer's other rules still apply
    assert capped_seen  # the book does exercise incident caps


def test_the_customer_path_is_one_query_after_the_token(hub):
    names = seed(hub.config.store.url, 40)
    statements: list[str] = []

    def count(_conn, _cur, statement, *_a) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(hub.engine, "before_cursor_execute", count)
    try:
        with hub.session() as s:
            for name in names:
                lookup(s, customer=name, ticket=None, at=hub.clock.now())
    finally:
        event.remove(hub.engine, "before_cursor_execute", count)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(names)


def test_an_unknown_customer_is_not_found(hub):
    seed(hub.config.store.url, 4)
    with hub.session() as s:
        try:
            lookup(s, customer="Nobody Ltd", ticket=None, at=hub.clock.now())
        except NotFound as exc:
            assert "Nobody Ltd" in str(exc)
        else:
            raise AssertionError("no NotFound")
