"""Service credits: what an SLA breach costs the provider, month by month.

The rule:

* **Monthly fee** = the contract's annual ``value`` / 12, rounded to cents (half up).
  A contract without a value has a fee of 0: its breaches are recorded at 0.
* **Per breach**: each breached measure of a ticket (first response and resolution
  count separately) credits ``percent_per_breach[severity]`` percent of the monthly
  fee, rounded to cents (half up). The percentages come from the ``credit_rule`` of
  the contract's SLA plan; keys it leaves out (or a contract without a plan) fall back
  to :data:`DEFAULT_CREDIT_RULE`: sev1 10%, sev2 5%, sev3 2%, sev4 0%, cap 30%.
  ``monthly_cap_percent: null`` means no cap.
* **Month**: a breach belongs to the calendar month, in the contract's time zone, of
  the instant it breached -- the due time that passed (:mod:`core.sla`).
* **Cap**: per contract and month, the credits add up to at most
  ``monthly_cap_percent`` of the monthly fee (rounded to cents). Breaches are taken in
  breach-time order (ties: ticket id, then first response before resolution); the
  breach that crosses the cap gets the remainder and ``capped=True``, later ones 0 and
  ``capped=True``. A breach that lands exactly on the cap is not reduced
  (``capped=False``).

:func:`compute_month` is idempotent: one ledger row per (ticket, measure), upserted;
re-running gives the same rows (same ids). A row whose inputs changed is updated and
the change audited (``credit.recomputed``); a new one is audited ``credit.issued``; a
row whose breach no longer falls in the month (the ticket data changed) is removed
and audited ``credit.withdrawn``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit
from core.clock import utc
from core.models import Contract, Customer, ServiceCredit, Ticket
from core.sla import DEFAULT_AT_RISK, DEFAULT_PAUSE_STATUSES, MEASURES, evaluate_ticket

DEFAULT_CREDIT_RULE: dict[str, Any] = {
    "percent_per_breach": {"sev1": 10, "sev2": 5, "sev3": 2, "sev4": 0},
    "monthly_cap_percent": 30,
}
CENT = Decimal("0.01")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_FIELDS = ("contract_id", "customer_id", "month", "severity", "breached_at", "percent",
           "amount", "currency", "capped", "explanation")


@dataclass(frozen=True)
class CreditRule:
    percent_per_breach: dict[str, Decimal]
    monthly_cap_percent: Decimal | None

    @classmethod
    def from_dict(cls, rule: dict[str, Any] | None) -> CreditRule:
        rule = rule or {}
        per = {**DEFAULT_CREDIT_RULE["percent_per_breach"], **(rule.get("percent_per_breach")
                                                               or {})}
        cap = rule.get("monthly_cap_percent", DEFAULT_CREDIT_RULE["monthly_cap_percent"])
        return cls({k: Decimal(str(v)) for k, v in per.items()},
                   None if cap is None else Decimal(str(cap)))


@dataclass(frozen=True)
class Breach:
    """One breached measure, as priced: key for ordering plus what the price needs."""

    ticket_id: int
    ticket: str
    measure: str
    severity: str
    breached_at: datetime


@dataclass(frozen=True)
class PricedCredit:
    breach: Breach
    percent: Decimal
    amount: Decimal
    capped: bool
    explanation: str


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def money(x: Decimal, currency: str) -> str:
    return f"{x:,.2f} {currency}"


def pct(x: Decimal) -> str:
    return f"{x.normalize():f}%"


def parse_month(text: str) -> tuple[int, int]:
    m = _MONTH.match(text.strip())
    if not m:
        raise ValueError(f"month {text!r} is not YYYY-MM (e.g. 2026-01)")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the month in ``timezone``, as aware UTC instants."""
    y, m = parse_month(month)
    tz = ZoneInfo(timezone)
    nxt = (y + 1, 1) if m == 12 else (y, m + 1)
    return (datetime(y, m, 1, tzinfo=tz).astimezone(UTC),
            datetime(nxt[0], nxt[1], 1, tzinfo=tz).astimezone(UTC))


def month_of(instant: datetime, timezone: str) -> str:
    return utc(instant).astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def monthly_fee(contract: Contract) -> Decimal:
    return cents(Decimal(contract.value) / 12) if contract.value is not None else Decimal("0.00")


def rule_of(contract: Contract) -> CreditRule:
    return CreditRule.from_dict(contract.sla_plan.credit_rule if contract.sla_plan else None)


def price_month(breaches: Iterable[Breach], fee: Decimal, currency: str, rule: CreditRule,
                month: str = "") -> list[PricedCredit]:
    """Price one contract's breaches of one month (pure). See the module rules."""
    order = {m: i for i, m in enumerate(MEASURES)}
    ordered = sorted(breaches, key=lambda b: (utc(b.breached_at), b.ticket_id,
                                              order.get(b.measure, 9)))
    cap = cents(fee * rule.monthly_cap_percent / 100) if rule.monthly_cap_percent is not None \
        else None
    cap_text = f"cap {pct(rule.monthly_cap_percent)} = {money(cap, currency)}" \
        if cap is not None and rule.monthly_cap_percent is not None else ""
    total = Decimal("0.00")
    out = []
    for b in ordered:
        percent = rule.percent_per_breach.get(b.severity, Decimal(0))
        full = cents(fee * percent / 100)
        text = f"{pct(percent)} x {money(fee, currency)} monthly fee = {money(full, currency)}"
        amount, capped = full, False
        if cap is not None and full > 0:
            left = max(cap - total, Decimal("0.00"))
            if full > left:
                amount, capped = left, True
                if left == 0:
                    text += f"; {cap_text} already reached: {money(amount, currency)} credited"
                else:
                    text += (f"; {cap_text} reached: {money(amount, currency)} credited "
                             f"({money(total, currency)} already credited"
                             f"{' in ' + month if month else ''})")
            elif full == left:
                text += f"; {cap_text} reached"
        total += amount
        out.append(PricedCredit(b, percent, amount, capped, text))
    return out


