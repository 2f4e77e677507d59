"""Signing: in order, one-time links, evidence in the audit trail, execution locks the contract."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit
from core.changes import ContractLocked
from core.documents import add_document
from core.lifecycle.signing import (
    CONSENT_SHA256,
    SignatureInput,
    SignerSpec,
    SigningError,
    parse_signer,
    record_refusal,
)
from core.lifecycle.signing_models import Signer, SigningRequest
from core.models import AuditEvent, Contract, Document
from tests.lifecycle.conftest import UA, approved_contract, do_sign, send, token_in


def test_two_signers_in_order_execute_the_contract_with_full_evidence(
        hub, blobs, mailer, settings, sink, clock):
    approved_contract(hub, blobs)
    sent = send(hub, blobs, mailer, settings)
    invites = sink.take()
    assert sorted(m["X-Envelope-To"] for m in invites) == ["ada@acme.test", "grace@vendor.test"]
    ada_token = token_in(next(m for m in invites if m["To"] == "ada@acme.test"))
    with hub.session() as s:
        stored = s.scalars(select(Signer.token_hash)).all()
    assert all(len(h) == 64 for h in stored) and ada_token not in stored  # hashes only

    clock.advance(timedelta(hours=3))
    do_sign(hub, blobs, mailer, settings, ada_token)
    turn = sink.take()
    assert [m["X-Envelope-To"] for m in turn] == ["grace@vendor.test"]
    assert turn[0]["Subject"].startswith("Your turn to sign")
    clock.advance(timedelta(hours=5))
    do_sign(hub, blobs, mailer, settings, token_in(turn[0]), name="Grace Hopper",
            ip="2001:db8::1")
    done = sink.take()
    assert done[0]["Subject"] == "Completed: contract C-100"

    with hub.session() as s:
        c = s.scalar(select(Contract).where(Contract.number == "C-100"))
        req = s.get(SigningRequest, sent.request.id)
        executed = s.scalar(select(Document).where(Document.contract_id == c.id,
                                                   Document.kind == "executed"))
        assert (c.status, c.locked, req.status) == ("active", True, "completed")
        assert executed.sha256 == req.document_sha256 and req.executed_document_id == executed.id
        signed = s.scalars(select(AuditEvent).where(AuditEvent.action == "signing.signed")
                           .order_by(AuditEvent.seq)).all()
        last = s.scalar(select(AuditEvent).where(AuditEvent.action == "contract.executed"))
        assert req.execution_audit_hash == last.hash
        assert audit.verify(s).ok
    assert [e.payload["signer"]["email"] for e in signed] == ["ada@acme.test",
                                                              "grace@vendor.test"]
    ev = signed[1].payload
    assert ev["signer"] == {"name": "Grace Hopper", "email": "grace@vendor.test"}
    assert ev["authentication"] == "email_link"
    assert ev["consent_sha256"] == CONSENT_SHA256
    assert ev["intent"]["typed_name"] == "Grace Hopper"
    assert (ev["ip"], ev["user_agent"]) == ("2001:db8::1", UA)
    assert ev["signed_at"] == (clock.now()).isoformat()
    assert ev["document_sha256"] == executed.sha256

    with hub.session() as s, pytest.raises(ContractLocked, match="amendment"), s.begin():
        s.scalar(select(Contract).where(Contract.number == "C-100")).tier = "premium"


def test_a_used_link_is_refused(hub, blobs, mailer, settings, sink):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    token = token_in(sink.to("ada@acme.test")[0])
    do_sign(hub, blobs, mailer, settings, token)
    with pytest.raises(SigningError, match="already used: Ada Lovelace signed"):
        do_sign(hub, blobs, mailer, settings, token)


def test_signing_out_of_order_is_refused(hub, blobs, mailer, settings, sink):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    grace = token_in(sink.to("grace@vendor.test")[0])
    with pytest.raises(SigningError, match="signer 2: waiting for Ada Lovelace"):
        do_sign(hub, blobs, mailer, settings, grace, name="Grace Hopper")
    with hub.session() as s:
        assert not s.scalars(select(AuditEvent).where(
            AuditEvent.action == "signing.signed")).all()


def test_an_expired_link_is_refused(hub, blobs, mailer, settings, sink, clock):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    token = token_in(sink.to("ada@acme.test")[0])
    clock.advance(timedelta(days=90, seconds=1))
    with pytest.raises(SigningError, match="link expired"):
        do_sign(hub, blobs, mailer, settings, token)


def test_a_document_changed_after_a_signature_is_refused(
        hub, blobs, mailer, settings, sink, tmp_path: Path):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    do_sign(hub, blobs, mailer, settings, token_in(sink.take()[0]))
    grace = token_in(sink.take()[0])
    edited = tmp_path / "C-100-edited.pdf"
    edited.write_bytes(b"%PDF-1.4\n% the same agreement, with a lower price\n")
    with hub.session() as s, s.begin():
        add_document(s, blobs, "C-100", edited, kind="draft", actor="mallory",
                     now=hub.clock.now())
    with pytest.raises(SigningError, match="document changed since it was sent") as refused:
        do_sign(hub, blobs, mailer, settings, grace, name="Grace Hopper")
    given = SignatureInput(token=grace, typed_name="Grace Hopper", ip="192.0.2.9",
                           user_agent="curl/8", consent=True)
    with hub.session() as s, s.begin():
        assert record_refusal(s, given, str(refused.value), now=hub.clock.now())
    with hub.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "signing.refused"))
        assert ev.actor == "signer:grace@vendor.test" and ev.entity_id == "C-100"
        assert "document changed" in ev.payload["reason"] and ev.payload["ip"] == "192.0.2.9"


def test_bytes_altered_in_the_blob_store_are_refused(hub, blobs, mailer, settings, sink):
    approved_contract(hub, blobs)
    sent = send(hub, blobs, mailer, settings)
    blobs.path(sent.request.document_sha256).write_bytes(b"%PDF-1.4\n% swapped\n")
    with pytest.raises(SigningError, match="document changed"):
        do_sign(hub, blobs, mailer, settings, token_in(sink.to("ada@acme.test")[0]))


def test_access_code_consent_and_evidence_checks(hub, blobs, mailer, settings, sink):
    approved_contract(hub, blobs)
    sent = send(hub, blobs, mailer, settings,
                signers=[SignerSpec("Ada Lovelace", "ada@acme.test", with_code=True)])
    token = token_in(sink.take()[0])
    code = sent.codes["ada@acme.test"]
    with pytest.raises(SigningError, match="access code is missing or wrong"):
        do_sign(hub, blobs, mailer, settings, token)
    with pytest.raises(SigningError, match="access code is missing or wrong"):
        do_sign(hub, blobs, mailer, settings, token, code="000000" if code != "000000"
                else "111111")
    with pytest.raises(SigningError, match="consent"):
        do_sign(hub, blobs, mailer, settings, token, code=code, consent=False)
    with pytest.raises(SigningError, match="not an IP address"):
        do_sign(hub, blobs, mailer, settings, token, code=code, ip="localhost")
    do_sign(hub, blobs, mailer, settings, token, code=code)
    with hub.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "signing.signed"))
        assert ev.payload["authentication"] == "email_link+access_code"
        assert code not in str(ev.payload)


def test_only_an_approved_contract_can_be_sent(hub, blobs, mailer, settings, sink):
    approved_contract(hub, blobs, status="pending_approval")
    with pytest.raises(SigningError, match="pending_approval: only an approved contract"):
        send(hub, blobs, mailer, settings)
    assert sink.messages == []


def test_signer_text_is_parsed_or_named_in_the_error() -> None:
    assert parse_signer(" Ada Lovelace <Ada@Acme.test> ") == SignerSpec("Ada Lovelace",
                                                                        "ada@acme.test")
    with pytest.raises(SigningError, match="'ada@acme.test' is not like"):
        parse_signer("ada@acme.test")


def test_an_executed_contract_changes_only_by_amendment(hub, blobs, mailer, settings, sink):
    from core.lifecycle.renewals import draft_amendment
    from tests.lifecycle.conftest import execute_contract

    execute_contract(hub, blobs, mailer, settings, sink)
    with hub.session() as s, s.begin():
        a = draft_amendment(s, blobs, number="C-100", actor="legal", now=hub.clock.now(),
                            fields={"customer_signatory": "Ada Lovelace", "value": "52000"})
        parent = s.scalar(select(Contract).where(Contract.number == "C-100"))
        assert (a.kind, a.status, a.parent_id, a.version) == ("amendment", "draft", parent.id,
                                                              parent.version + 1)
        assert a.start_date == parent.end_date + timedelta(days=1)
        assert s.scalar(select(Document.kind).where(Document.contract_id == a.id)) == "draft"
    with hub.session() as s, pytest.raises(SigningError, match="not executed"), s.begin():
        draft_amendment(s, blobs, number=a.number, actor="legal", now=hub.clock.now(),
                        fields={})


def test_a_contract_pulled_back_from_signature_cannot_be_signed(hub, blobs, mailer, settings,
                                                                sink):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    with hub.session() as s, s.begin():  # e.g. an edit restarted its approvals
        s.scalar(select(Contract)).status = "pending_approval"
    with pytest.raises(SigningError, match="pending_approval, no longer out for signature"):
        do_sign(hub, blobs, mailer, settings, token_in(sink.to("ada@acme.test")[0]))
