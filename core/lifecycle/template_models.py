"""The lifecycle tables of migration 0005: template versions, the merge fields a
contract was drafted with, and approval rounds with their steps.

A template version is immutable once published; a contract points at the
version it came from (``contracts.template_version_id``). Each submission for
approval opens a round holding the routing rules it was computed with, so a
restart after an edit re-routes with the same rules, not whatever the config
says later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Base

STEP_STATUSES = ("pending", "approved", "rejected", "void")
ROUND_OUTCOMES = ("open", "approved", "rejected", "restarted")


class ContractTemplate(Base):
    __tablename__ = "contract_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.version")


class TemplateVersion(Base):
    __tablename__ = "template_versions"
    __table_args__ = (
        UniqueConstraint("template_id", "version", name="uq_template_versions_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("contract_templates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime]

    template: Mapped[ContractTemplate] = relationship(back_populates="versions")


class ContractFields(Base):
    """The per-contract merge fields that are not contract terms (discount, notes...)."""

    __tablename__ = "contract_fields"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    values: Mapped[dict[str, Any]]


class ApprovalRound(Base):
    __tablename__ = "approval_rounds"
    __table_args__ = (
        UniqueConstraint("contract_id", "round", name="uq_approval_rounds_round"),
        CheckConstraint("outcome IN ('open', 'approved', 'rejected', 'restarted')",
                        name="outcome"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict[str, Any]]
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16), default="open")

    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="round_", order_by="ApprovalStep.position")


class ApprovalStep(Base):
    __tablename__ = "approval_steps"
    __table_args__ = (
        UniqueConstraint("round_id", "position", name="uq_approval_steps_position"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'void')", name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("approval_rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(16))
    approver: Mapped[str | None] = mapped_column(String(120))
    reasons: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    round_: Mapped[ApprovalRound] = relationship(back_populates="steps")