def _scope(session: Session, target: Contract | Customer) -> tuple[Customer, list[Contract]]:
    if isinstance(target, Contract):
        return target.customer, [target]
    contracts = session.scalars(select(Contract).where(Contract.customer_id == target.id)
                                .order_by(Contract.number)).all()
    return target, list(contracts)


def _candidates(session: Session, customer: Customer, contract_ids: Sequence[int],
                month: str) -> list[Ticket]:
    """Tickets that could have breached in the month (a day's margin for time zones)."""
    start, end = month_bounds(month, "UTC")
    margin = timedelta(days=1)
    q = (select(Ticket)
         .where(or_(Ticket.customer_id == customer.id, Ticket.contract_id.in_(contract_ids)))
         .where(Ticket.created_at < end + margin)
         .where(or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= start - margin))
         .order_by(Ticket.id))
    return list(session.scalars(q))


def _ident(ticket: Ticket | None, measure: str, ticket_id: int | None = None) -> str:
    """Audit id of a credit: ``SUP-4:resolution`` (``#<id>:...`` if the key is too long)."""
    text = f"{ticket.key}:{measure}" if ticket is not None else ""
    return text if text and len(text) <= 64 else \
        f"#{ticket.id if ticket is not None else ticket_id}:{measure}"


def compute_month(session: Session, contract_or_customer: Contract | Customer, month: str,
                  now: datetime, pause_statuses: Iterable[str] | None = DEFAULT_PAUSE_STATUSES,
                  at_risk: float = DEFAULT_AT_RISK) -> list[ServiceCredit]:
    """The month's service-credit ledger for one contract (or all of a customer's).

    Evaluates the candidate tickets at ``now`` (:func:`core.sla.evaluate_ticket`, which
    also audits new breaches), prices the breaches that fall in ``month`` and upserts
    the ledger rows. Runs in the caller's transaction; returns the month's rows in
    (contract, breach time, ticket, measure) order, flushed (ids assigned).
    """
    parse_month(month)
    now = utc(now)
    customer, contracts = _scope(session, contract_or_customer)
    by_id = {c.id: c for c in contracts}
    pause_statuses = tuple(pause_statuses or ())
    tickets = _candidates(session, customer, list(by_id), month)
    found: dict[int, list[Breach]] = {cid: [] for cid in by_id}
    ticket_of: dict[int, Ticket] = {}
    for t in tickets:
        ev = evaluate_ticket(session, t, now, pause_statuses, at_risk)
        if ev.contract_id not in by_id:
            continue
        tz = by_id[ev.contract_id].timezone
        for clock in ev.clocks:
            if clock.breached and month_of(clock.due, tz) == month:
                found[ev.contract_id].append(
                    Breach(t.id, t.key, clock.measure, clock.severity, clock.due))
                ticket_of[t.id] = t
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    for cid, breaches in found.items():
        c = by_id[cid]
        for p in price_month(breaches, monthly_fee(c), c.currency, rule_of(c), month):
            wanted[(p.breach.ticket_id, p.breach.measure)] = {
                "contract_id": cid, "customer_id": c.customer_id, "month": month,
                "severity": p.breach.severity, "breached_at": utc(p.breach.breached_at),
                "percent": p.percent, "amount": p.amount, "currency": c.currency,
                "capped": p.capped, "explanation": p.explanation}
    existing = session.scalars(select(ServiceCredit).where(or_(
        ServiceCredit.contract_id.in_(list(by_id)) & (ServiceCredit.month == month),
        ServiceCredit.ticket_id.in_(list(ticket_of) or [-1])))).all()
    have = {(r.ticket_id, r.measure): r for r in existing}
    actor = session.info.get("actor", "system")
    for key, values in wanted.items():
        row = have.get(key)
        ident = _ident(ticket_of[key[0]], key[1])
        if row is None:
            session.add(ServiceCredit(ticket_id=key[0], measure=key[1], created_at=now,
                                      **values))
            audit.append(session, at=now, actor=actor, action="credit.issued",
                         entity="credit", entity_id=ident, payload=values)
            continue
        changes = {f: [getattr(row, f), v] for f, v in values.items() if getattr(row, f) != v}
        if changes:
            for f, (_, v) in changes.items():
                setattr(row, f, v)
            audit.append(session, at=now, actor=actor, action="credit.recomputed",
                         entity="credit", entity_id=ident, payload={"changes": changes})
    for key, row in have.items():
        if key not in wanted and row.contract_id in by_id and row.month == month:
            ticket = session.get(Ticket, row.ticket_id)
            audit.append(session, at=now, actor=actor, action="credit.withdrawn",
                         entity="credit", entity_id=_ident(ticket, row.measure, row.ticket_id),
                         payload={"month": row.month, "amount": row.amount,
                                  "currency": row.currency,
                                  "reason": "no breach in this month any more"})
            session.delete(row)
    session.flush()
    return list(session.scalars(
        select(ServiceCredit).where(ServiceCredit.contract_id.in_(list(by_id)),
                                    ServiceCredit.month == month)
        .order_by(ServiceCredit.contract_id, ServiceCredit.breached_at,
                  ServiceCredit.ticket_id, ServiceCredit.measure)))


def total_by_currency(credits: Iterable[ServiceCredit]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in credits:
        out[c.currency] = out.get(c.currency, Decimal("0.00")) + Decimal(c.amount)
    return out
