"""Approval workflows: conditional routing, order, rejection, restart on edit, audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import audit
from core.blobs import BlobStore
from core.hub import Hub
from core.lifecycle import approvals
from core.lifecycle.approvals import (
    SHIPPED_RULES,
    ApprovalError,
    decide,
    load_rules,
    route,
    submit,
)
from core.lifecycle.roles import PermissionDenied
from core.lifecycle.template_models import ApprovalRound, ContractFields
from core.models import AuditEvent, Contract, Customer, SlaPlan
from tests.lifecycle.drafting import contract_named, draft, with_users

RULES = load_rules(SHIPPED_RULES)
CUSTOM_TARGETS = {"sev1": {"first_response_min": 30, "resolution_min": 240},
                  "sev2": {"first_response_min": 60, "resolution_min": 480},
                  "sev3": {"first_response_min": 120, "resolution_min": 1440},
                  "sev4": {"first_response_min": 240, "resolution_min": 2880}}


def _contract(kind: str = "support", value: str | None = "10000", tier: str = "standard",
              uptime: str | None = None, plan: SlaPlan | None = None) -> Contract:
    return Contract(number="X", customer=Customer(name="c"), kind=kind, tier=tier,
                    start_date=date(2026, 1, 1), value=Decimal(value) if value else None,
                    currency="USD", uptime_target=Decimal(uptime) if uptime else None,
                    sla_plan=plan)


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("standard small deal", {}, {}, ["support"]),
    ("value at the threshold", {"value": "50000"}, {}, ["support"]),
    ("value over the threshold", {"value": "50000.01"}, {}, ["support", "finance"]),
    ("no value", {"value": None}, {}, ["support"]),
    ("discount at the threshold", {}, {"discount_percent": "15"}, ["support"]),
    ("discount over the threshold", {}, {"discount_percent": "15.5"}, ["support", "legal"]),
    ("uptime above standard", {"uptime": "99.95"}, {}, ["support", "legal"]),
    ("uptime at standard", {"uptime": "99.9"}, {}, ["support"]),
    ("special terms", {}, {"special_terms": "Onsite visit each quarter"}, ["support", "legal"]),
    ("custom SLA plan", {"plan": SlaPlan(name="fast", targets=CUSTOM_TARGETS)}, {},
     ["support", "legal"]),
    ("plan equal to the tier's targets", {"plan": SlaPlan(name="std", targets={
        s: {"first_response_min": f, "resolution_min": r} for s, (f, r) in
        {"sev1": (120, 1440), "sev2": (240, 2880), "sev3": (480, 5760),
         "sev4": (1440, 14400)}.items()})}, {}, ["support"]),
    ("everything", {"value": "90000", "uptime": "99.99"}, {"discount_percent": "30"},
     ["support", "legal", "finance"]),
    ("maintenance ignores discount", {"kind": "maintenance"}, {"discount_percent": "40"},
     ["support"]),
]


@pytest.mark.parametrize("terms,fields,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_conditional_steps_appear_exactly_when_their_conditions_hold(
        terms: dict[str, Any], fields: dict[str, Any], expected: list[str]) -> None:
    steps = route(RULES, _contract(**terms), fields)
    assert [s["role"] for s in steps] == expected


def test_two_reasons_for_legal_make_one_step_with_both() -> None:
    steps = route(RULES, _contract(uptime="99.99"), {"discount_percent": "20"})
    legal = [s for s in steps if s["role"] == "legal"]
    assert len(legal) == 1
    assert legal[0]["reasons"] == ["non-standard SLA terms: uptime 99.99% above the standard "
                                   "99.9%", "discount 20% over 15%"]


def test_a_discount_that_is_not_a_number_is_named() -> None:
    with pytest.raises(ApprovalError, match="discount_percent: 'lots' is not a number"):
        route(RULES, _contract(), {"discount_percent": "lots"})


@pytest.mark.parametrize("text,problem", [
    ("version: 2\nkinds: {}\n", "version: must be 1"),
    ("version: 1\nkinds: {support: {steps: [{role: boss}]}}\n",
     "kinds.support.steps[0].role: unknown role 'boss'"),
    ("version: 1\nkinds: {support: {steps: [{role: legal, when: {colour: red}}]}}\n",
     "kinds.support.steps[0].when.colour: unknown condition"),
    ("version: 1\nkinds: {support: {steps: [{role: legal, when: {value_over: lots}}]}}\n",
     "kinds.support.steps[0].when.value_over: 'lots' is not a number"),
    ("version: 1\nkinds: {support: {steps: [{role: legal, approver: x}]}}\n",
     "kinds.support.steps[0]: give exactly one of role or approver"),
    ("version: 1\nkinds: {lease: {steps: []}}\n", "kinds.lease: unknown kind"),
])
def test_a_bad_rules_file_names_the_file_and_key(tmp_path: Path, text: str, problem: str
                                                 ) -> None:
    p = tmp_path / "approvals.yaml"
    p.write_text(text)
    with pytest.raises(ApprovalError) as exc:
        load_rules(p)
    assert str(exc.value).startswith(f"{p}: ") and problem in str(exc.value)


# --------------------------------------------------------------------------- on the store


def _submit(hub: Hub, number: str, actor: str = "sam") -> list[tuple[str | None, str | None]]:
    with hub.session(actor=actor) as s, s.begin():
        rnd = submit(s, hub.config, contract=contract_named(s, number), actor=actor,
                     now=hub.clock.now())
        return [(st.role, st.approver) for st in rnd.steps]


def _decide(hub: Hub, number: str, actor: str, approve: bool = True,
            comment: str | None = None) -> str:
    with hub.session(actor=actor) as s, s.begin():
        c = contract_named(s, number)
        decide(s, hub.config, contract=c, actor=actor, now=hub.clock.now(), approve=approve,
               comment=comment)
        return c.status


def _status(hub: Hub, number: str) -> str:
    with hub.session() as s:
        return contract_named(s, number).status


def test_steps_are_decided_in_order_by_the_right_role(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, value="80000", discount_percent="20")
    assert _submit(hub, number) == [("support", None), ("legal", None), ("finance", None)]
    assert _status(hub, number) == "pending_approval"
    with pytest.raises(ApprovalError, match=r"fin \(role finance\) cannot decide step 1"):
        _decide(hub, number, "fin")
    with pytest.raises(PermissionDenied):
        _decide(hub, number, "val")
    assert _decide(hub, number, "sam") == "pending_approval"
    assert _decide(hub, number, "lee", comment="discount agreed with sales") == "pending_approval"
    assert _decide(hub, number, "fin") == "approved"
    with pytest.raises(ApprovalError, match="is approved: nothing is waiting"):
        _decide(hub, number, "ada")


def test_rejection_needs_a_comment_and_returns_the_draft(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, discount_percent="25")
    _submit(hub, number)
    _decide(hub, number, "sam")
    with pytest.raises(ApprovalError, match="a rejection needs a --comment"):
        _decide(hub, number, "lee", approve=False)
    assert _decide(hub, number, "lee", approve=False, comment="max 15% discount") == "draft"
    with hub.session(actor="sam") as s, s.begin():
        c = contract_named(s, number)
        rounds = s.scalars(select(ApprovalRound).where(ApprovalRound.contract_id == c.id)).all()
        assert [(r.outcome, [st.status for st in r.steps]) for r in rounds] == [
            ("rejected", ["approved", "rejected"])]
        row = s.get(ContractFields, c.id)
        row.values = {**row.values, "discount_percent": "15"}  # a draft edit restarts nothing
    assert _status(hub, number) == "draft"
    assert _submit(hub, number) == [("support", None)]


def test_an_edit_after_approval_restarts_with_the_new_terms(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, value="30000")
    _submit(hub, number)
    assert _decide(hub, number, "sam") == "approved"
    with hub.session(actor="sam") as s, s.begin():
        contract_named(s, number).value = Decimal("75000")
    assert _status(hub, number) == "pending_approval"
    with hub.session() as s:
        rounds = s.scalars(select(ApprovalRound).join(Contract).where(
            Contract.number == number).order_by(ApprovalRound.round)).all()
        assert [(r.round, r.outcome) for r in rounds] == [(1, "restarted"), (2, "open")]
        assert [st.role for st in rounds[1].steps] == ["support", "finance"]
        assert rounds[0].steps[0].status == "approved"  # the earlier decision stays on record
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "approval.invalidated"))
        assert ev.payload == {"round": 1, "changed": ["value"]}


def test_an_edit_during_approval_restarts_and_voids_pending_steps(hub: Hub,
                                                                  blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, value="80000")
    _submit(hub, number)
    _decide(hub, number, "sam")
    with hub.session(actor="lee") as s, s.begin():
        c = contract_named(s, number)
        row = s.get(ContractFields, c.id)
        row.values = {**row.values, "special_terms": "Named engineer"}
    with hub.session() as s:
        rounds = s.scalars(select(ApprovalRound).join(Contract).where(
            Contract.number == number).order_by(ApprovalRound.round)).all()
        assert [st.status for st in rounds[0].steps] == ["approved", "void"]
        assert [st.role for st in rounds[1].steps] == ["support", "legal", "finance"]
        assert contract_named(s, number).status == "pending_approval"


def test_a_status_change_alone_restarts_nothing(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs)
    _submit(hub, number)
    _decide(hub, number, "sam")
    with hub.session(actor="ada") as s, s.begin():
        contract_named(s, number).status = "out_for_signature"
    with hub.session() as s:
        assert len(s.scalars(select(ApprovalRound)).all()) == 1


def test_a_named_approver_from_the_hub_rules(hub: Hub, blobs: BlobStore) -> None:
    (hub.config.folder / "approvals.yaml").write_text(
        "version: 1\nkinds:\n  support:\n    steps:\n      - role: support\n"
        "      - approver: dana\n        when: {value_over: 100000}\n")
    number = draft(with_users(hub), blobs, value="250000")
    assert _submit(hub, number) == [("support", None), (None, "dana")]
    _decide(hub, number, "sam")
    with pytest.raises(ApprovalError, match="fin .* cannot decide step 2 .approver dana"):
        _decide(hub, number, "fin")
    assert _decide(hub, number, "dana") == "approved"


def test_no_steps_means_approved_at_once_and_hooks_run_once(hub: Hub, blobs: BlobStore,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    (hub.config.folder / "approvals.yaml").write_text(
        "version: 1\nkinds:\n  support:\n    steps: []\n")
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(approvals, "APPROVED_HOOKS",
                        [lambda s, c, actor, now: seen.append((c.number, actor))])
    number = draft(with_users(hub), blobs)
    _submit(hub, number)
    assert _status(hub, number) == "approved" and seen == [(number, "sam")]


def test_every_decision_is_in_the_audit_trail_and_the_chain_verifies(hub: Hub,
                                                                     blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, value="80000")
    _submit(hub, number)
    _decide(hub, number, "sam")
    _decide(hub, number, "fin", approve=False, comment="price too low")
    _submit(hub, number)
    _decide(hub, number, "sam", comment="ok")
    _decide(hub, number, "ada", comment="CFO signed off")
    with hub.session(actor="sam") as s, s.begin():
        contract_named(s, number).end_date = date(2027, 6, 30)
    with hub.session() as s:
        events = [(e.action, e.actor) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("approval.%"))
            .order_by(AuditEvent.seq))]
        assert events == [
            ("approval.submitted", "sam"), ("approval.step_approved", "sam"),
            ("approval.rejected", "fin"), ("approval.submitted", "sam"),
            ("approval.step_approved", "sam"), ("approval.step_approved", "ada"),
            ("approval.completed", "ada"), ("approval.invalidated", "sam"),
            ("approval.restarted", "sam")]
        rejected = s.scalar(select(AuditEvent).where(AuditEvent.action == "approval.rejected"))
        assert rejected.payload["comment"] == "price too low"
        assert rejected.payload["actor_role"] == "finance"
        assert audit.verify(s).ok
