"""Retention: nothing executed is deleted before its time, whatever command asks.

A ``before_flush`` hook (like core.changes) refuses, in the same transaction,
the deletion of
- an ``executed`` or ``certificate`` document before its contract's retention
  ends: the ``retain_until`` its signing recorded (execution + the configured
  ``signing.retention_years``), or, for a document that did not come through
  signing, its own ``created_at`` + 7 years;
- a signing request or signer of a completed request before ``retain_until``;
- any audit event, ever (the chain would break; ``audit verify`` would say so).
Locked contracts already refuse deletion (core.changes). ``RetentionHold`` is a
``ContractLocked``, so the sync engine dead-letters a remote deletion it meets
and the CLI prints it as one line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.changes import ContractLocked
from core.clock import SystemClock
from core.lifecycle.signing_models import Signer, SigningRequest
from core.models import AuditEvent, Contract, Document

DEFAULT_YEARS = 7
KEPT_KINDS = ("executed", "certificate")
_SYSTEM_CLOCK = SystemClock()


class RetentionHold(ContractLocked):
    """An executed record is inside its retention period and cannot be deleted."""


def years_after(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def document_retained_until(session: Session, doc: Document) -> datetime | None:
    if doc.kind not in KEPT_KINDS:
        return None
    with session.no_autoflush:
        recorded = session.scalar(select(SigningRequest.retain_until).where(
            SigningRequest.contract_id == doc.contract_id,
            SigningRequest.retain_until.is_not(None))
            .order_by(SigningRequest.retain_until.desc()).limit(1))
    return max(filter(None, [recorded, years_after(doc.created_at, DEFAULT_YEARS)]))


def _number(session: Session, contract_id: int) -> str:
    with session.no_autoflush:
        c = session.get(Contract, contract_id)
    return c.number if c else str(contract_id)


def check_deletions(session: Session, now: datetime) -> None:
    for obj in list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RetentionHold(f"audit event {obj.seq} cannot be deleted: the audit trail "
                                "is append-only")
        if isinstance(obj, Document):
            until = document_retained_until(session, obj)
            if until is not None and now < until:
                raise RetentionHold(
                    f"contract {_number(session, obj.contract_id)}: {obj.kind} document "
                    f"{obj.id} is kept until {until:%Y-%m-%d} (retention) and cannot be deleted")
        request = obj.request if isinstance(obj, Signer) else obj
        if isinstance(request, SigningRequest) and request.retain_until is not None \
                and now < request.retain_until:
            raise RetentionHold(
                f"contract {_number(session, request.contract_id)}: signing request "
                f"{request.id} is evidence kept until {request.retain_until:%Y-%m-%d}")


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.deleted:
        check_deletions(session, (session.info.get("clock") or _SYSTEM_CLOCK).now())
