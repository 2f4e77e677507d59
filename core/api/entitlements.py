"""``GET /v1/entitlements``: what a customer (or a ticket) is entitled to, and why.

The answer comes from the store only (``core.entitlement``), in one session
with a bounded number of indexed queries. By customer (the hot path): the
token, then one Core query for the customer, its contracts' terms, their SLA
plans and the tickets served under each capped one, fed to the rules as plain
``ContractTerms`` (no ORM objects). By ticket: the ticket and its customer
with the SLA plans its contracts use, so the rules never lazy-load them one by
one; the contracts; and the ticket counts when every contract is capped. No
connector is ever made here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from core.api.auth import AUTH_RESPONSES, Agent
from core.api.schemas import EntitlementOut, ErrorOut
from core.audit import jsonable
from core.clock import utc
from core.entitlement import (
    ContractTerms,
    Entitlement,
    NotFound,
    PlanTargets,
    decide,
    find_customer,
    for_ticket,
)
from core.models import Contract, Customer, SlaPlan, Ticket

router = APIRouter(tags=["entitlements"])


def _plans_joined(owner_id: Any) -> Any:
    """SLA plans used by the contracts of the customer whose id is ``owner_id``."""
    return SlaPlan.id.in_(select(Contract.sla_plan_id).where(Contract.customer_id == owner_id)
                          .scalar_subquery())


def _terms_query(match: Any) -> Any:
    """The customer matching ``match`` with one row per contract (in number order; one row
    of NULLs without contracts): its terms, its SLA plan's targets, and for a capped
    contract the tickets served under it."""
    used = select(func.count()).where(Ticket.contract_id == Contract.id).scalar_subquery()
    return (select(Customer.id.label("customer_id"), Customer.name.label("customer_name"),
                   Contract.id, Contract.number, Contract.kind, Contract.status, Contract.tier,
                   Contract.coverage, Contract.timezone, Contract.holiday_calendar,
                   Contract.start_date, Contract.end_date, Contract.incident_cap,
                   SlaPlan.targets,
                   case((Contract.incident_cap.is_(None), None), else_=used).label("used"))
            .select_from(Customer).outerjoin(Contract, Contract.customer_id == Customer.id)
            .outerjoin(SlaPlan, SlaPlan.id == Contract.sla_plan_id)
            .where(match).order_by(Contract.number))


BY_ID = _terms_query(Customer.id == bindparam("key"))
BY_NAME = _terms_query(Customer.name == bindparam("key"))


def customer_entitlement(s: Session, name_or_id: str, at: datetime) -> Entitlement:
    """``resolve`` for the customer ``find_customer`` would find, from one query (two when
    it is found by its other rules: a case-insensitive name or a domain)."""
    by_id = name_or_id.isdigit() and len(name_or_id) < 10
    conn = s.connection()
    rows = conn.execute(BY_ID if by_id else BY_NAME,
                        {"key": int(name_or_id) if by_id else name_or_id}).all()
    if not rows and by_id:  # digits that are no id may still be a name
        rows = conn.execute(BY_NAME, {"key": name_or_id}).all()
    if not rows:
        rows = conn.execute(BY_ID, {"key": find_customer(s, name_or_id).id}).all()
    terms, used = [], {}
    for r in rows:
        if r.id is None:
            continue  # a customer without contracts
        terms.append(ContractTerms(
            r.id, r.number, r.kind, r.status, r.tier, r.coverage, r.timezone,
            r.holiday_calendar, r.start_date, r.end_date, r.incident_cap,
            None if r.targets is None else PlanTargets(r.targets)))
        if r.used is not None:
            used[r.id] = r.used
    return decide(rows[0].customer_id, rows[0].customer_name, terms, at, lambda _: used)


# The session's identity map holds objects weakly: ``lookup`` keeps what
# ``_ticket_with_plans`` returns referenced while the rules run, so each contract's
# ``sla_plan`` is found there (no lazy load per contract) and ``for_ticket``'s customer is
# found by id without a query.
def _ticket_with_plans(s: Session, key: str) -> list[Any]:
    return list(s.execute(
        select(Ticket, Customer, SlaPlan).join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(SlaPlan, _plans_joined(Customer.id)).where(Ticket.key == key)).all())


def parse_at(at: str | None, default: datetime) -> datetime:
    if at is None:
        return default
    try:
        return utc(datetime.fromisoformat(at))
    except ValueError:
        raise HTTPException(400, f"at={at!r} is not an ISO 8601 time "
                                 "(e.g. 2026-11-22T10:00:00Z)") from None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def entitlement_dict(ent: Entitlement) -> dict[str, Any]:
    """``ent.to_dict()``, built directly (``dataclasses.asdict`` deep-copies every value,
    which costs the hot path more than the rest of the answer; the tests compare both)."""
    return {"customer_id": ent.customer_id, "customer": ent.customer,
            "at": ent.at.isoformat(), "entitled": ent.entitled, "tier": ent.tier,
            "coverage": ent.coverage, "timezone": ent.timezone,
            "contracts": list(ent.contracts),
            "targets": {k: {"severity": t.severity,
                            "first_response_minutes": t.first_response_minutes,
                            "resolution_minutes": t.resolution_minutes,
                            "contract": t.contract, "coverage": t.coverage,
                            "timezone": t.timezone,
                            "first_response_due": _iso(t.first_response_due),
                            "resolution_due": _iso(t.resolution_due)}
                        for k, t in ent.targets.items()},
            "remaining_incidents": ent.remaining_incidents, "expires": _iso(ent.expires),
            "reasons": list(ent.reasons)}


def entitlement_body(ent: Entitlement, ticket: Ticket | None = None) -> dict[str, Any]:
    body = entitlement_dict(ent)
    body["summary"] = ent.summary()
    body["ticket"] = None if ticket is None else {
        "key": ticket.key, "severity": ticket.severity, "status": ticket.status,
        "created_at": jsonable(ticket.created_at), "contract_number": ticket.contract_number}
    return body


def lookup(s: Session, *, customer: str | None, ticket: str | None, at: datetime
           ) -> dict[str, Any]:
    """The answer for exactly one of ``customer`` / ``ticket`` (``NotFound`` otherwise)."""
    if ticket is not None:
        loaded = _ticket_with_plans(s, ticket)
        t, ent = for_ticket(s, ticket)
        body = entitlement_body(ent, t)
        del loaded  # kept referenced until here on purpose (see above)
        return body
    return entitlement_body(customer_entitlement(s, customer or "", at))


@router.get(
    "/v1/entitlements", response_model=EntitlementOut,
    summary="Look up an entitlement (by customer or by ticket), with the explanation",
    responses={**AUTH_RESPONSES,
               400: {"model": ErrorOut, "description": "not exactly one of customer/ticket, "
                                                       "or a bad `at`"},
               404: {"model": ErrorOut, "description": "no such customer or ticket, or a "
                                                       "name matching several customers"}})
def get_entitlement(
    gate: Agent,
    customer: str | None = Query(None, description="customer id, exact name, case-insensitive "
                                                   "name or email domain", max_length=255),
    ticket: str | None = Query(None, description="ticket key (e.g. SUP-42): the entitlement "
                                                 "the ticket was opened under", max_length=64),
    at: str | None = Query(None, description="ISO 8601 instant (default: now); ignored for "
                                             "a ticket, which uses its creation time"),
) -> Response:
    """Answered from the store alone (never a remote call). `reasons` explains the answer:
    which contracts grant it, which one sets the tier and each severity's targets, and why
    the others do not count."""
    with gate.open() as caller:
        if (customer is None) == (ticket is None):
            raise HTTPException(400, "give exactly one of `customer` or `ticket`")
        when = parse_at(at, caller.hub.clock.now())
        try:
            body = lookup(caller.session, customer=customer, ticket=ticket, at=when)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
    return Response(json.dumps(body, separators=(",", ":")).encode(),
                    media_type="application/json")
