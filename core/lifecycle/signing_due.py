"""What falls due on signing requests as time passes: reminders, expiry, archiving.

``run_due`` is what ``contracthub signing run-due`` and the daemon call. It
reminds the current signer of each pending request every ``reminder_every``
(48h) since they were last emailed, with a fresh link (the older one stops
working); expires requests ``expire_after`` (90d) after sending (the contract
goes back to ``approved``, signers are told); archives requests that ended
``archive_after`` (365d) ago, purging their token and code hashes. Each item
is committed on its own, after its email went out, so a mail failure leaves
that item due for the next run and does not undo the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.clock import Clock
from core.config import SigningSettings
from core.lifecycle.mailer import Mailer, MailError
from core.lifecycle.signing import duration, invitation, mint_link
from core.lifecycle.signing_models import Signer, SigningRequest
from core.models import Contract

ACTOR = "system:signing"


@dataclass
class DueReport:
    reminded: list[str] = field(default_factory=list)   # "NUMBER: email"
    expired: list[str] = field(default_factory=list)    # contract numbers
    archived: list[int] = field(default_factory=list)   # request ids
    errors: list[str] = field(default_factory=list)


def run_due(session: Session, clock: Clock, mailer: Mailer,
            settings: SigningSettings | None = None) -> DueReport:
    settings = settings or SigningSettings()
    every = duration(settings, "reminder_every")
    archive_after = duration(settings, "archive_after")
    now = clock.now()
    report = DueReport()
    pending = session.scalars(select(SigningRequest).where(SigningRequest.status == "pending")
                              .order_by(SigningRequest.id)).all()
    for req in pending:
        contract = session.get(Contract, req.contract_id)
        try:
            if req.expires_at <= now:
                expire(session, mailer, req, contract, now)
                report.expired.append(contract.number)
            else:
                current = next((s for s in req.signers if s.status == "pending"), None)
                if current is not None and current.notified_at + every <= now:
                    remind(session, mailer, current, contract, now, settings)
                    report.reminded.append(f"{contract.number}: {current.email}")
            session.commit()
        except MailError as exc:
            session.rollback()
            report.errors.append(f"{contract.number}: {exc}")
    ended = session.scalars(select(SigningRequest).where(
        SigningRequest.status != "pending", SigningRequest.archived_at.is_(None),
        SigningRequest.ended_at <= now - archive_after).order_by(SigningRequest.id)).all()
    for req in ended:
        archive(session, req, now)
        report.archived.append(req.id)
        session.commit()
    return report


def remind(session: Session, mailer: Mailer, signer: Signer, contract: Contract,
           now: datetime, settings: SigningSettings) -> None:
    signer.reminders += 1
    signer.notified_at = now
    subject, body = invitation(contract, signer, mint_link(signer, settings), turn=True)
    audit.append(session, at=now, actor=ACTOR, action="signing.reminded", entity="contract",
                 entity_id=contract.number, payload={
                     "request": signer.request_id, "position": signer.position,
                     "email": signer.email, "reminder": signer.reminders})
    mailer.send([signer.email], f"Reminder: {subject}", body, now=now)


def expire(session: Session, mailer: Mailer, req: SigningRequest, contract: Contract,
           now: datetime) -> None:
    req.status, req.ended_at = "expired", now
    if contract.status == "out_for_signature":
        contract.status = "approved"
    session.flush()
    unsigned = [s for s in req.signers if s.status != "signed"]
    audit.append(session, at=now, actor=ACTOR, action="signing.expired", entity="contract",
                 entity_id=contract.number, payload={
                     "request": req.id, "expires_at": req.expires_at,
                     "unsigned": [s.email for s in unsigned]})
    mailer.send([s.email for s in req.signers], f"Expired: contract {contract.number}",
                f"The request to sign contract {contract.number} for {contract.customer.name} "
                f"expired at {req.expires_at:%Y-%m-%d %H:%M} UTC without every signature; "
                "its links no longer work.\n", now=now)


def archive(session: Session, req: SigningRequest, now: datetime) -> None:
    """A state change: the request stays (with its evidence in the audit trail); secrets go."""
    req.archived_at = now
    for s in req.signers:
        s.token_hash = s.code_hash = s.token_expires_at = None
    session.flush()
    audit.append(session, at=now, actor=ACTOR, action="signing.archived", entity="contract",
                 entity_id=str(session.get(Contract, req.contract_id).number),
                 payload={"request": req.id, "status": req.status, "ended_at": req.ended_at})
