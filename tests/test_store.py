"""The store on SQLite and PostgreSQL alike: round trips, constraints, hooks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.changes import ContractLocked
from core.models import AuditEvent, Contract, Document, SlaPlan, Ticket
from core.sync_models import OutboxEntry, SyncSubscription
from tests.factories import contract, customer


def test_contract_round_trip_keeps_every_term(hub):
    with hub.session() as s, s.begin():
        plan = SlaPlan(name="Gold", targets={"sev1": {"first_response_min": 30,
                                                       "resolution_min": 240}},
                       credit_rule={"percent_per_breach": {"sev1": 10}, "monthly_cap_percent": 30})
        cust = customer(s, "Acme Corp", domain="acme.example", timezone="America/New_York")
        parent = contract(s, cust, "C-1", value=Decimal("48000.50"), currency="EUR",
                          coverage="24x7", timezone="Europe/Berlin", holiday_calendar="DE-BY",
                          scope=["Platform", "API"], exclusions=["Custom code"],
                          uptime_target=Decimal("99.950"), incident_cap=12, sla_plan=plan,
                          escalation_contacts=[{"name": "Ops", "email": "ops@acme.example"}])
        contract(s, cust, "C-1-A1", kind="amendment", parent=parent)
    with hub.session() as s:
        c = s.scalar(select(Contract).where(Contract.number == "C-1"))
        assert (c.value, c.currency, c.coverage, c.timezone) == (Decimal("48000.50"), "EUR",
                                                                 "24x7", "Europe/Berlin")
        assert c.scope == ["Platform", "API"] and c.exclusions == ["Custom code"]
        assert c.uptime_target == Decimal("99.950") and c.incident_cap == 12
        assert c.sla_plan.targets["sev1"]["resolution_min"] == 240
        assert c.escalation_contacts[0]["email"] == "ops@acme.example"
        amendment = s.scalar(select(Contract).where(Contract.number == "C-1-A1"))
        assert amendment.parent.number == "C-1"
        assert c.updated_at == hub.clock.now()


def test_times_come_back_aware_utc(hub):
    created = datetime(2026, 3, 8, 6, 30, tzinfo=UTC) + timedelta(microseconds=0)
    with hub.session() as s, s.begin():
        cust = customer(s)
        s.add(Ticket(key="SUP-1", customer_id=cust.id, created_at=created.astimezone(
            datetime.now().astimezone().tzinfo)))
    with hub.session() as s:
        t = s.scalar(select(Ticket))
        assert t.created_at == created and t.created_at.tzinfo is not None
        assert t.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(hub):
    with hub.session() as s, pytest.raises(Exception, match="naive datetime"), s.begin():
        s.add(Ticket(key="SUP-2", created_at=datetime(2026, 1, 1, 9)))


@pytest.mark.parametrize("bad, constraint", [
    ({"end_date": date(2025, 12, 31)}, "term"),
    ({"kind": "warranty"}, "kind"),
    ({"status": "signed-ish"}, "status"),
    ({"coverage": "8x5"}, "coverage"),
    ({"kind": "amendment"}, "amendment_parent"),
])
def test_contract_constraints(hub, bad, constraint):
    with hub.session() as s, pytest.raises(IntegrityError, match=constraint), s.begin():
        contract(s, customer(s), "C-BAD", **bad)


def test_duplicate_contract_number_is_refused(hub):
    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-1")
    with hub.session() as s, pytest.raises(IntegrityError), s.begin():
        contract(s, customer(s, "Other"), "C-1")


def test_document_versions_are_unique_per_contract_and_kind(hub):
    now = hub.clock.now()
    with hub.session() as s, s.begin():
        c = contract(s, customer(s), "C-1")
        s.add(Document(contract_id=c.id, kind="executed", version=1, filename="a.pdf",
                       media_type="application/pdf", size=3, sha256="a" * 64, created_at=now))
    with hub.session() as s, pytest.raises(IntegrityError), s.begin():
        s.add(Document(contract_id=c.id, kind="executed", version=1, filename="b.pdf",
                       media_type="application/pdf", size=3, sha256="b" * 64, created_at=now))


def test_every_contract_change_is_audited_in_the_same_transaction(hub):
    with hub.session(actor="alice") as s, s.begin():
        c = contract(s, customer(s), "C-1", status="draft")
    with hub.session(actor="bob") as s, s.begin():
        s.get(Contract, c.id).status = "active"
    with hub.session() as s, s.begin():
        s.get(Contract, c.id).tier = "premium"
    with hub.session() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [(e.actor, e.action) for e in events] == [
        ("alice", "contract.created"), ("bob", "contract.status_changed"),
        ("admin", "contract.updated")]
    assert events[1].payload["changes"] == {"status": ["draft", "active"]}
    assert events[2].payload["changes"] == {"tier": ["standard", "premium"]}


def test_failed_transaction_leaves_no_audit_event(hub):
    with hub.session() as s, pytest.raises(IntegrityError), s.begin():
        contract(s, customer(s), "C-1", end_date=date(2020, 1, 1))
    with hub.session() as s:
        assert s.scalars(select(AuditEvent)).all() == []


def test_locked_contract_refuses_term_changes_but_not_status(hub):
    with hub.session() as s, s.begin():
        c = contract(s, customer(s), "C-1", locked=True)
    with hub.session() as s, pytest.raises(ContractLocked, match="C-1.*end_date"), s.begin():
        s.get(Contract, c.id).end_date = date(2027, 12, 31)
    with hub.session() as s, s.begin():
        s.get(Contract, c.id).status = "terminated"
    with hub.session() as s, pytest.raises(ContractLocked, match="cannot be deleted"), s.begin():
        s.delete(s.get(Contract, c.id))


def test_changes_fan_out_to_subscribed_syncs_except_their_origin(hub):
    with hub.session() as s, s.begin():
        s.add_all([SyncSubscription(sync="sf_contracts", entity="contract"),
                   SyncSubscription(sync="crm2_contracts", entity="contract"),
                   SyncSubscription(sync="sf_accounts", entity="customer")])
    with hub.session() as s, s.begin():
        c = contract(s, customer(s), "C-1")
    with hub.session(origin_sync="sf_contracts") as s, s.begin():
        s.get(Contract, c.id).status = "expired"
    with hub.session() as s:
        rows = s.execute(select(OutboxEntry.sync, OutboxEntry.entity, OutboxEntry.local_id)
                         .order_by(OutboxEntry.id)).all()
    assert sorted(rows[:3]) == sorted([("sf_contracts", "contract", str(c.id)),
                                       ("crm2_contracts", "contract", str(c.id)),
                                       ("sf_accounts", "customer", str(c.customer_id))])
    assert rows[3:] == [("crm2_contracts", "contract", str(c.id))]
