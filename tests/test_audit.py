"""Audit chain verification: tampering of every kind is named, untouched chains pass."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from core import audit
from core.models import AuditEvent, Contract
from tests.factories import contract, customer


@pytest.fixture
def chain(hub):
    with hub.session() as s, s.begin():
        c = contract(s, customer(s), "C-1", status="draft")
    for status in ("approved", "active", "expired"):
        with hub.session() as s, s.begin():
            s.get(Contract, c.id).status = status
    return hub


def test_untouched_chain_verifies(chain):
    with chain.session() as s:
        r = audit.verify(s)
        assert r.ok and r.checked == 4 and r.head == audit.head(s)


def test_edited_payload_is_named(chain):
    with chain.session() as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3)
                  .values(payload={"changes": {"status": ["approved", "cancelled"]}}))
    with chain.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.broken_seq == 3 and "edited" in r.reason and r.checked == 2


def test_edited_actor_is_named(chain):
    with chain.session() as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory"))
    with chain.session() as s:
        assert audit.verify(s).broken_seq == 2


def test_deleted_row_is_named(chain):
    with chain.session() as s, s.begin():
        s.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    with chain.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.broken_seq == 2 and "missing" in r.reason


def test_swapped_rows_are_named(chain):
    with chain.session() as s, s.begin():
        a, b = s.scalars(select(AuditEvent).where(AuditEvent.seq.in_([2, 3]))
                         .order_by(AuditEvent.seq)).all()
        a_seq, b_seq = a.seq, b.seq
        a.seq, b.seq = -1, -2
        s.flush()
        a.seq, b.seq = b_seq, a_seq
    with chain.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.broken_seq == 2


def test_truncated_tail_is_caught_against_an_anchored_head(chain):
    with chain.session() as s:
        anchored = audit.head(s)
    with chain.session() as s, s.begin():
        s.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    with chain.session() as s:
        assert audit.verify(s).ok  # a shorter chain is self-consistent...
        r = audit.verify(s, expect_head=anchored)
    assert not r.ok and "newest events deleted" in r.reason  # ...but not the anchored one


def test_appends_across_flushes_and_a_rolled_back_savepoint_keep_one_chain(hub):
    now = hub.clock.now()

    def add(s, i):
        return audit.append(s, at=now, actor="t", action="x", entity="e", entity_id=i,
                            payload={"i": i})

    with hub.session() as s, s.begin():
        add(s, 1)
        add(s, 2)
        s.flush()                      # the tail is now in the database, not pending
        add(s, 3)
        try:
            with s.begin_nested():
                add(s, 4)              # rolled back: the chain must not build on it
                raise RuntimeError
        except RuntimeError:
            pass
        add(s, 5)
    with hub.session() as s:
        result = audit.verify(s)
        ids = [e.entity_id for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert result.ok, result.reason
    assert ids == ["1", "2", "3", "5"]
