"""Request and response bodies of the HTTP API, as pydantic models (they make the OpenAPI).

The entitlement answer is built from ``Entitlement.to_dict()`` and sent as
JSON directly (the fast path skips re-validation); the tests check every
answer against these models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every error answer: one line for a person."""

    detail: str


class ProblemOut(BaseModel):
    """One mistake in a mapping file (``core.mapping.Problem``)."""

    path: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""
    text: str = Field(description="FILE:LINE:COLUMN: field.path: message (hint)")


class ProblemsOut(BaseModel):
    """A request that names a broken mapping (422)."""

    detail: str
    problems: list[str]
    details: list[ProblemOut]


class SeverityTargetOut(BaseModel):
    severity: str
    first_response_minutes: int
    resolution_minutes: int
    contract: str
    coverage: str
    timezone: str
    first_response_due: str | None
    resolution_due: str | None


class TicketOut(BaseModel):
    key: str
    severity: str
    status: str
    created_at: str
    contract_number: str | None


class EntitlementOut(BaseModel):
    """What the customer may get at ``at``, and why (``reasons`` is the explanation)."""

    customer_id: int
    customer: str
    at: str
    entitled: bool
    tier: str | None
    coverage: str | None
    timezone: str | None
    contracts: list[str]
    targets: dict[str, SeverityTargetOut]
    remaining_incidents: int | None = Field(description="null: unlimited")
    expires: str | None
    reasons: list[str] = Field(description="the explanation, one line per rule applied")
    summary: str
    ticket: TicketOut | None = Field(None, description="set for a lookup by ticket")


class ContractOut(BaseModel):
    number: str
    customer: str
    kind: str
    status: str
    tier: str | None
    start_date: str
    end_date: str | None
    renewal_notice_days: int
    auto_renew: bool
    value: str | None
    currency: str
    coverage: str
    timezone: str
    holiday_calendar: str | None
    scope: list[Any]
    exclusions: list[Any]
    uptime_target: str | None
    escalation_contacts: list[Any]
    incident_cap: int | None
    sla_plan: str | None
    parent: str | None
    version: int
    locked: bool
    description: str | None


class ContractPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ContractOut]


class RunOut(BaseModel):
    id: int
    sync: str
    started_at: str | None
    ended_at: str | None
    status: str
    pulled: int
    created: int
    updated: int
    deleted: int
    pushed: int
    conflicts: int
    dead_lettered: int
    api_calls: int
    error: str | None


class DeadLetterOut(BaseModel):
    id: int
    sync: str
    direction: str
    record_key: str
    error_code: str
    error: str
    attempts: int
    next_retry_at: str | None
    created_at: str | None
    resolved_at: str | None


class ConflictOut(BaseModel):
    id: int
    sync: str
    entity: str
    local_id: str
    remote_id: str | None
    field: str
    base: Any = None
    local: Any = None
    remote: Any = None
    policy: str
    outcome: str
    created_at: str | None
    resolved_at: str | None


class SyncStatusOut(BaseModel):
    name: str
    configured: bool
    last_run: RunOut | None
    outbox: int
    dead_letters: int
    conflicts: int
    remote_deleted: int


class DeadLetterSummary(BaseModel):
    open: int
    first: list[DeadLetterOut]


class ConflictSummary(BaseModel):
    pending: int
    first: list[ConflictOut]


class StatusOut(BaseModel):
    syncs: list[SyncStatusOut]
    dead_letters: DeadLetterSummary
    conflicts: ConflictSummary


class DeadLetterPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DeadLetterOut]


class ConflictPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ConflictOut]


class ReplayOut(BaseModel):
    dead_letter: DeadLetterOut
    sync_configured: bool = Field(description="false: no configured sync will pick it up")
    note: str


class ValidateIn(BaseModel):
    yaml: str = Field(description="the mapping file's text (YAML)", max_length=1_000_000)
    connection: str | None = Field(
        None, description="check against this configured connection "
                          "(default: the mapping's own `connection`)")
    filename: str = Field("mapping.yaml", description="the name problems are reported under",
                          max_length=255)


class ValidateOut(BaseModel):
    ok: bool
    problems: list[str] = Field(description="FILE:LINE:COLUMN: field.path: message (hint)")
    details: list[ProblemOut]
    checked: str = Field(description="what was checked: schema only, or the remote's fields")


class PreviewIn(BaseModel):
    sync: str = Field(description="a sync configured in contracthub.yaml")
    yaml: str | None = Field(None, description="a changed mapping to preview instead of the "
                                               "configured file", max_length=1_000_000)
    first: int = Field(20, ge=0, le=500, description="how many changes to show in full")


class PlannedChangeOut(BaseModel):
    direction: str = Field(description="in: to the store; out: to the remote")
    action: str
    key: str
    diff: dict[str, Any]
    extra: str = ""


class PreviewOut(BaseModel):
    sync: str
    status: str
    error: str | None
    dry_run: bool = True
    counts: dict[str, int]
    totals: dict[str, dict[str, int]] = Field(description="per direction, per action")
    total_changes: int
    changes: list[PlannedChangeOut]


class HealthOut(BaseModel):
    status: str
    store: str
