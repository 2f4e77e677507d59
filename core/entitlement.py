"""Entitlement: what a customer may get at a moment, and why.

Rules (documented in the README):
- A contract grants entitlement when its status is ``active`` and the moment
  lies in its term, read as whole days in the contract's own time zone:
  from ``start_date`` 00:00 to the end of ``end_date`` (no end date: open).
  Support, maintenance, SLA and amendment contracts all grant.
- Overlapping contracts: the most generous wins, item by item. The tier and
  coverage shown are the best contract's (highest tier, then 24x7 over
  business hours, then the latest end). For each severity the contract whose
  resolution target comes due earliest for a ticket opened at that moment
  wins, with its own first-response target and calendar.
- Targets come from the contract's SLA plan, or the tier defaults below.
- Incidents: uncapped if any granting contract is uncapped; otherwise the sum
  of each capped contract's cap minus the tickets already served under it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.calendar import Coverage, add_covered_time
from core.clock import utc
from core.models import SEVERITIES, TIER_RANK, Contract, Customer, Ticket

# (first response, resolution) in minutes of covered time, per tier and severity.
DEFAULT_TARGETS: dict[str, dict[str, tuple[int, int]]] = {
    "basic": {"sev1": (480, 4320), "sev2": (960, 7200), "sev3": (1440, 14400),
              "sev4": (2880, 28800)},
    "standard": {"sev1": (120, 1440), "sev2": (240, 2880), "sev3": (480, 5760),
                 "sev4": (1440, 14400)},
    "premium": {"sev1": (60, 480), "sev2": (120, 1440), "sev3": (240, 2880),
                "sev4": (480, 5760)},
    "enterprise": {"sev1": (15, 240), "sev2": (60, 480), "sev3": (120, 1440),
                   "sev4": (240, 2880)},
}


class NotFound(LookupError):
    """No customer or ticket matches what was asked for."""


@dataclass(frozen=True)
class SeverityTarget:
    severity: str
    first_response_minutes: int
    resolution_minutes: int
    contract: str
    coverage: str
    timezone: str
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None


@dataclass(frozen=True)
class Entitlement:
    customer_id: int
    customer: str
    at: datetime
    entitled: bool
    tier: str | None
    coverage: str | None
    timezone: str | None
    contracts: tuple[str, ...]
    targets: dict[str, SeverityTarget]
    remaining_incidents: int | None
    expires: date | None
    reasons: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.isoformat()
        d["expires"] = self.expires.isoformat() if self.expires else None
        for t in d["targets"].values():
            for k in ("first_response_due", "resolution_due"):
                t[k] = t[k].isoformat() if t[k] else None
        d["contracts"] = list(self.contracts)
        d["reasons"] = list(self.reasons)
        return d

    def summary(self) -> str:
        """One line for a CRM field: ``premium, 24x7, until 2027-01-31 (C-1001)``."""
        if not self.entitled:
            return "no active support contract"
        until = f"until {self.expires.isoformat()}" if self.expires else "open-ended"
        return f"{self.tier}, {self.coverage}, {until} ({', '.join(self.contracts)})"


def coverage_of(c: Contract) -> Coverage:
    country, subdiv = None, None
    if c.holiday_calendar:
        country, _, sub = c.holiday_calendar.partition("-")
        subdiv = sub or None
    return Coverage(kind=c.coverage, timezone=c.timezone, holiday_country=country,  # type: ignore[arg-type]
                    holiday_subdiv=subdiv)


def term_window(c: Contract) -> tuple[datetime, datetime | None]:
    """The contract's term as instants: whole days in its own time zone."""
    tz = ZoneInfo(c.timezone)
    start = datetime.combine(c.start_date, time(0), tz)
    end = datetime.combine(c.end_date + timedelta(days=1), time(0), tz) if c.end_date else None
    return utc(start), (utc(end) if end else None)


def targets_of(c: Contract) -> dict[str, tuple[int, int]]:
    if c.sla_plan is not None:
        return {sev: (int(t["first_response_min"]), int(t["resolution_min"]))
                for sev, t in c.sla_plan.targets.items()}
    return DEFAULT_TARGETS.get(c.tier or "basic", DEFAULT_TARGETS["basic"])


def _why_not(c: Contract, at: datetime) -> str | None:
    start, end = term_window(c)
    label = f"{c.number} ({c.kind}, {c.tier or 'no tier'})"
    if c.status != "active":
        return f"{label} is {c.status}, not in force"
    if at < start:
        return f"{label} starts {c.start_date.isoformat()} ({c.timezone})"
    if end is not None and at >= end:
        return f"{label} ended {c.end_date.isoformat()} ({c.timezone})"  # type: ignore[union-attr]
    return None


def _rank(c: Contract) -> tuple[int, int, date]:
    return (TIER_RANK.get(c.tier or "", -1), 1 if c.coverage == "24x7" else 0,
            c.end_date or date.max)


@dataclass(frozen=True, slots=True)
class PlanTargets:
    """An SLA plan's targets, as ``targets_of`` reads them from ``contract.sla_plan``."""

    targets: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """What the rules read of a contract, without an ORM object: the lookup API loads
    these in one query (``Contract`` has the same attributes, so either will do)."""

    id: int
    number: str
    kind: str
    status: str
    tier: str | None
    coverage: str
    timezone: str
    holiday_calendar: str | None
    start_date: date
    end_date: date | None
    incident_cap: int | None
    sla_plan: PlanTargets | None


