"""Service credits: hand-computed amounts, the monthly cap, months in the contract's zone,
and a ledger that re-running never duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.credits import (
    Breach,
    CreditRule,
    compute_month,
    month_bounds,
    month_of,
    parse_month,
    price_month,
)
from core.models import AuditEvent, Contract, ServiceCredit, SlaPlan, Ticket
from tests.factories import contract, customer

RULE = CreditRule.from_dict({"percent_per_breach": {"sev1": 10}, "monthly_cap_percent": 30})
FEE = Decimal("4000.00")  # 48,000 a year / 12


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def breach(i: int, severity: str = "sev1", measure: str = "resolution", day: int | None = None):
    return Breach(i, f"SUP-{i}", measure, severity, at(2026, 1, day or 4 + i, 13))


# ------------------------------------------------------------------ pure pricing


def test_five_sev1_breaches_hit_the_cap_exactly_on_the_third():
    # 10% x 4,000 = 400 each; cap 30% x 4,000 = 1,200: 400 + 400 + 400 = 1,200, then 0, 0.
    priced = price_month([breach(i) for i in (5, 3, 1, 4, 2)], FEE, "USD", RULE, "2026-01")
    assert [p.breach.ticket for p in priced] == ["SUP-1", "SUP-2", "SUP-3", "SUP-4", "SUP-5"]
    assert [p.amount for p in priced] == [Decimal("400.00")] * 3 + [Decimal("0.00")] * 2
    assert [p.capped for p in priced] == [False, False, False, True, True]
    assert priced[0].explanation == "10% x 4,000.00 USD monthly fee = 400.00 USD"
    assert priced[2].explanation == ("10% x 4,000.00 USD monthly fee = 400.00 USD; "
                                     "cap 30% = 1,200.00 USD reached")
    assert priced[3].explanation == ("10% x 4,000.00 USD monthly fee = 400.00 USD; "
                                     "cap 30% = 1,200.00 USD already reached: 0.00 USD credited")
    assert sum(p.amount for p in priced) == Decimal("1200.00")


def test_the_breach_that_crosses_the_cap_gets_the_remainder():
    rule = CreditRule.from_dict({"percent_per_breach": {"sev1": 10, "sev2": 5, "sev3": 2},
                                 "monthly_cap_percent": 30})
    bs = [breach(1), breach(2), breach(3, "sev2"), breach(4), breach(5, "sev3")]
    priced = price_month(bs, FEE, "USD", rule, "2026-01")
    # 400 + 400 + 200 (5%) = 1,000; the 4th wants 400, only 200 is left; the 5th (2% = 80) gets 0
    assert [p.amount for p in priced] == [Decimal(x) for x in
                                          ("400.00", "400.00", "200.00", "200.00", "0.00")]
    assert [p.capped for p in priced] == [False, False, False, True, True]
    assert priced[3].explanation == (
        "10% x 4,000.00 USD monthly fee = 400.00 USD; cap 30% = 1,200.00 USD reached: "
        "200.00 USD credited (1,000.00 USD already credited in 2026-01)")


def test_default_rule_rounding_and_ties():
    rule = CreditRule.from_dict(None)  # sev1 10, sev2 5, sev3 2, sev4 0, cap 30
    assert rule.monthly_cap_percent == 30 and rule.percent_per_breach["sev4"] == 0
    fee = Decimal("4166.67")  # 50,000 / 12 = 4,166.666... -> 4,166.67
    # same breach instant: ticket id, then first response before resolution
    same = at(2026, 1, 5, 13)
    bs = [Breach(2, "SUP-2", "resolution", "sev3", same),
          Breach(2, "SUP-2", "first_response", "sev2", same),
          Breach(1, "SUP-1", "resolution", "sev4", same)]
    priced = price_month(bs, fee, "EUR", rule)
    assert [(p.breach.ticket_id, p.breach.measure) for p in priced] == [
        (1, "resolution"), (2, "first_response"), (2, "resolution")]
    # sev4 0% -> 0.00; sev2 5% x 4,166.67 = 208.3335 -> 208.33; sev3 2% = 83.3334 -> 83.33
    assert [p.amount for p in priced] == [Decimal("0.00"), Decimal("208.33"), Decimal("83.33")]
    assert priced[1].explanation == "5% x 4,166.67 EUR monthly fee = 208.33 EUR"
    # no cap at all
    uncapped = CreditRule.from_dict({"monthly_cap_percent": None})
    assert [p.capped for p in price_month([breach(i) for i in range(1, 6)], FEE, "USD",
                                          uncapped)] == [False] * 5


def test_months_are_read_in_the_contracts_time_zone():
    assert parse_month("2026-01") == (2026, 1)
    for bad in ("2026-13", "2026-1", "26-01", "January"):
        with pytest.raises(ValueError, match="is not YYYY-MM"):
            parse_month(bad)
    # 2026-02-01 03:00 UTC is still 2026-01-31 22:00 in New York
    assert month_of(at(2026, 2, 1, 3), "America/New_York") == "2026-01"
    assert month_of(at(2026, 2, 1, 3), "UTC") == "2026-02"
    assert month_bounds("2026-12", "America/New_York") == (at(2026, 12, 1, 5), at(2027, 1, 1, 5))


# ------------------------------------------------------------------ the ledger (store)


def _setup(s, tz: str = "UTC"):
    """Acme, C-1: 48,000 USD a year (fee 4,000), 24x7, sev1 30 min / 240 min, 10%, cap 30%."""
    cust = customer(s)
    plan = SlaPlan(name="Gold", targets={"sev1": {"first_response_min": 30,
                                                  "resolution_min": 240}},
                   credit_rule={"percent_per_breach": {"sev1": 10}, "monthly_cap_percent": 30})
    c = contract(s, cust, "C-1", coverage="24x7", value=Decimal("48000"), currency="USD",
                 sla_plan=plan, timezone=tz, start_date=date(2025, 1, 1))
    # Five sev1 tickets, Jan 5..9, created 09:00, answered 09:10, resolved 15:00:
    # resolution 360 min > 240 -> breached at 13:00 each day.
    for i in range(1, 6):
        day = at(2026, 1, 4 + i, 9)
        s.add(Ticket(key=f"SUP-{i}", customer_id=cust.id, severity="sev1", created_at=day,
                     first_response_at=day + timedelta(minutes=10),
                     resolved_at=day + timedelta(hours=6)))
    s.flush()
    return cust, c


def _ledger(s):
    rows = s.scalars(select(ServiceCredit).order_by(ServiceCredit.id)).all()
    return [(r.id, r.ticket_id, r.measure, r.month, r.breached_at, r.amount, r.capped,
             r.explanation) for r in rows]


def _count(s, action):
    return s.scalar(select(func.count()).select_from(AuditEvent)
                    .where(AuditEvent.action == action))


def test_month_ledger_is_capped_and_rerunning_changes_nothing(hub):
    now = at(2026, 2, 1)
    with hub.session() as s, s.begin():
        cust, _ = _setup(s)
        rows = compute_month(s, cust, "2026-01", now)
        assert [(r.measure, r.amount, r.capped) for r in rows] == [
            ("resolution", Decimal("400.00"), False)] * 3 + [
            ("resolution", Decimal("0.00"), True)] * 2
        assert [r.breached_at for r in rows] == [at(2026, 1, d, 13) for d in range(5, 10)]
        assert rows[0].percent == 10 and rows[0].currency == "USD"
    with hub.session() as s:
        first = _ledger(s)
        audits = {a: _count(s, a) for a in ("sla.breached", "credit.issued")}
    assert audits == {"sla.breached": 5, "credit.issued": 5}
    for _ in range(2):
        with hub.session() as s, s.begin():
            c1 = s.scalar(select(Contract).where(Contract.number == "C-1"))
            compute_month(s, c1, "2026-01", now + timedelta(days=3))
            compute_month(s, cust, "2026-01", now + timedelta(days=3))
    with hub.session() as s:
        assert _ledger(s) == first  # same rows, same ids, no duplicates
        assert _count(s, "sla.breached") == 5  # each breach audited exactly once
        assert _count(s, "credit.issued") == 5 and _count(s, "credit.recomputed") == 0


def test_changed_inputs_are_recomputed_and_audited(hub):
    now = at(2026, 2, 1)
    with hub.session() as s, s.begin():
        cust, c = _setup(s)
        compute_month(s, cust, "2026-01", now)
    with hub.session() as s, s.begin():
        ids = {r.ticket_id: r.id for r in s.scalars(select(ServiceCredit))}
        # SUP-1 turns out resolved in time (sync corrected it): its credit is withdrawn and
        # SUP-4, now the 3rd breach of the month, gets 400 instead of 0.
        t1 = s.scalar(select(Ticket).where(Ticket.key == "SUP-1"))
        t1.resolved_at = t1.created_at + timedelta(hours=2)
        rows = compute_month(s, cust, "2026-01", now)
        assert [(r.id, r.amount, r.capped) for r in rows] == [
            (ids[2], Decimal("400.00"), False), (ids[3], Decimal("400.00"), False),
            (ids[4], Decimal("400.00"), False), (ids[5], Decimal("0.00"), True)]
        # recomputed: SUP-4 (0 -> 400, no longer capped) and SUP-3 (it no longer reaches
        # the cap, so its explanation loses "; cap ... reached")
        assert _count(s, "credit.withdrawn") == 1 and _count(s, "credit.recomputed") == 2
        changes = {e.entity_id: e.payload["changes"] for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "credit.recomputed"))}
        assert changes["SUP-4:resolution"]["amount"] == ["0.00", "400.00"]
        assert changes["SUP-4:resolution"]["capped"] == [True, False]
        assert set(changes["SUP-3:resolution"]) == {"explanation"}
        # a new contract value: 60,000 a year -> fee 5,000; 10% = 500, cap 1,500
        c = s.scalar(select(Contract).where(Contract.number == "C-1"))
        c.value = Decimal("60000")
        rows = compute_month(s, cust, "2026-01", now)
        assert [r.amount for r in rows] == [Decimal("500.00")] * 3 + [Decimal("0.00")]
        assert rows[2].explanation == ("10% x 5,000.00 USD monthly fee = 500.00 USD; "
                                       "cap 30% = 1,500.00 USD reached")
        # all 4 rows changed (3 amounts, and the fee in every explanation): 2 + 4
        assert _count(s, "credit.recomputed") == 6


def test_a_breach_belongs_to_the_month_in_the_contracts_time_zone(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        contract(s, cust, "C-NY", coverage="24x7", tier="premium", value=Decimal("12000"),
                 timezone="America/New_York", start_date=date(2025, 1, 1))
        # premium sev2 defaults: 120 min / 1440 min. Created 2026-01-31 02:00 UTC, no
        # response yet: first response due 04:00 UTC = Jan 30 23:00 EST; resolution due
        # Feb 1 02:00 UTC = Jan 31 21:00 EST: both are January breaches in New York.
        s.add(Ticket(key="SUP-NY", customer_id=cust.id, severity="sev2",
                     created_at=at(2026, 1, 31, 2)))
        s.flush()
        assert compute_month(s, cust, "2026-02", at(2026, 3, 1)) == []
        rows = compute_month(s, cust, "2026-01", at(2026, 3, 1))
        # no plan: default rule, sev2 5% x (12,000 / 12 = 1,000) = 50.00 each
        assert [(r.measure, r.breached_at, r.amount) for r in rows] == [
            ("first_response", at(2026, 1, 31, 4), Decimal("50.00")),
            ("resolution", at(2026, 2, 1, 2), Decimal("50.00"))]


def test_customer_without_contracts_has_an_empty_ledger(hub):
    with hub.session() as s, s.begin():
        cust = customer(s)
        s.add(Ticket(key="SUP-1", customer_id=cust.id, created_at=at(2026, 1, 5, 9)))
        s.flush()
        assert compute_month(s, cust, "2026-01", at(2026, 2, 1)) == []
        with pytest.raises(ValueError, match="is not YYYY-MM"):
            compute_month(s, cust, "2026/01", at(2026, 2, 1))
