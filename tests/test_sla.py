"""SLA clocks with hand-computed times: 24x7, business hours, pauses, holidays, states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.calendar import Coverage
from core.entitlement import SeverityTarget
from core.models import AuditEvent, Contract, SlaPlan, Ticket
from core.sla import clocks_for, due_time, evaluate_ticket, pauses_from_history
from tests.factories import contract, customer

NY = ZoneInfo("America/New_York")
H24 = Coverage("24x7")
BIZ = Coverage("business_hours")  # 09:00-17:00 UTC, Monday-Friday, no holidays


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def tk(created, fr=None, res=None, history=(), severity="sev1", key="SUP-1"):
    return SimpleNamespace(key=key, severity=severity, created_at=created,
                           first_response_at=fr, resolved_at=res, status_history=list(history))


def target(fr: int, res: int, coverage: str = "24x7") -> SeverityTarget:
    return SeverityTarget("sev1", fr, res, "C-1", coverage, "UTC")


def h(when: datetime, status: str) -> dict:
    return {"at": when.isoformat().replace("+00:00", "Z"), "status": status}


# ------------------------------------------------------------------ pauses_from_history


def test_pauses_from_history_in_time_order_with_open_pause_closed_at_until():
    hist = [h(at(2026, 3, 2, 14), "In Progress"), h(at(2026, 3, 2, 10), "Waiting for customer"),
            h(at(2026, 3, 2, 9), "Open"), h(at(2026, 3, 2, 16), "pending   CUSTOMER")]
    assert pauses_from_history(hist, until=at(2026, 3, 2, 18)) == [
        (at(2026, 3, 2, 10), at(2026, 3, 2, 14)), (at(2026, 3, 2, 16), at(2026, 3, 2, 18))]
    # entries at or after `until` are not seen: the second pause never started
    assert pauses_from_history(hist, until=at(2026, 3, 2, 16)) == [
        (at(2026, 3, 2, 10), at(2026, 3, 2, 14))]


def test_pause_statuses_are_configurable_and_consecutive_pauses_merge():
    hist = [h(at(2026, 3, 2, 9), "Waiting for customer"), h(at(2026, 3, 2, 10), "On hold"),
            h(at(2026, 3, 2, 11), "Open")]
    assert pauses_from_history(hist, until=at(2026, 3, 3)) == [
        (at(2026, 3, 2, 9), at(2026, 3, 2, 10))]
    assert pauses_from_history(hist, ("Waiting for customer", "On hold"), at(2026, 3, 3)) == [
        (at(2026, 3, 2, 9), at(2026, 3, 2, 11))]
    assert pauses_from_history(hist, (), at(2026, 3, 3)) == []


def test_bad_history_entries_are_errors_not_guesses():
    with pytest.raises(ValueError, match="needs 'at' and 'status'"):
        pauses_from_history([{"status": "Open"}], until=at(2026, 3, 3))
    with pytest.raises(ValueError, match="not an ISO timestamp"):
        pauses_from_history([{"at": "yesterday", "status": "Open"}], until=at(2026, 3, 3))
    with pytest.raises(ValueError, match="still paused"):
        pauses_from_history([h(at(2026, 3, 2, 9), "Waiting for customer")])


# ------------------------------------------------------------------ 24x7


def test_24x7_running_at_risk_breached_and_met():
    t = tk(at(2026, 3, 2, 9), fr=at(2026, 3, 2, 9, 20))
    # first response after 20 of 30 min: met, due 09:30. Resolution 240 min from 09:00.
    fr, res = clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 11))
    assert (fr.state, fr.elapsed, fr.due) == ("met", timedelta(minutes=20), at(2026, 3, 2, 9, 30))
    # 11:00: 120/240 = 50% -> running, due 13:00
    assert (res.state, res.elapsed_minutes, res.due) == ("running", 120, at(2026, 3, 2, 13))
    # 12:00: 180/240 = 75% exactly -> at risk
    assert clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 12))[1].state == "at_risk"
    # 11:59: 179/240 = 74.6% -> still running; a 70% threshold makes it at risk
    assert clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 11, 59))[1].state == "running"
    assert clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 11, 59),
                      at_risk=0.7)[1].state == "at_risk"
    # 13:00: 240/240 exactly on target is not a breach; 13:01: 241 > 240 is
    assert clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 13))[1].state == "at_risk"
    late = clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 13, 1))[1]
    assert (late.state, late.breached_at) == ("breached", at(2026, 3, 2, 13))


def test_stopped_exactly_on_target_is_met_one_minute_later_breached():
    on_time = tk(at(2026, 3, 2, 9), fr=at(2026, 3, 2, 9, 30), res=at(2026, 3, 2, 13))
    fr, res = clocks_for(on_time, target(30, 240), H24, at(2026, 3, 9))
    assert (fr.state, res.state) == ("met", "met")
    assert (fr.stopped, res.elapsed_minutes) == (at(2026, 3, 2, 9, 30), 240)
    late = tk(at(2026, 3, 2, 9), fr=at(2026, 3, 2, 9, 31), res=at(2026, 3, 2, 13, 1))
    fr, res = clocks_for(late, target(30, 240), H24, at(2026, 3, 9))
    assert (fr.state, fr.elapsed_minutes, fr.due) == ("breached", 31, at(2026, 3, 2, 9, 30))
    assert (res.state, res.elapsed_minutes, res.due) == ("breached", 241, at(2026, 3, 2, 13))


def test_resolution_without_response_stops_the_first_response_clock_too():
    t = tk(at(2026, 3, 2, 9), res=at(2026, 3, 2, 9, 25))
    fr, res = clocks_for(t, target(30, 240), H24, at(2026, 3, 9))
    assert (fr.state, fr.stopped, fr.elapsed_minutes) == ("met", at(2026, 3, 2, 9, 25), 25)
    # a stop time later than `now` is not a stop yet: read as running at `now`
    fr, _ = clocks_for(t, target(30, 240), H24, at(2026, 3, 2, 9, 10))
    assert (fr.state, fr.stopped, fr.elapsed_minutes) == ("running", None, 10)


def test_24x7_pause_pushes_due_but_a_pause_after_the_breach_does_not():
    # Created 09:00, waiting for customer 09:30-10:30, target 120 min.
    hist = [h(at(2026, 3, 2, 9, 30), "Waiting for customer"), h(at(2026, 3, 2, 10, 30), "Open")]
    res = clocks_for(tk(at(2026, 3, 2, 9), history=hist), target(30, 120), H24,
                     at(2026, 3, 2, 11))[1]
    # elapsed 09:00-11:00 = 120 min - 60 paused = 60; due 09:00 + 120 + 60 = 12:00
    assert (res.elapsed_minutes, res.paused_minutes, res.due) == (60, 60, at(2026, 3, 2, 12))
    # Target 60, pause only from 11:00 to 12:00, now 13:00: the target was reached at 10:00,
    # before the pause began, so the breach instant stays 10:00 (not 11:00).
    hist = [h(at(2026, 3, 2, 11), "Waiting for customer"), h(at(2026, 3, 2, 12), "Open")]
    res = clocks_for(tk(at(2026, 3, 2, 9), history=hist), target(30, 60), H24,
                     at(2026, 3, 2, 13))[1]
    # elapsed 4h - 1h = 180 min > 60
    assert (res.state, res.elapsed_minutes, res.due) == ("breached", 180, at(2026, 3, 2, 10))


def test_open_pause_moves_the_due_time_with_now():
    hist = [h(at(2026, 3, 2, 9, 30), "Waiting for customer")]
    t = tk(at(2026, 3, 2, 9), history=hist)
    # 30 min counted before the pause; 90 of 120 left, counted from `now` (pause end so far)
    assert clocks_for(t, target(30, 120), H24, at(2026, 3, 2, 12))[1].due == at(2026, 3, 2, 13, 30)
    assert clocks_for(t, target(30, 120), H24, at(2026, 3, 2, 15))[1].due == at(2026, 3, 2, 16, 30)


# ------------------------------------------------------------------ business hours


def test_business_hours_friday_afternoon_to_monday():
    # Friday 2026-03-06 16:00 UTC; 09:00-17:00 Mon-Fri.
    t = tk(at(2026, 3, 6, 16))
    tg = SeverityTarget("sev1", 120, 480, "C-1", "business_hours", "UTC")
    fr, res = clocks_for(t, tg, BIZ, at(2026, 3, 9, 9, 30))
    # FR 120: Fri 16-17 (60) + Mon 09-10 (60) -> due Mon 10:00
    assert fr.due == at(2026, 3, 9, 10)
    # Res 480: Fri 60 + Mon 09:00-16:00 (420) -> due Mon 16:00
    assert res.due == at(2026, 3, 9, 16)
    # Now Mon 09:30: Fri 60 + Mon 30 = 90 min; 90/120 = 75% -> at risk; 90/480 -> running
    assert (fr.elapsed_minutes, fr.state) == (90, "at_risk")
    assert (res.elapsed_minutes, res.state) == (90, "running")
    # the weekend is not paused time, it is simply not covered
    assert fr.paused == timedelta(0)


def _weekend_pause_ticket(resolved: datetime):
    # Thu 2026-03-05 09:00; waiting for customer Fri 15:00 -> Mon 2026-03-09 11:00.
    hist = [h(at(2026, 3, 5, 9), "Open"), h(at(2026, 3, 6, 15), "Waiting for customer"),
            h(at(2026, 3, 9, 11), "In Progress")]
    return tk(at(2026, 3, 5, 9), fr=at(2026, 3, 5, 9, 10), res=resolved, history=hist,
              severity="sev2")


def test_business_hours_pause_over_a_weekend_removes_only_covered_time():
    tg = SeverityTarget("sev2", 60, 960, "C-1", "business_hours", "UTC")
    # Resolved Mon 12:30. Covered: Thu 480 + Fri 09-15 360 = 840 before the pause;
    # pause covered: Fri 15-17 (120) + Mon 09-11 (120) = 240 (the weekend adds nothing);
    # after: Mon 11:00-12:30 = 90. Elapsed 840 + 90 = 930 <= 960 -> met.
    res = clocks_for(_weekend_pause_ticket(at(2026, 3, 9, 12, 30)), tg, BIZ,
                     at(2026, 3, 20))[1]
    assert (res.elapsed_minutes, res.paused_minutes, res.state) == (930, 240, "met")
    # Due: 960 - 840 = 120 left when the pause ends Mon 11:00 -> Mon 13:00
    # (= add_covered_time(Thu 09:00, 960 + 240): Thu 480, Fri 480, Mon 240).
    assert res.due == at(2026, 3, 9, 13)
    # Resolved Tue 12:00: 840 + Mon 11-17 (360) + Tue 09-12 (180) = 1380 > 960 -> breached
    res = clocks_for(_weekend_pause_ticket(at(2026, 3, 10, 12)), tg, BIZ, at(2026, 3, 20))[1]
    assert (res.elapsed_minutes, res.paused_minutes, res.state) == (1380, 240, "breached")
    assert res.breached_at == at(2026, 3, 9, 13)
    # The same pause on 24x7 removes the whole 68 hours (Fri 15:00 -> Mon 11:00 = 4080 min).
    res = clocks_for(_weekend_pause_ticket(at(2026, 3, 10, 12)), tg, H24, at(2026, 3, 20))[1]
    assert res.paused_minutes == 4080


def test_friday_evening_before_mlk_day_starts_counting_tuesday():
    # US calendar, America/New_York, premium tier defaults sev1: 60 min / 480 min.
    c = Contract(number="C-NY", tier="premium", coverage="business_hours",
                 timezone="America/New_York", holiday_calendar="US")
    # Friday 2026-01-16 18:00 EST (23:00 UTC), after hours; Sat, Sun, then Monday
    # 2026-01-19 is Martin Luther King Jr. Day: the first covered minute is Tue 09:00 EST.
    t = tk(datetime(2026, 1, 16, 18, tzinfo=NY))
    fr, res = clocks_for(t, c, None, datetime(2026, 1, 19, 12, tzinfo=NY))
    assert (fr.elapsed, fr.state, fr.contract) == (timedelta(0), "running", "C-NY")
    assert fr.due == datetime(2026, 1, 20, 10, tzinfo=NY) == at(2026, 1, 20, 15)
    assert res.due == datetime(2026, 1, 20, 17, tzinfo=NY) == at(2026, 1, 20, 22)
    # Tue 09:45 EST: 45 of 60 min = 75% -> at risk
    fr, _ = clocks_for(t, c, None, datetime(2026, 1, 20, 9, 45, tzinfo=NY))
    assert (fr.elapsed_minutes, fr.state) == (45, "at_risk")


def test_due_time_with_pause_starting_when_coverage_is_closed():
    # Target 480 business minutes from Mon 09:00 is reached at 17:00; a pause from 18:00
    # (after closing) starts after that instant and must not push it.
    assert due_time(BIZ, at(2026, 3, 2, 9), timedelta(minutes=480),
                    [(at(2026, 3, 2, 18), at(2026, 3, 3, 12))], at(2026, 3, 4)) == \
        at(2026, 3, 2, 17)


def test_a_severity_target_needs_the_coverage():
    with pytest.raises(TypeError, match="needs the coverage"):
        clocks_for(tk(at(2026, 3, 2, 9)), target(30, 240), None, at(2026, 3, 2, 10))


# ------------------------------------------------------------------ evaluate_ticket (store)


def _acme_ticket(s, **kw):
    cust = customer(s, timezone="UTC")
    plan = SlaPlan(name="Gold", targets={"sev1": {"first_response_min": 30,
                                                  "resolution_min": 240}})
    contract(s, cust, "C-24", coverage="24x7", tier="premium", sla_plan=plan,
             start_date=date(2026, 1, 1))
    t = Ticket(key="SUP-1", customer_id=cust.id, severity="sev1",
               created_at=at(2026, 3, 2, 9), **kw)
    s.add(t)
    s.flush()
    return t


def test_evaluate_ticket_sets_derived_fields_once_and_audits_a_breach_once(hub, clock):
    with hub.session() as s, s.begin():
        t = _acme_ticket(s, first_response_at=at(2026, 3, 2, 9, 10))
        ev = evaluate_ticket(s, t, at(2026, 3, 2, 10))
        assert ev.reason is None and ev.contract_number == "C-24" and ev.tier == "premium"
        assert (t.contract_number, t.entitlement_tier, t.coverage) == ("C-24", "premium", "24x7")
        assert t.contract_id == ev.contract_id
        assert (t.first_response_due, t.resolution_due) == (at(2026, 3, 2, 9, 30),
                                                            at(2026, 3, 2, 13))
        assert not t.breached and ev.newly_breached == ()
    clock.advance(timedelta(hours=1))
    with hub.session() as s, s.begin():
        t = s.scalar(select(Ticket))
        stamp = t.updated_at
        again = evaluate_ticket(s, t, at(2026, 3, 2, 11))
        assert again.changed == () and not s.is_modified(t)
    with hub.session() as s:
        assert s.scalar(select(Ticket)).updated_at == stamp  # nothing rewritten
    for now in (at(2026, 3, 2, 14), at(2026, 3, 2, 15)):  # 300 and 360 min > 240
        with hub.session() as s, s.begin():
            ev = evaluate_ticket(s, s.scalar(select(Ticket)), now)
            assert ev.resolution.state == "breached"
    with hub.session() as s:
        t = s.scalar(select(Ticket))
        assert t.breached
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "sla.breached")).all()
    assert len(events) == 1
    e = events[0]
    assert (e.entity, e.entity_id) == ("ticket", "SUP-1")
    assert e.payload == {"measure": "resolution", "severity": "sev1", "target_min": 240,
                         "elapsed_min": 300, "breached_at": "2026-03-02T13:00:00+00:00",
                         "contract": "C-24"}


def test_ticket_without_entitlement_gets_no_clocks_and_cleared_fields(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        contract(s, cust, "C-OLD", start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
        t = Ticket(key="SUP-9", customer_id=cust.id, created_at=at(2026, 3, 2, 9),
                   entitlement_tier="premium", contract_number="C-X", coverage="24x7",
                   resolution_due=at(2026, 3, 3), breached=True)
        s.add(t)
        s.flush()
        ev = evaluate_ticket(s, t, at(2026, 3, 2, 10))
        assert ev.clocks == () and ev.first_response is None
        assert "no contract of Acme Corp is in force" in ev.reason
        assert (t.entitlement_tier, t.contract_number, t.resolution_due,
                t.first_response_due, t.contract_id) == (None,) * 5
        assert t.coverage == "no entitlement found"   # the flag agents see on the ticket
        assert t.breached is False


def test_explicit_contract_on_the_ticket_wins_over_the_entitlement(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        best = contract(s, cust, "C-PREM", tier="premium", coverage="24x7")
        basic = contract(s, cust, "C-BASIC", tier="basic", coverage="business_hours",
                         holiday_calendar="US")
        t = Ticket(key="SUP-2", customer_id=cust.id, severity="sev2",
                   created_at=at(2026, 3, 2, 9), contract_id=basic.id)
        s.add(t)
        s.flush()
        ev = evaluate_ticket(s, t, at(2026, 3, 2, 10))
        # basic sev2 first response 960 business minutes from Mon 09:00 UTC: Mon 480,
        # Tue 480 -> Tue 17:00
        assert (ev.contract_number, t.first_response_due) == ("C-BASIC", at(2026, 3, 3, 17))
        assert t.coverage == "business_hours UTC (US)" and best.number == "C-PREM"


def test_ticket_without_customer_and_bad_history_say_which_ticket(hub):
    with hub.session() as s, s.begin():
        lone = Ticket(key="SUP-0", created_at=at(2026, 3, 2, 9))
        s.add(lone)
        t = _acme_ticket(s, status_history=[{"at": "yesterday", "status": "Open"}])
        assert evaluate_ticket(s, lone, at(2026, 3, 2, 10)).reason == \
            "ticket SUP-0 has no customer: no entitlement"
        with pytest.raises(ValueError, match="ticket SUP-1: status history time 'yesterday'"):
            evaluate_ticket(s, t, at(2026, 3, 2, 10))
