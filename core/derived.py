"""Derived fields: what a customer record shows about its contracts, kept current.

A customer's ``contract_status``, ``support_tier``, ``renewal_date`` and
``entitlement_summary`` are computed from its contracts (core.entitlement)
and stored, so mappings push them out like any other field. They change when
their inputs change *and* when time crosses a boundary -- a contract starting
or ending at midnight in its own time zone -- so a pass runs at the start of
every sync cycle over the customers whose contracts changed, started or
ended since the previous pass. Contracts that are ``active`` past their end
(and do not auto-renew) become ``expired`` in the same pass. Tickets get their
entitlement, due times and breach flag (core.sla) when they change, when a
due time passes, and when their customer's contracts change.

Rules: contract_status is ``active`` when entitled, else ``pending`` when a
contract starts later, else ``expired`` when one has ended, else ``none``;
renewal_date is the earliest end date among the contracts in force.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.entitlement import resolve, term_window
from core.models import Contract, Customer, Ticket
from core.sla import evaluate_ticket
from core.sync_models import Cursor

PASS_KEY = "__derived__"
CHUNK = 500
FUTURE_STATUSES = ("draft", "pending_approval", "approved", "out_for_signature", "active")


def customer_fields(session: Session, customer: Customer, now: datetime,
                    contracts: Sequence[Contract] | None = None) -> dict[str, Any]:
    """``contracts``: the customer's, in number order, when the caller has them loaded."""
    if contracts is None:
        contracts = session.scalars(select(Contract).where(
            Contract.customer_id == customer.id).order_by(Contract.number)).all()
    ent = resolve(session, customer, now, contracts)
    if ent.entitled:
        status = "active"
    elif any(term_window(c)[0] > now and c.status in FUTURE_STATUSES for c in contracts):
        status = "pending"
    elif any(c.status in ("active", "expired") for c in contracts):
        status = "expired"
    else:
        status = "none"
    in_force = [c for c in contracts if c.number in ent.contracts and c.end_date]
    renewal = min((c.end_date for c in in_force), default=None)
    return {"contract_status": status, "support_tier": ent.tier, "renewal_date": renewal,
            "entitlement_summary": ent.summary(),
            "renewal_alert": renewal_alert(session, in_force)}


def renewal_alert(session: Session, in_force: Sequence[Contract]) -> str | None:
    """The nearest renewal alert already sent for a contract in force, for the CRM."""
    if not in_force:
        return None
    from core.lifecycle.signing_models import RenewalAlert

    by_id = {c.id: c for c in in_force}
    row = session.execute(
        select(RenewalAlert.contract_id, RenewalAlert.end_date, RenewalAlert.days_before)
        .where(RenewalAlert.contract_id.in_(list(by_id)))
        .order_by(RenewalAlert.end_date, RenewalAlert.days_before).limit(1)).first()
    if row is None or by_id[row.contract_id].end_date != row.end_date:
        return None
    return (f"{by_id[row.contract_id].number} ends {row.end_date:%Y-%m-%d}: "
            f"{row.days_before}-day renewal notice")


def expire_contracts(session: Session, now: datetime, ids: set[int] | None = None) -> int:
    # an end_date after today (UTC) cannot have ended anywhere yet: zones reach UTC+14 only
    q = select(Contract).where(Contract.status == "active", Contract.end_date.is_not(None),
                               Contract.end_date <= now.date(), Contract.auto_renew.is_(False))
    if ids is not None:
        q = q.where(Contract.customer_id.in_(ids))
    n = 0
    for c in session.scalars(q):
        end = term_window(c)[1]
        if end is not None and end <= now:
            c.status = "expired"
            n += 1
    return n


def refresh_customers(session: Session, now: datetime, ids: set[int] | None = None) -> int:
    """Recompute the derived fields; write only those that differ. Returns customers changed."""
    expire_contracts(session, now, ids)
    session.flush()
    changed = 0
    for chunk in _customer_chunks(session, ids):  # contracts: one query per chunk
        by_customer: dict[int, list[Contract]] = {c.id: [] for c in chunk}
        for contract in session.scalars(select(Contract).where(
                Contract.customer_id.in_(list(by_customer))).order_by(Contract.number)):
            by_customer[contract.customer_id].append(contract)
        for cust in chunk:
            values = customer_fields(session, cust, now, by_customer[cust.id])
            diff = {k: v for k, v in values.items() if getattr(cust, k) != v}
            for k, v in diff.items():
                setattr(cust, k, v)
            changed += bool(diff)
        session.flush()  # written: the chunk's rows can leave memory before the next one
    return changed


