"""Bulk send: one template to many customers; a bad row never stops the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import audit
from core.blobs import BlobStore
from core.hub import Hub
from core.lifecycle.approvals import decide
from core.lifecycle.bulk import bulk_send, queued_signers
from core.lifecycle.roles import PermissionDenied
from core.lifecycle.template_models import ApprovalRound
from core.models import AuditEvent, Contract, Document
from tests.factories import customer
from tests.lifecycle.drafting import contract_named, with_users

CSV = """\
customer,tier,value,discount_percent,customer_signatory,customer_signatory_title,governing_law,signers
Acme Corp,premium,60000,,Jane Doe,CTO,England and Wales,Jane Doe <jane@acme.example>
Nobody Inc,standard,1000,,X,Y,Z,
globex.example,standard,12000,20,Hank Scorpio,CEO,,
Initech,gold,5000,,Bill,VP,New York,
Initech,basic,5000,,Bill Lumbergh,VP,New York,"Bill <bill@initech.example>; not an address"
"Umbrella
Corp",standard,9000,5,Alice,COO,Delaware,
Initech,basic,5000,,Bill Lumbergh,VP,New York,
"""


def _customers(hub: Hub) -> None:
    with hub.session() as s, s.begin():
        customer(s, "Acme Corp")
        customer(s, "Globex", domain="globex.example")
        customer(s, "Initech")


def test_bad_rows_are_reported_by_line_and_the_rest_complete(hub: Hub, blobs: BlobStore,
                                                             tmp_path: Path) -> None:
    with_users(hub)
    _customers(hub)
    path = tmp_path / "renewals.csv"
    path.write_text(CSV)
    with hub.session(actor="sam") as s, s.begin():
        result = bulk_send(s, blobs, hub.config, template="support_agreement", path=path,
                           actor="sam", now=hub.clock.now())
    assert [(line, number, status) for line, number, status in result.created] == [
        (2, "CH-2026-0001", "pending_approval"), (9, "CH-2026-0002", "pending_approval")]
    problems = dict(result.problems)
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert problems[3] == "no customer named 'Nobody Inc'"
    assert "merge field 'governing_law' is not defined" in problems[4]
    assert problems[5].startswith("tier: unknown tier 'gold'")
    assert "signers: signer 'not an address' is not like" in problems[6]
    assert problems[7] == "no customer named 'Umbrella\\nCorp'"  # a quoted cell over two lines
    with hub.session() as s:
        contracts = s.scalars(select(Contract).order_by(Contract.number)).all()
        assert [(c.number, c.customer.name) for c in contracts] == [
            ("CH-2026-0001", "Acme Corp"), ("CH-2026-0002", "Initech")]
        for c in contracts:
            assert s.scalar(select(ApprovalRound).where(ApprovalRound.contract_id == c.id))
            assert s.scalar(select(Document).where(Document.contract_id == c.id,
                                                   Document.kind == "draft"))
        assert queued_signers(s, contracts[0]) == ["Jane Doe <jane@acme.example>"]
        assert queued_signers(s, contracts[1]) == []
        assert audit.verify(s).ok


def test_bulk_send_checks_the_role(hub: Hub, blobs: BlobStore, tmp_path: Path) -> None:
    with_users(hub)
    path = tmp_path / "x.csv"
    path.write_text("customer\nAcme Corp\n")
    with hub.session() as s, s.begin(), pytest.raises(PermissionDenied):
        bulk_send(s, blobs, hub.config, template="support_agreement", path=path, actor="val",
                  now=hub.clock.now())


def test_a_queued_contract_goes_out_for_signature_once_approved(
        hub: Hub, blobs: BlobStore, tmp_path: Path, settings: Any, sink: Any) -> None:
    with_users(hub)
    hub.config = hub.config.model_copy(update={"signing": settings})
    _customers(hub)
    path = tmp_path / "send.csv"
    path.write_text("customer,customer_signatory,customer_signatory_title,governing_law,signers\n"
                    "Acme Corp,Jane,CTO,Delaware,Jane Doe <jane@acme.example>; "
                    "Bob Roe <bob@acme.example>\n"
                    "Initech,Bill,VP,Texas,\n")
    with hub.session(actor="sam", hub=hub) as s, s.begin():
        result = bulk_send(s, blobs, hub.config, template="support_agreement", path=path,
                           actor="sam", now=hub.clock.now())
    assert [n for _, n, _ in result.created] == ["CH-2026-0001", "CH-2026-0002"]
    assert sink.messages == []  # nothing goes out before approval
    for number in ("CH-2026-0001", "CH-2026-0002"):
        with hub.session(actor="sam", hub=hub) as s, s.begin():
            decide(s, hub.config, contract=contract_named(s, number), actor="sam",
                   now=hub.clock.now(), approve=True)
    with hub.session() as s:
        assert contract_named(s, "CH-2026-0001").status == "out_for_signature"
        assert contract_named(s, "CH-2026-0002").status == "approved"  # nobody queued
        sent = s.scalar(select(AuditEvent).where(AuditEvent.action == "signing.sent"))
        assert [x["email"] for x in sent.payload["signers"]] == ["jane@acme.example",
                                                                 "bob@acme.example"]
    assert sorted(m["X-Envelope-To"] for m in sink.messages) == ["bob@acme.example",
                                                                 "jane@acme.example"]


def test_a_failed_send_keeps_the_approval_and_says_why(hub: Hub, blobs: BlobStore,
                                                       tmp_path: Path) -> None:
    with_users(hub)  # no signing.smtp configured
    _customers(hub)
    path = tmp_path / "send.csv"
    path.write_text("customer,customer_signatory,customer_signatory_title,governing_law,signers\n"
                    "Acme Corp,Jane,CTO,Delaware,Jane Doe <jane@acme.example>\n")
    with hub.session(actor="sam", hub=hub) as s, s.begin():
        bulk_send(s, blobs, hub.config, template="support_agreement", path=path, actor="sam",
                  now=hub.clock.now())
    with hub.session(actor="sam", hub=hub) as s, s.begin():
        decide(s, hub.config, contract=contract_named(s, "CH-2026-0001"), actor="sam",
               now=hub.clock.now(), approve=True)
        assert "not sent for signature" in s.info["notices"][0]
    with hub.session() as s:
        assert contract_named(s, "CH-2026-0001").status == "approved"
        failed = s.scalar(select(AuditEvent).where(AuditEvent.action == "signing.queue_failed"))
        assert "signing.smtp is not set" in failed.payload["reason"]
        assert audit.verify(s).ok