UsedCounts = Callable[[list[Any]], Mapping[int, int]]


def resolve(session: Session, customer: Customer, at: datetime,
            contracts: Sequence[Contract] | None = None) -> Entitlement:
    """``contracts``: the customer's, in number order, when the caller has them loaded."""
    if contracts is None:
        contracts = session.scalars(select(Contract).where(
            Contract.customer_id == customer.id).order_by(Contract.number)).all()
    return decide(customer.id, customer.name, contracts, at,
                  lambda capped: _used_counts(session, capped))


def decide(customer_id: int, customer_name: str, contracts: Sequence[Any], at: datetime,
           used_counts: UsedCounts) -> Entitlement:
    """The rules over a customer's ``contracts`` (``Contract`` or ``ContractTerms``, in
    number order). ``used_counts(contracts)``: tickets served under each, by contract id;
    asked only when every contract in force is capped."""
    at = utc(at)
    reasons: list[str] = []
    active: list[Any] = []
    for c in contracts:
        why = _why_not(c, at)
        if why:
            reasons.append(why)
        else:
            active.append(c)
    if not active:
        reasons.insert(0, f"no contract of {customer_name} is in force at {at.isoformat()}")
        return Entitlement(customer_id, customer_name, at, False, None, None, None, (), {}, 0,
                           None, tuple(reasons))
    best = max(active, key=_rank)
    granted = [f"{c.number} ({c.kind}, {c.tier or 'no tier'}, {c.coverage} in {c.timezone}) "
               f"is active from {c.start_date.isoformat()} to "
               f"{c.end_date.isoformat() if c.end_date else 'open end'}" for c in active]
    granted.append(f"tier and coverage from {best.number}: highest tier wins, then 24x7")
    targets = {sev: _best_target(active, sev, at) for sev in SEVERITIES}
    targets = {k: v for k, v in targets.items() if v is not None}
    for t in targets.values():
        granted.append(f"{t.severity}: first response {_fmt(t.first_response_minutes)}, "
                       f"resolution {_fmt(t.resolution_minutes)} on {t.coverage} from {t.contract}")
    remaining = _remaining_incidents(active, used_counts)
    if remaining is not None:
        granted.append(f"{remaining} incident(s) left under the capped contract(s)")
    ends = [c.end_date for c in active]
    expires = None if any(e is None for e in ends) else max(e for e in ends if e)
    return Entitlement(customer_id, customer_name, at, True, best.tier, best.coverage,
                       best.timezone, tuple(c.number for c in active), targets, remaining,
                       expires, tuple(granted + reasons))


def _best_target(active: list[Any], sev: str, at: datetime) -> SeverityTarget | None:
    best: SeverityTarget | None = None
    for c in active:
        t = targets_of(c).get(sev)
        if t is None:
            continue
        cov = coverage_of(c)
        fr_due = add_covered_time(cov, at, timedelta(minutes=t[0]))
        res_due = add_covered_time(cov, at, timedelta(minutes=t[1]))
        cand = SeverityTarget(sev, t[0], t[1], c.number, c.coverage, c.timezone, fr_due, res_due)
        if best is None or (res_due, fr_due) < (best.resolution_due, best.first_response_due):
            best = cand
    return best


def _remaining_incidents(active: list[Any], used_counts: UsedCounts) -> int | None:
    if any(c.incident_cap is None for c in active):
        return None
    used = used_counts(active)
    return sum(max(0, (c.incident_cap or 0) - used.get(c.id, 0)) for c in active)


def _used_counts(session: Session, contracts: list[Any]) -> dict[int, int]:
    return dict(session.execute(  # type: ignore[arg-type]
        select(Ticket.contract_id, func.count())
        .where(Ticket.contract_id.in_([c.id for c in contracts]))
        .group_by(Ticket.contract_id)).all())


def _fmt(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"


def find_customer(session: Session, name_or_id: str) -> Customer:
    """By id, exact name, case-insensitive name, or email domain -- never a guess."""
    if name_or_id.isdigit():
        found = session.get(Customer, int(name_or_id))
        if found:
            return found
    exact = session.scalar(select(Customer).where(Customer.name == name_or_id))
    if exact:
        return exact
    matches = session.scalars(select(Customer).where(or_(
        func.lower(Customer.name) == name_or_id.lower(),
        func.lower(Customer.domain) == name_or_id.lower()))).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NotFound(f"{name_or_id!r} matches several customers: "
                       f"{', '.join(m.name for m in matches)}")
    raise NotFound(f"no customer named {name_or_id!r}")


def for_ticket(session: Session, key: str) -> tuple[Ticket, Entitlement]:
    """The entitlement a ticket was opened under, with due times from its creation."""
    ticket = session.scalar(select(Ticket).where(Ticket.key == key))
    if ticket is None:
        raise NotFound(f"no ticket {key!r} in the store")
    if ticket.customer_id is None:
        raise NotFound(f"ticket {key} has no customer: no entitlement can be found")
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    return ticket, resolve(session, customer, ticket.created_at)
