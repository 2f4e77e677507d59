"""The contract store's tables (SQLAlchemy 2.x typed ORM).

The same schema runs on SQLite (the embedded default) and PostgreSQL (the
production store). Times are stored as timezone-aware UTC; money as
``Numeric``. Enumerations are plain strings checked by the domain code and a
CHECK constraint, so a new value needs a migration, never a silent typo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

CONTRACT_KINDS = ("support", "maintenance", "sla", "amendment")
CONTRACT_STATUSES = ("draft", "pending_approval", "approved", "out_for_signature",
                     "active", "expired", "terminated", "cancelled")
COVERAGE_KINDS = ("24x7", "business_hours")
TIERS = ("basic", "standard", "premium", "enterprise")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
TIER_RANK = {t: i for i, t in enumerate(TIERS)}

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON,
                           list[Any]: JSON, Decimal: Numeric(14, 2)}


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    billing_street: Mapped[str | None] = mapped_column(String(255))
    billing_city: Mapped[str | None] = mapped_column(String(120))
    billing_country: Mapped[str | None] = mapped_column(String(80))
    owner: Mapped[str | None] = mapped_column(String(120))
    # Derived from the contracts (core.derived); stored so mappings can push them.
    contract_status: Mapped[str | None] = mapped_column(String(32))
    support_tier: Mapped[str | None] = mapped_column(String(32))
    renewal_date: Mapped[date | None] = mapped_column(Date)
    entitlement_summary: Mapped[str | None] = mapped_column(Text)
    renewal_alert: Mapped[str | None] = mapped_column(String(255))
    """The latest renewal alert of a contract in force ("SA-1 ends 2027-03-01: 30-day
    notice"), derived like the fields above and pushed to the CRM record."""
    updated_at: Mapped[datetime | None]

    contracts: Mapped[list[Contract]] = relationship(back_populates="customer")


class SlaPlan(Base):
    """Per-severity targets and the service-credit rule.

    ``targets``: ``{"sev1": {"first_response_min": 30, "resolution_min": 240}, ...}``.
    ``credit_rule``: ``{"percent_per_breach": {"sev1": 10, ...}, "monthly_cap_percent": 30}``.
    """

    __tablename__ = "sla_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    targets: Mapped[dict[str, Any]]
    credit_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(_in("kind", CONTRACT_KINDS), name="kind"),
        CheckConstraint(_in("status", CONTRACT_STATUSES), name="status"),
        CheckConstraint(_in("coverage", COVERAGE_KINDS), name="coverage"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="term"),
        CheckConstraint("kind != 'amendment' OR parent_id IS NOT NULL", name="amendment_parent"),
        Index("ix_contracts_customer_dates", "customer_id", "start_date", "end_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    tier: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    renewal_notice_days: Mapped[int] = mapped_column(Integer, default=60)
    auto_renew: Mapped[bool] = mapped_column(default=False)
    value: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    coverage: Mapped[str] = mapped_column(String(16), default="business_hours")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    holiday_calendar: Mapped[str | None] = mapped_column(String(16))
    scope: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exclusions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    uptime_target: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    escalation_contacts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    incident_cap: Mapped[int | None]
    sla_plan_id: Mapped[int | None] = mapped_column(ForeignKey("sla_plans.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("template_versions.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    locked: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(back_populates="contracts")
    sla_plan: Mapped[SlaPlan | None] = relationship()
    parent: Mapped[Contract | None] = relationship(remote_side=[id])


class Ticket(Base):
    """A mirror of a ticket the ticketing system holds, with the SLA clock times.

    ``status_history``: ``[{"at": ISO, "status": "Waiting for customer"}, ...]``,
    enough to compute pauses.
    """

    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint(_in("severity", SEVERITIES), name="severity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    severity: Mapped[str] = mapped_column(String(8), default="sev3")
    status: Mapped[str] = mapped_column(String(64), default="Open")
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    status_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Derived (core.entitlement / SLA clock); pushed onto the ticket by mappings.
    entitlement_tier: Mapped[str | None] = mapped_column(String(32))
    coverage: Mapped[str | None] = mapped_column(String(64))
    contract_number: Mapped[str | None] = mapped_column(String(64))
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    breached: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None]


class Document(Base):
    """A contract file; the bytes live in the blob store under their sha256."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "version", name="version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only, hash-chained: ``hash = sha256(prev_hash + canonical(event))``."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


MEASURES = ("first_response", "resolution")


class ServiceCredit(Base):
    """One service credit: a ticket's SLA breach (per measure) priced by core.credits.

    One row per (ticket, measure), upserted by ``core.credits.compute_month`` so a
    recalculation never duplicates; ``capped`` marks a credit the monthly cap reduced.
    """

    __tablename__ = "service_credits"
    __table_args__ = (
        UniqueConstraint("ticket_id", "measure", name="uq_service_credits_ticket_measure"),
        CheckConstraint(_in("measure", MEASURES), name="measure"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        Index("ix_service_credits_contract_month", "contract_id", "month"),
        Index("ix_service_credits_customer_month", "customer_id", "month"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    month: Mapped[str] = mapped_column(String(7))
    severity: Mapped[str] = mapped_column(String(8))
    measure: Mapped[str] = mapped_column(String(16))
    breached_at: Mapped[datetime]
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    capped: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token of the HTTP API (``core.tokens``): only its SHA-256 is stored.

    ``prefix`` is the visible start of the token (``chub_`` and four characters),
    enough for a person to tell tokens apart, never enough to use one. Names stay
    unique after revocation: they are the actor in the audit trail.
    """

    __tablename__ = "api_tokens"
    ROLES = ("viewer", "agent", "admin")
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None]
