"""Derived customer fields follow contract changes and midnight boundaries out to the CRM."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from core.models import Contract, Customer
from core.sync.engine import run_cycle
from tests.factories import contract, customer


def test_customer_status_is_derived_and_pushed(hub, remote, accounts, cycle):
    with hub.session() as s, s.begin():
        c = customer(s, "Acme")
        contract(s, c, "C-1", tier="premium", coverage="24x7", end_date=date(2026, 6, 30))
        contract(s, customer(s, "Quiet"), "C-2", status="draft")
    cycle(accounts)
    with hub.session() as s:
        acme = s.scalar(select(Customer).where(Customer.name == "Acme"))
        assert (acme.contract_status, acme.support_tier, acme.renewal_date) == (
            "active", "premium", date(2026, 6, 30))
        assert acme.entitlement_summary == "premium, 24x7, until 2026-06-30 (C-1)"
        quiet = s.scalar(select(Customer).where(Customer.name == "Quiet"))
        assert quiet.contract_status == "none" and quiet.support_tier is None
    pushed = {f["Name"]: f for f in remote.all("Account").values()}
    assert pushed["Acme"]["Contract_Status__c"] == "active"
    assert pushed["Acme"]["Support_Tier__c"] == "premium"


def test_contract_ending_at_midnight_in_its_zone_updates_the_crm(hub, remote, accounts, cycle):
    with hub.session() as s, s.begin():
        contract(s, customer(s, "Tokyo KK"), "C-T", timezone="Asia/Tokyo",
                 end_date=date(2026, 3, 31))
    hub.clock.set(datetime(2026, 3, 31, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo
    cycle(accounts)
    [acc] = remote.all("Account").values()
    assert acc["Contract_Status__c"] == "active"
    writes = remote.calls.counts["write"]
    hub.clock.set(datetime(2026, 3, 31, 14, 50, tzinfo=UTC))  # still 23:50 there
    cycle(accounts)
    assert remote.calls.counts["write"] == writes  # nothing crossed: nothing written
    hub.clock.set(datetime(2026, 3, 31, 15, 0, 1, tzinfo=UTC))  # 00:00:01 on 04-01 in Tokyo
    cycle(accounts)
    [acc] = remote.all("Account").values()
    assert acc["Contract_Status__c"] == "expired"
    assert remote.calls.counts["write"] == writes + 1
    with hub.session() as s:
        assert s.scalar(select(Contract)).status == "expired"


def test_a_future_contract_starting_flips_pending_to_active(hub, remote, accounts):
    with hub.session() as s, s.begin():
        contract(s, customer(s, "Later"), "C-L", start_date=date(2026, 4, 1),
                 end_date=date(2027, 3, 31))
    hub.clock.set(datetime(2026, 3, 30, 12, tzinfo=UTC))
    run_cycle(hub, accounts)
    assert next(iter(remote.all("Account").values()))["Contract_Status__c"] == "pending"
    hub.clock.set(datetime(2026, 4, 1, 0, 0, 1, tzinfo=UTC))
    run_cycle(hub, accounts)
    assert next(iter(remote.all("Account").values()))["Contract_Status__c"] == "active"


def test_tickets_get_entitlements_in_the_cycle_that_pulls_them_and_never_loop(
        hub, remote, tickets, cycle):
    with hub.session() as s, s.begin():
        contract(s, customer(s, "Acme", domain="acme.example"), "C-1", tier="premium",
                 coverage="24x7")
    # Monday 2026-03-02 09:00 UTC: a sev1 ticket (premium: 60 min response, 8 h resolution)
    created = hub.clock.now()
    ok = remote.create("Issue", {"Key": "SUP-1", "Summary": "down", "Severity": "sev1",
                                 "ReporterDomain": "ACME.example", "Created": created})
    lost = remote.create("Issue", {"Key": "SUP-2", "Summary": "who?", "Severity": "sev3",
                                   "ReporterDomain": "unknown.example", "Created": created})
    hub.clock.advance(120)
    cycle(tickets)
    issue = remote.get("Issue", ok)
    assert (issue["Tier"], issue["ContractNumber"], issue["Breached"]) == ("premium", "C-1",
                                                                           False)
    assert issue["ResponseDue"] == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert issue["ResolutionDue"] == datetime(2026, 3, 2, 17, tzinfo=UTC)
    assert remote.get("Issue", lost).get("Tier") is None  # no customer: never guessed
    with hub.session() as s:
        from core.models import Ticket
        t2 = s.scalar(select(Ticket).where(Ticket.key == "SUP-2"))
        assert t2.customer_id is None and t2.entitlement_tier is None
    writes = remote.calls.counts["write"]
    hub.clock.advance(120)
    cycle(tickets)
    assert remote.calls.counts["write"] == writes  # the hub's own writes do not loop
    hub.clock.set(datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC))  # the response due time passes
    cycle(tickets)
    assert remote.get("Issue", ok)["Breached"] is True
    assert remote.calls.counts["write"] == writes + 1
    # the breach is priced into the credit ledger by the same pass, once
    from core.models import ServiceCredit

    def ledger():
        with hub.session() as s:
            return [(c.measure, c.month, c.percent, c.amount) for c in s.scalars(
                select(ServiceCredit).order_by(ServiceCredit.id))]

    [(measure, month, percent, amount)] = ledger()
    assert (measure, month, percent) == ("first_response", "2026-03", 10)
    hub.clock.advance(600)
    cycle(tickets)
    assert len(ledger()) == 1   # re-syncs and recalculations add nothing
