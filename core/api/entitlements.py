"""``GET /v1/entitlements``: what a customer (or a ticket) is entitled to, and why.

The answer comes from the store only (``core.entitlement``), in one session
with a bounded number of indexed queries: the token, the customer (or
ticket), the SLA plans the customer's contracts use (loaded up front, so the
rules never lazy-load them one by one), the contracts, and the ticket counts
when every contract is capped. No connector is ever made here.
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
from core.models import Contract, SlaPlan, Ticket

router = APIRouter(tags=["entitlements"])


# The session's identity map holds objects weakly: the caller keeps the returned plans
# referenced while the rules run, so each contract's ``sla_plan`` is found there.
def _plans_of_customer(s: Session, customer_id: int) -> list[SlaPlan]:
    return list(s.scalars(select(SlaPlan).where(SlaPlan.id.in_(
        select(Contract.sla_plan_id).where(Contract.customer_id == customer_id)))))


def _plans_of_ticket(s: Session, key: str) -> list[SlaPlan]:
    return list(s.scalars(select(SlaPlan).where(SlaPlan.id.in_(
        select(Contract.sla_plan_id).join(Ticket, Ticket.customer_id == Contract.customer_id)
        .where(Ticket.key == key)))))


def parse_at(at: str | None, default: datetime) -> datetime:
    if at is None:
        return default
    try:
        return utc(datetime.fromisoformat(at))
    except ValueError:
        raise HTTPException(400, f"at={at!r} is not an ISO 8601 time "
                                 "(e.g. 2026-11-22T10:00:00Z)") from None


def entitlement_body(ent: Entitlement, ticket: Ticket | None = None) -> dict[str, Any]:
    body = ent.to_dict()
    body["summary"] = ent.summary()
    body["ticket"] = None if ticket is None else {
        "key": ticket.key, "severity": ticket.severity, "status": ticket.status,
        "created_at": jsonable(ticket.created_at), "contract_number": ticket.contract_number}
    return body


def lookup(s: Session, *, customer: str | None, ticket: str | None, at: datetime
           ) -> dict[str, Any]:
    """The answer for exactly one of ``customer`` / ``ticket`` (``NotFound`` otherwise)."""
    if ticket is not None:
        plans = _plans_of_ticket(s, ticket)
        t, ent = for_ticket(s, ticket)
        body = entitlement_body(ent, t)
    else:
        found = find_customer(s, customer or "")
        plans = _plans_of_customer(s, found.id)
        body = entitlement_body(resolve(s, found, at))
    del plans  # kept alive until here on purpose (see above)
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
    caller: Agent,
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
    if (customer is None) == (ticket is None):
        raise HTTPException(400, "give exactly one of `customer` or `ticket`")
    when = parse_at(at, caller.hub.clock.now())
    try:
        body = lookup(caller.session, customer=customer, ticket=ticket, at=when)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(json.dumps(body, separators=(",", ":")).encode(),
                    media_type="application/json")
