"""``GET /v1/contracts`` (filters and paging) and ``GET /v1/contracts/{number}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.api.auth import AUTH_RESPONSES, Viewer
from core.api.schemas import ContractOut, ContractPage, ErrorOut
from core.audit import jsonable
from core.entitlement import NotFound, find_customer
from core.models import CONTRACT_STATUSES, Contract

router = APIRouter(tags=["contracts"])


def contract_dict(c: Contract) -> dict[str, Any]:
    return jsonable({
        "number": c.number, "customer": c.customer.name, "kind": c.kind, "status": c.status,
        "tier": c.tier, "start_date": c.start_date, "end_date": c.end_date,
        "renewal_notice_days": c.renewal_notice_days, "auto_renew": c.auto_renew,
        "value": c.value, "currency": c.currency, "coverage": c.coverage,
        "timezone": c.timezone, "holiday_calendar": c.holiday_calendar,
        "scope": c.scope or [], "exclusions": c.exclusions or [],
        "uptime_target": c.uptime_target, "escalation_contacts": c.escalation_contacts or [],
        "incident_cap": c.incident_cap, "sla_plan": c.sla_plan.name if c.sla_plan else None,
        "parent": c.parent.number if c.parent else None, "version": c.version,
        "locked": c.locked, "description": c.description})


def _loaded(q: Any) -> Any:
    """Everything ``contract_dict`` reads, loaded with the rows (no lazy load per row)."""
    return q.options(joinedload(Contract.customer), selectinload(Contract.sla_plan),
                     selectinload(Contract.parent))


@router.get("/v1/contracts", response_model=ContractPage, summary="List contracts",
            responses={**AUTH_RESPONSES,
                       400: {"model": ErrorOut, "description": "an unknown status"},
                       404: {"model": ErrorOut, "description": "no such customer"}})
def list_contracts(
    gate: Viewer,
    status: str | None = Query(None, description=f"one of {', '.join(CONTRACT_STATUSES)}"),
    customer: str | None = Query(None, description="customer id, name or email domain",
                                 max_length=255),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Contracts ordered by number, optionally of one status and one customer."""
    if status is not None and status not in CONTRACT_STATUSES:
        raise HTTPException(400, f"unknown status {status!r} (use "
                                 f"{', '.join(CONTRACT_STATUSES)})")
    with gate.open() as caller:
        s = caller.session
        conditions = []
        if status is not None:
            conditions.append(Contract.status == status)
        if customer is not None:
            try:
                conditions.append(Contract.customer_id == find_customer(s, customer).id)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from None
        total = s.scalar(select(func.count()).select_from(Contract).where(*conditions)) or 0
        rows = s.scalars(_loaded(select(Contract).where(*conditions).order_by(Contract.number)
                                 .limit(limit).offset(offset))).all()
        return {"total": total, "limit": limit, "offset": offset,
                "items": [contract_dict(c) for c in rows]}


@router.get("/v1/contracts/{number}", response_model=ContractOut, summary="One contract",
            responses={**AUTH_RESPONSES,
                       404: {"model": ErrorOut, "description": "no such contract"}})
def get_contract(gate: Viewer, number: str = Path(max_length=64)) -> dict[str, Any]:
    """One contract with all its terms."""
    with gate.open() as caller:
        c = caller.session.scalar(_loaded(select(Contract).where(Contract.number == number)))
        if c is None:
            raise HTTPException(404, f"no contract {number!r}")
        return contract_dict(c)
