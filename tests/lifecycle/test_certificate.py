"""The certificate of completion: the hash, the signers and their evidence, the timeline,
the audit-chain hash at execution; byte-identical when regenerated; stored once."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.lifecycle.certificate import certificate_pdf, store_certificate
from core.lifecycle.signing import CONSENT_SHA256, SigningError
from core.lifecycle.signing_models import SigningRequest
from core.models import Document
from tests.lifecycle.conftest import UA, approved_contract, execute_contract


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_certificate_lists_hash_signers_evidence_and_chain_hash(
        hub, blobs, mailer, settings, sink, clock):
    execute_contract(hub, blobs, mailer, settings, sink)
    with hub.session() as s:
        data = certificate_pdf(s, "C-100")
        req = s.scalar(select(SigningRequest))
    text = pdf_text(data)
    assert "Certificate of completion" in text
    assert "Contract C-100 - Acme Corp" in text
    assert f"Document SHA-256: {req.document_sha256}" in text
    assert f"Audit-chain hash at execution: {req.execution_audit_hash}" in text
    for who in ("1. Ada Lovelace <ada@acme.test>", "2. Grace Hopper <grace@vendor.test>"):
        assert who in text
    assert text.count(CONSENT_SHA256) == 2
    assert "IP address: 203.0.113.7" in text and "IP address: 2001:db8::1" in text
    assert f"User agent: {UA}" in text
    assert "typed name: Grace Hopper" in text
    assert "Signed at: 2026-03-02 11:00:00 UTC" in text  # 2h after sending at 09:00
    for action in ("signing.sent", "signing.signed", "contract.executed"):
        assert action in text


def test_regenerating_gives_the_same_bytes_and_is_stored_once(
        hub, blobs, mailer, settings, sink, clock):
    execute_contract(hub, blobs, mailer, settings, sink)
    with hub.session() as s, s.begin():
        doc1, first, created1 = store_certificate(s, blobs, "C-100", actor="legal",
                                                  now=clock.now())
    clock.advance(86400 * 30)  # a month later: nothing about the certificate moves
    with hub.session() as s, s.begin():
        doc2, second, created2 = store_certificate(s, blobs, "C-100", actor="legal",
                                                   now=clock.now())
    assert first == second and (created1, created2) == (True, False)
    assert doc1.id == doc2.id and doc1.kind == "certificate"
    assert blobs.read(doc1.sha256) == first
    with hub.session() as s:
        assert len(s.scalars(select(Document).where(Document.kind == "certificate")).all()) == 1


def test_no_certificate_before_the_last_signature(hub, blobs):
    approved_contract(hub, blobs)
    with hub.session() as s, pytest.raises(SigningError, match="no completed signing request"):
        certificate_pdf(s, "C-100")
