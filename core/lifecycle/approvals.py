"""Approval workflows: who must approve a contract before it can be signed.

Routing rules are YAML (``version: 1``): per contract kind, a sequence of
steps, each a ``role`` or a named ``approver``, optionally with ``when``
conditions (all must hold): ``non_standard_sla: true``, ``discount_over: PCT``
(the ``discount_percent`` merge field), ``value_over: AMOUNT`` (the contract
value, in its own currency). Two steps for the same role or person merge into
one, keeping both reasons. The hub reads ``approvals.yaml`` next to its config
when there is one, else the shipped ``templates/approvals.yaml``.

draft --submit--> pending_approval --last step approves--> approved;
a rejection (with a comment) returns the contract to draft. Steps are decided
in order, by a person with the step's role, the named approver, or an admin.
An edit to the terms or merge fields of a contract that is pending approval or
approved restarts the approvals: a new round routed with the same rules (the
round keeps them) on the new terms. Every decision is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from core import audit
from core.changes import changed_fields
from core.clock import SystemClock
from core.credits import DEFAULT_CREDIT_RULE
from core.entitlement import DEFAULT_TARGETS, targets_of
from core.lifecycle import roles
from core.lifecycle.template_models import ApprovalRound, ApprovalStep, ContractFields
from core.lifecycle.templates import fields_of
from core.models import CONTRACT_KINDS, Contract

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "templates" / "approvals.yaml"
CONDITIONS = {"non_standard_sla": bool, "discount_over": (int, float), "value_over": (int, float)}
NOT_TERMS = frozenset({"status", "updated_at", "locked", "id"})
UNDER_APPROVAL = ("pending_approval", "approved")
# Called after a contract's final approval with (session, contract, actor, now); signing
# (part B) registers here to send contracts queued by a bulk send. The CLI puts the hub
# in ``session.info["hub"]`` for hooks that need its blobs or config.
APPROVED_HOOKS: list[Callable[[Session, Contract, str, datetime], None]] = []


class ApprovalError(Exception):
    """An approval request that cannot be carried out (one line for the user)."""


# --------------------------------------------------------------------------- rules


def rules_path(config: Any) -> Path:
    local = config.folder / "approvals.yaml"
    return local if local.exists() else SHIPPED_RULES


def load_rules(path: Path) -> dict[str, Any]:
    """Read and check a rules file; a problem names the file and the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ApprovalError(f"{path}: cannot read approval rules: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ApprovalError(f"{path}: version: must be 1")
    kinds = data.get("kinds")
    if not isinstance(kinds, dict):
        raise ApprovalError(f"{path}: kinds: a mapping of contract kind to steps is required")
    for kind, spec in kinds.items():
        where = f"{path}: kinds.{kind}"
        if kind not in CONTRACT_KINDS:
            raise ApprovalError(f"{where}: unknown kind (use {', '.join(CONTRACT_KINDS)})")
        if not isinstance(spec, dict) or not isinstance(spec.get("steps"), list):
            raise ApprovalError(f"{where}.steps: a list of steps is required")
        for i, step in enumerate(spec["steps"]):
            _check_step(f"{where}.steps[{i}]", step)
    uptime = data.get("standard_uptime", 99.9)
    if not isinstance(uptime, int | float):
        raise ApprovalError(f"{path}: standard_uptime: must be a number (e.g. 99.9)")
    return {"source": str(path), "standard_uptime": uptime, "kinds": kinds}


def _check_step(where: str, step: Any) -> None:
    if not isinstance(step, dict) or set(step) - {"role", "approver", "when"}:
        raise ApprovalError(f"{where}: a step has role or approver, and optionally when")
    if ("role" in step) == ("approver" in step):
        raise ApprovalError(f"{where}: give exactly one of role or approver")
    if "role" in step and step["role"] not in roles.ROLES:
        raise ApprovalError(f"{where}.role: unknown role {step['role']!r} "
                            f"(use {', '.join(roles.ROLES)})")
    for key, value in (step.get("when") or {}).items():
        if key not in CONDITIONS:
            raise ApprovalError(f"{where}.when.{key}: unknown condition "
                                f"(use {', '.join(CONDITIONS)})")
        is_flag = key == "non_standard_sla"
        if not isinstance(value, CONDITIONS[key]) or isinstance(value, bool) != is_flag:
            raise ApprovalError(f"{where}.when.{key}: {value!r} is not "
                                f"{'true/false' if is_flag else 'a number'}")


# --------------------------------------------------------------------------- routing


def non_standard_sla(contract: Contract, fields: dict[str, Any], standard_uptime: float
                     ) -> str | None:
    """Why the contract's SLA terms are not the standard ones, or None."""
    if contract.sla_plan is not None:
        if targets_of(contract) != DEFAULT_TARGETS.get(contract.tier or "basic"):
            return f"SLA plan {contract.sla_plan.name} differs from the {contract.tier} targets"
        if contract.sla_plan.credit_rule and contract.sla_plan.credit_rule != DEFAULT_CREDIT_RULE:
            return f"SLA plan {contract.sla_plan.name} has its own service-credit rule"
    if contract.uptime_target is not None and Decimal(contract.uptime_target) > Decimal(
            str(standard_uptime)):
        return f"uptime {contract.uptime_target}% above the standard {standard_uptime}%"
    if str(fields.get("special_terms") or "").strip():
        return "special terms"
    return None


def _number(fields: dict[str, Any], name: str) -> Decimal | None:
    raw = fields.get(name)
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise ApprovalError(f"{name}: {raw!r} is not a number") from None


def _reasons(when: dict[str, Any], contract: Contract, fields: dict[str, Any],
             standard_uptime: float) -> list[str] | None:
    """Why each condition holds, or None when one does not."""
    out: list[str] = []
    for key, limit in when.items():
        if key == "non_standard_sla":
            why = non_standard_sla(contract, fields, standard_uptime)
            if (why is not None) != limit:
                return None
            out.append(f"non-standard SLA terms: {why}" if why else "standard SLA terms")
        elif key == "discount_over":
            discount = _number(fields, "discount_percent")
            if discount is None or discount <= Decimal(str(limit)):
                return None
            out.append(f"discount {discount}% over {limit}%")
        elif key == "value_over":
            if contract.value is None or Decimal(contract.value) <= Decimal(str(limit)):
                return None
            out.append(f"value {contract.currency} {contract.value:,.2f} over {limit:,}")
    return out or ["always"]


def route(rules: dict[str, Any], contract: Contract, fields: dict[str, Any]
          ) -> list[dict[str, Any]]:
    """The steps this contract needs, in order: [{role, approver, reasons}]."""
    spec = rules["kinds"].get(contract.kind)
    if spec is None:
        raise ApprovalError(f"{rules['source']}: no approval steps for kind {contract.kind!r}")
    steps: list[dict[str, Any]] = []
    for step in spec["steps"]:
        why = _reasons(step.get("when") or {}, contract, fields, rules["standard_uptime"])
        if why is None:
            continue
        who = (step.get("role"), step.get("approver"))
        same = next((s for s in steps if (s["role"], s["approver"]) == who), None)
        if same:
            same["reasons"] += [r for r in why if r not in same["reasons"]]
        else:
            steps.append({"role": who[0], "approver": who[1], "reasons": why})
    return steps


# --------------------------------------------------------------------------- workflow


def open_round(session: Session, contract: Contract) -> ApprovalRound | None:
    return session.scalar(select(ApprovalRound).where(
        ApprovalRound.contract_id == contract.id, ApprovalRound.outcome == "open"))


def _start_round(session: Session, contract: Contract, rules: dict[str, Any], *, actor: str,
                 now: datetime, reason: str) -> ApprovalRound:
    with session.no_autoflush:  # this runs inside a flush too (an edit restarts approvals)
        last = session.scalar(select(ApprovalRound.round).where(
            ApprovalRound.contract_id == contract.id).order_by(ApprovalRound.round.desc()))
        fields = fields_of(session, contract)
    steps = route(rules, contract, fields)
    rnd = ApprovalRound(contract_id=contract.id, round=(last or 0) + 1, rules=rules,
                        started_at=now, started_by=actor, reason=reason, outcome="open")
    rnd.steps = [ApprovalStep(position=i, role=s["role"], approver=s["approver"],
                              reasons=s["reasons"], status="pending")
                 for i, s in enumerate(steps, start=1)]
    session.add(rnd)
    contract.status = "pending_approval"
    if not steps:
        rnd.outcome, contract.status = "approved", "approved"
    audit.append(session, at=now, actor=actor, action=f"approval.{reason}", entity="contract",
                 entity_id=contract.number, payload={"round": rnd.round, "steps": steps,
                                                     "rules": rules["source"]})
    return rnd


def submit(session: Session, config: Any, *, contract: Contract, actor: str, now: datetime,
           rules: dict[str, Any] | None = None) -> ApprovalRound:
    roles.require(config, actor, "contracts.submit")
    if contract.status != "draft":
        raise ApprovalError(f"contract {contract.number} is {contract.status}: only a draft can "
                            "be submitted for approval")
    rules = rules or load_rules(rules_path(config))
    rnd = _start_round(session, contract, rules, actor=actor, now=now, reason="submitted")
    session.flush()
    if rnd.outcome == "approved":
        _approved(session, contract, actor, now)
    return rnd


def may_decide(config: Any, actor: str, step: ApprovalStep) -> bool:
    role = roles.role_of(config, actor)
    if step.approver is not None:
        return actor == step.approver or role == "admin"
    return role is not None and role in (step.role, "admin")


def step_label(step: ApprovalStep) -> str:
    who = f"{step.role}" if step.role else f"approver {step.approver}"
    return f"step {step.position} ({who}: {'; '.join(step.reasons)})"


def current_step(rnd: ApprovalRound) -> ApprovalStep | None:
    return next((s for s in rnd.steps if s.status == "pending"), None)


def decide(session: Session, config: Any, *, contract: Contract, actor: str, now: datetime,
           approve: bool, comment: str | None = None) -> ApprovalStep:
    """Approve or reject the contract's current step."""
    roles.require(config, actor, "contracts.approve" if approve else "contracts.reject")
    rnd = open_round(session, contract) if contract.status == "pending_approval" else None
    step = current_step(rnd) if rnd else None
    if rnd is None or step is None:
        raise ApprovalError(f"contract {contract.number} is {contract.status}: nothing is "
                            "waiting for approval")
    if not may_decide(config, actor, step):
        raise ApprovalError(f"{actor} (role {roles.role_of(config, actor) or 'none'}) cannot "
                            f"decide {step_label(step)} of contract {contract.number}")
    if not approve and not (comment or "").strip():
        raise ApprovalError("a rejection needs a --comment saying what to change")
    step.status = "approved" if approve else "rejected"
    step.decided_by, step.decided_at, step.comment = actor, now, comment
    audit.append(session, at=now, actor=actor, action="approval.step_approved" if approve
                 else "approval.rejected", entity="contract", entity_id=contract.number,
                 payload={"round": rnd.round, "step": step.position, "role": step.role,
                          "approver": step.approver, "reasons": step.reasons,
                          "actor_role": roles.role_of(config, actor), "comment": comment})
    if not approve:
        for other in rnd.steps:
            if other.status == "pending":
                other.status = "void"
        rnd.outcome, contract.status = "rejected", "draft"
    elif current_step(rnd) is None:
        rnd.outcome, contract.status = "approved", "approved"
        audit.append(session, at=now, actor=actor, action="approval.completed",
                     entity="contract", entity_id=contract.number,
                     payload={"round": rnd.round, "steps": len(rnd.steps)})
        _approved(session, contract, actor, now)
    session.flush()
    return step


def _approved(session: Session, contract: Contract, actor: str, now: datetime) -> None:
    for hook in APPROVED_HOOKS:
        hook(session, contract, actor, now)


# --------------------------------------------------------------------------- restart on edit


def _old_status(contract: Contract) -> str:
    hist = inspect(contract).attrs["status"].history
    return hist.deleted[0] if hist.deleted else contract.status


def _restart(session: Session, contract: Contract, changed: list[str], now: datetime,
             actor: str) -> None:
    with session.no_autoflush:
        last = session.scalar(select(ApprovalRound).where(
            ApprovalRound.contract_id == contract.id).order_by(ApprovalRound.round.desc()))
    if last is None:
        return
    for step in last.steps:
        if step.status == "pending":
            step.status = "void"
    last.outcome = "restarted"
    audit.append(session, at=now, actor=actor, action="approval.invalidated", entity="contract",
                 entity_id=contract.number, payload={"round": last.round, "changed": changed})
    _start_round(session, contract, last.rules, actor=actor, now=now, reason="restarted")


@event.listens_for(Session, "before_flush")
def _restart_on_edit(session: Session, _ctx: Any, _instances: Any) -> None:
    """An edit to the terms of a contract under approval restarts its approvals."""
    edited: dict[Contract, list[str]] = {}
    for obj in session.dirty:
        if isinstance(obj, Contract) and session.is_modified(obj):
            terms = sorted(set(changed_fields(obj)) - NOT_TERMS)
            if terms and _old_status(obj) in UNDER_APPROVAL:
                edited[obj] = terms
        elif isinstance(obj, ContractFields) and session.is_modified(obj):
            with session.no_autoflush:
                contract = session.get(Contract, obj.contract_id)
            if contract is not None and contract.status in UNDER_APPROVAL:
                edited.setdefault(contract, []).append("merge fields")
    if not edited:
        return
    now = (session.info.get("clock") or SystemClock()).now()
    actor = session.info.get("actor", "system")
    for contract, changed in edited.items():
        _restart(session, contract, changed, now, actor)
