"""A change whose flush fails inside a savepoint leaves no outbox row behind.

Found by two daemons creating same-named customers at once: the failed insert's
pending outbox entry (no id yet) used to be written by the next flush as local id
"None", and every later cycle of that sync crashed on it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.models import Customer
from core.sync_models import OutboxEntry, SyncSubscription


def test_a_rolled_back_insert_queues_nothing_and_later_changes_queue_normally(hub):
    with hub.session() as s, s.begin():
        s.add(SyncSubscription(sync="crm_accounts", entity="customer"))
    with hub.session() as s, s.begin():
        s.add(Customer(name="Acme"))
    with hub.session() as s, s.begin():
        with pytest.raises(IntegrityError):
            with s.begin_nested():
                s.add(Customer(name="Acme"))     # the unique name is taken
                s.flush()
        s.add(Customer(name="Globex"))
    with hub.session() as s:
        rows = s.scalars(select(OutboxEntry.local_id).where(
            OutboxEntry.sync == "crm_accounts").order_by(OutboxEntry.id)).all()
        ids = {c.name: str(c.id) for c in s.scalars(select(Customer))}
    assert "None" not in rows
    assert rows == [ids["Acme"], ids["Globex"]]


def test_a_stray_outbox_entry_drains_instead_of_crashing_the_sync(hub, remote, accounts, cycle):
    """A store left with an outbox row for local id "None" (written before the fix)."""
    from datetime import UTC, datetime

    with hub.session() as s, s.begin():
        s.add(Customer(name="Acme"))
    cycle(accounts)
    with hub.session() as s, s.begin():
        s.add(OutboxEntry(sync=accounts.name, entity="customer", local_id="None", op="upsert",
                          created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    cycle(accounts)                                   # ok, not a crash
    with hub.session() as s:
        assert s.scalar(select(OutboxEntry).where(OutboxEntry.local_id == "None")) is None
