"""``GET /v1/entitlements``: what a customer (or a ticket) is entitled to, and why.

The answer comes from the store only (``core.entitlement``), in one session
with a bounded number of indexed queries: the token; the customer (or the
ticket and its customer) together with the SLA plans its contracts use, so
the rules never lazy-load them one by one; the contracts; and the ticket
counts when every contract is capped. No connector is ever made here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api.auth import AUTH_RESPONSES, Agent
from core.api.schemas import EntitlementOut, ErrorOut
from core.audit import jsonable
from core.clock import utc
from core.entitlement import Entitlement, NotFound, find_customer, for_ticket, resolve
from core.models import Contract, Customer, SlaPlan, Ticket

router = APIRouter(tags=["entitlements"])


def _plans_joined(owner_id: Any) -> Any:
    """SLA plans used by the contracts of the customer whose id is ``owner_id``."""
    return SlaPlan.id.in_(select(Contract.sla_plan_id).where(Contract.customer_id == owner_id)
                          .scalar_subquery())


# The session's identity map holds objects weakly: ``lookup`` keeps what these return
# referenced while the rules run, so each contract's ``sla_plan`` is found there (no
# lazy load per contract) and ``for_ticket``'s customer is found by id without a query.
def _customer_with_plans(s: Session, name_or_id: str) -> tuple[Customer | None, list[Any]]:
    """In one query, the customer ``find_customer`` tries first (by id for digits, else by
    exact name) with its contracts' SLA plans; (None, []) if there is none."""
    match = (Customer.id == int(name_or_id)) if name_or_id.isdigit() and len(name_or_id) < 10 \
        else (Customer.name == name_or_id)
    rows = s.execute(select(Customer, SlaPlan).outerjoin(SlaPlan, _plans_joined(Customer.id))
                     .where(match)).all()
    return (rows[0][0] if rows else None), rows


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
    else:
        found, loaded = _customer_with_plans(s, customer or "")
        if found is None:  # not by id or exact name: find_customer's other rules
            found = find_customer(s, customer or "")
            loaded = list(s.scalars(select(SlaPlan).where(_plans_joined(found.id))))
        body = entitlement_body(resolve(s, found, at))
    del loaded  # kept referenced until here on purpose (see above)
    return body


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
