"""Entitlement resolution with hand-computed due times (weekend, holiday, DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.entitlement import NotFound, find_customer, for_ticket, resolve
from core.models import SlaPlan, Ticket
from tests.factories import contract, customer


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_no_contract_in_force_explains_each_one(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        contract(s, cust, "C-OLD", start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
        contract(s, cust, "C-NEW", start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
        contract(s, cust, "C-DRAFT", status="draft")
        e = resolve(s, cust, at(2026, 6, 1, 12))
    assert not e.entitled and e.contracts == () and e.summary() == "no active support contract"
    text = "\n".join(e.reasons)
    assert "C-OLD (support, standard) ended 2025-12-31" in text
    assert "C-NEW (support, standard) starts 2027-01-01" in text
    assert "C-DRAFT (support, standard) is draft, not in force" in text


def test_term_is_read_in_the_contracts_own_time_zone(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        contract(s, cust, "C-TOKYO", timezone="Asia/Tokyo", start_date=date(2026, 1, 1),
                 end_date=date(2026, 6, 30))
        # 2026-06-30 16:00 UTC is already 07-01 01:00 in Tokyo: expired there.
        assert resolve(s, cust, at(2026, 6, 30, 14, 59)).entitled
        assert not resolve(s, cust, at(2026, 6, 30, 15, 0)).entitled
        # 2025-12-31 15:00 UTC is 2026-01-01 00:00 in Tokyo: started.
        assert resolve(s, cust, at(2025, 12, 31, 15, 0)).entitled


def test_overlapping_contracts_most_generous_wins_item_by_item(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        contract(s, cust, "C-STD", tier="standard", coverage="24x7", end_date=date(2027, 6, 30))
        contract(s, cust, "C-PREM", tier="premium", coverage="business_hours",
                 end_date=date(2026, 12, 31))
        # Monday 2026-03-02 09:00 UTC.
        e = resolve(s, cust, at(2026, 3, 2, 9))
    assert e.entitled and e.tier == "premium" and e.coverage == "business_hours"
    assert set(e.contracts) == {"C-STD", "C-PREM"}
    assert e.expires == date(2027, 6, 30)  # covered until the last one ends
    # sev1: premium 8h business time (due 17:00 Mon) vs standard 24h on 24x7 (Tue 09:00)
    assert e.targets["sev1"].contract == "C-PREM"
    assert e.targets["sev1"].resolution_due == at(2026, 3, 2, 17)
    # sev4: premium 5760 min = 96h business (12 days) vs standard 14400 min = 10 days 24x7
    assert e.targets["sev4"].contract == "C-STD"
    assert e.targets["sev4"].resolution_due == at(2026, 3, 12, 9)


def test_capped_incidents_count_tickets_served(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        a = contract(s, cust, "C-A", incident_cap=5)
        contract(s, cust, "C-B", incident_cap=3)
        for i in range(2):
            s.add(Ticket(key=f"SUP-{i}", customer_id=cust.id, contract_id=a.id,
                         created_at=at(2026, 2, 1)))
        s.flush()
        assert resolve(s, cust, at(2026, 3, 1)).remaining_incidents == 6
        contract(s, cust, "C-C", incident_cap=None)
        assert resolve(s, cust, at(2026, 3, 1)).remaining_incidents is None


def test_24x7_versus_business_hours_due_times(hub):
    with hub.session() as s, s.begin():
        c1 = customer(s, "Round the clock")
        contract(s, c1, "C-247", tier="premium", coverage="24x7", timezone="Europe/London")
        c2 = customer(s, "Office hours")
        contract(s, c2, "C-BH", tier="premium", coverage="business_hours",
                 timezone="Europe/London")
        # Friday 2026-03-06 16:00 GMT, sev1: 60 min first response, 480 min resolution.
        friday = at(2026, 3, 6, 16)
        e247 = resolve(s, c1, friday)
        ebh = resolve(s, c2, friday)
    assert e247.targets["sev1"].first_response_due == at(2026, 3, 6, 17)
    assert e247.targets["sev1"].resolution_due == at(2026, 3, 7, 0)
    # business hours: 1h Friday 16-17, so first response 17:00; resolution 1h Fri + 7h Mon
    assert ebh.targets["sev1"].first_response_due == at(2026, 3, 6, 17)
    assert ebh.targets["sev1"].resolution_due == at(2026, 3, 9, 16)


def test_due_time_across_a_weekend_a_holiday_and_dst(hub):
    with hub.session() as s, s.begin():
        s.add(SlaPlan(name="P", targets={"sev2": {"first_response_min": 240,
                                                   "resolution_min": 960}}))
        s.flush()
        plan = s.query(SlaPlan).one()
        cust = customer(s)
        contract(s, cust, "C-NY", coverage="business_hours", timezone="America/New_York",
                 holiday_calendar="US", sla_plan=plan, start_date=date(2026, 1, 1))
        # Fri 2026-03-06 15:00 EST (20:00 UTC). First response 4h: 2h Fri (15-17) +
        # 2h Mon 03-09 (9-11 EDT, after the 03-08 spring-forward) = 11:00 EDT = 15:00 UTC.
        e = resolve(s, cust, at(2026, 3, 6, 20))
        assert e.targets["sev2"].first_response_due == at(2026, 3, 9, 15)
        # Resolution 16h: 2h Fri + 8h Mon + 6h Tue 03-10 -> 15:00 EDT = 19:00 UTC.
        assert e.targets["sev2"].resolution_due == at(2026, 3, 10, 19)
        # Wed 2026-11-25 15:00 EST (20:00 UTC), Thanksgiving Thu 11-26 is a holiday:
        # 4h = 2h Wed + 2h Fri 11-27 (9-11 EST) = 16:00 UTC.
        e = resolve(s, cust, at(2026, 11, 25, 20))
        assert e.targets["sev2"].first_response_due == at(2026, 11, 27, 16)


def test_lookup_by_ticket_uses_its_creation_time(hub):
    with hub.session() as s, s.begin():
        cust = customer(s, domain="acme.example")
        contract(s, cust, "C-1", start_date=date(2026, 1, 1), end_date=date(2026, 1, 31))
        s.add(Ticket(key="SUP-7", customer_id=cust.id, severity="sev1",
                     created_at=at(2026, 1, 30, 10)))
        s.add(Ticket(key="SUP-8", customer_id=None, created_at=at(2026, 1, 30, 10)))
    with hub.session() as s:
        ticket, e = for_ticket(s, "SUP-7")
        assert e.entitled and e.at == at(2026, 1, 30, 10) and e.contracts == ("C-1",)
        with pytest.raises(NotFound, match="SUP-8 has no customer"):
            for_ticket(s, "SUP-8")
        with pytest.raises(NotFound, match="no ticket 'SUP-404'"):
            for_ticket(s, "SUP-404")
        assert find_customer(s, "ACME.EXAMPLE").name == "Acme Corp"
        assert find_customer(s, "acme corp").name == "Acme Corp"
        with pytest.raises(NotFound, match="no customer named 'Nobody'"):
            find_customer(s, "Nobody")
