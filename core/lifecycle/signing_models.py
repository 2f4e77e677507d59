"""The lifecycle tables of migration 0006: signature requests, their signers, renewal alerts.

A request freezes what was sent: the draft document and its sha256, and the
sha256 of the consent text the signers agree to. A signer's link token and
optional access code are stored as sha256 only; archiving a request purges
the token hashes. The evidence of each signature lives in the audit trail
(core.audit), not here: these rows are the workflow's state.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Base

REQUEST_STATUSES = ("pending", "completed", "expired", "cancelled")
SIGNER_STATUSES = ("waiting", "pending", "signed")


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


class SigningRequest(Base):
    __tablename__ = "signing_requests"
    __table_args__ = (CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    consent_sha256: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    sent_by: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    executed_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    execution_audit_hash: Mapped[str | None] = mapped_column(String(64))
    retain_until: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]

    signers: Mapped[list[Signer]] = relationship(back_populates="request",
                                                 order_by="Signer.position")


class Signer(Base):
    __tablename__ = "signers"
    __table_args__ = (
        UniqueConstraint("request_id", "position", name="uq_signers_position"),
        CheckConstraint(_in("status", SIGNER_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signing_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None]
    code_hash: Mapped[str | None] = mapped_column(String(64))
    notified_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[datetime | None]

    request: Mapped[SigningRequest] = relationship(back_populates="signers")


class RenewalAlert(Base):
    """One alert per (contract, end date, threshold): sending twice is a no-op."""

    __tablename__ = "renewal_alerts"
    __table_args__ = (
        UniqueConstraint("contract_id", "end_date", "days_before", name="uq_renewal_alerts_once"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    end_date: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
    recipients: Mapped[str] = mapped_column(String(1000))