def _customer_chunks(session: Session, ids: set[int] | None) -> Iterator[Sequence[Customer]]:
    """Customers in id order, ``CHUNK`` at a time (every one when ``ids`` is None)."""
    if ids is not None:
        wanted = sorted(ids)
        for i in range(0, len(wanted), CHUNK):
            yield session.scalars(select(Customer).where(
                Customer.id.in_(wanted[i:i + CHUNK])).order_by(Customer.id)).all()
        return
    last = 0
    while chunk := session.scalars(select(Customer).where(Customer.id > last)
                                   .order_by(Customer.id).limit(CHUNK)).all():
        yield chunk
        last = chunk[-1].id


def customers_due(session: Session, since: datetime, now: datetime) -> set[int]:
    """Customers whose contracts changed, or started or ended (in their own zone), since
    ``since``. The dates near the window are a wide net (zones reach from UTC-12 to
    UTC+14); only a boundary that really fell in (since, now] counts, so an idle cycle
    does not refresh the customers of every contract starting or ending this week."""
    due = set(session.scalars(select(Contract.customer_id).where(Contract.updated_at >= since)))
    # local midnight of a date d falls between d-1 10:00 and d 12:00 UTC (UTC+14 to UTC-12)
    lo, hi = (since - timedelta(hours=12)).date(), (now + timedelta(hours=14)).date()
    day = timedelta(days=1)
    near = session.execute(
        select(Contract.customer_id, Contract.start_date, Contract.end_date, Contract.timezone)
        .where(or_(Contract.start_date.between(lo, hi),
                   Contract.end_date.between(lo - day, hi - day))))  # a term ends at d+1
    for row in near:
        if row.customer_id not in due and any(
                b is not None and since < b <= now for b in term_window(row)):  # type: ignore[arg-type]
            due.add(row.customer_id)
    return due


def tickets_due(session: Session, since: datetime | None, now: datetime,
                customers: set[int] | None) -> list[Ticket]:
    """Tickets to re-evaluate: changed since the last pass, whose due time passed since
    then (a breach boundary), or of customers whose contracts changed."""
    if since is None:
        return list(session.scalars(select(Ticket)))
    open_ = Ticket.resolved_at.is_(None)
    conds = [Ticket.updated_at >= since,
             and_(open_, Ticket.first_response_due > since, Ticket.first_response_due <= now),
             and_(open_, Ticket.resolution_due > since, Ticket.resolution_due <= now)]
    if customers:
        conds.append(and_(open_, Ticket.customer_id.in_(customers)))
    return list(session.scalars(select(Ticket).where(or_(*conds))))


def refresh_tickets(session: Session, now: datetime, tickets: list[Ticket]) -> int:
    """Re-evaluate ``tickets``; a breach found for the first time is priced at once
    into the service-credit ledger of its contract and month (idempotent upsert)."""
    changed = 0
    to_price: set[tuple[int, Any]] = set()
    for t in tickets:
        ev = evaluate_ticket(session, t, now)
        changed += bool(ev.changed)
        for clock in ev.clocks:
            if clock.measure in ev.newly_breached and ev.contract_id is not None:
                to_price.add((ev.contract_id, clock.due))
    price_breaches(session, now, to_price)
    return changed


def price_breaches(session: Session, now: datetime, found: set[tuple[int, Any]]) -> None:
    from core.credits import compute_month, month_of

    months: set[tuple[int, str]] = set()
    for contract_id, due in found:
        contract = session.get(Contract, contract_id)
        if contract is not None and due is not None:
            months.add((contract_id, month_of(due, contract.timezone or "UTC")))
    for contract_id, month in sorted(months):
        compute_month(session, session.get(Contract, contract_id), month, now)


def run_pass(session: Session, now: datetime) -> int:
    """One incremental pass (the first one covers every customer and ticket)."""
    mark = session.get(Cursor, PASS_KEY)
    since: datetime | None = None
    if mark is None:
        mark = Cursor(sync=PASS_KEY, version=1, value={}, state={})
        session.add(mark)
        ids = None
    else:
        since = datetime.fromisoformat(mark.value["at"])
        ids = customers_due(session, since, now)
    n = refresh_customers(session, now, ids) if ids is None or ids else 0
    n += refresh_tickets(session, now, tickets_due(session, since, now, ids))
    mark.value, mark.updated_at = {"at": now.isoformat()}, now
    return n
