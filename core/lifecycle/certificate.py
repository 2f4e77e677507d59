"""The certificate of completion: a PDF of what the audit trail proves about a signature.

It lists the signed document's sha256, every signer with the evidence the
audit trail holds (identity, authentication, consent hash, intent, IP, user
agent, UTC time), the event timeline of the signing, and the audit-chain hash
at execution (the ``contract.executed`` event's hash, which ``contracthub
audit verify`` can check). Deterministic: only recorded times appear, the
PDF's creation date is the execution time and its metadata is fixed, so
regenerating gives the same bytes -- and storing it again is a no-op.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.blobs import BlobStore
from core.documents import add_document, contract_by_number
from core.lifecycle.signing import CONSENT_TEXT, SigningError
from core.lifecycle.signing_models import SigningRequest
from core.models import AuditEvent, Contract, Document

TIMELINE_ACTIONS = ("signing.sent", "signing.reminded", "signing.refused", "signing.signed",
                    "contract.executed")


def _latin1(text: Any) -> str:
    """The PDF core fonts speak latin-1; anything else shows as '?' rather than failing."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _when(iso: str) -> str:
    return iso.replace("T", " ").replace("+00:00", " UTC")


def completed_request(session: Session, contract: Contract) -> SigningRequest:
    req = session.scalar(select(SigningRequest).where(
        SigningRequest.contract_id == contract.id, SigningRequest.status == "completed")
        .order_by(SigningRequest.id.desc()).limit(1))
    if req is None:
        raise SigningError(f"contract {contract.number} has no completed signing request "
                           "(a certificate follows the last signature)")
    return req


def certificate_facts(session: Session, number: str) -> dict[str, Any]:
    """Everything the certificate shows, read from the store and the audit trail."""
    contract = contract_by_number(session, number)
    req = completed_request(session, contract)
    events = [e for e in session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "contract", AuditEvent.entity_id == number,
        AuditEvent.action.in_(TIMELINE_ACTIONS)).order_by(AuditEvent.seq))
        if e.payload.get("request") == req.id]
    executed = session.get(Document, req.executed_document_id)
    return {"number": number, "customer": contract.customer.name, "request": req.id,
            "document_sha256": req.document_sha256, "document": executed.filename,
            "consent_sha256": req.consent_sha256, "sent_by": req.sent_by,
            "sent_at": req.sent_at, "executed_at": req.ended_at,
            "audit_hash": req.execution_audit_hash,
            "signers": [e.payload for e in events if e.action == "signing.signed"],
            "timeline": [(e.seq, e.at, e.action, e.actor, e.hash) for e in events]}


def render_certificate(facts: dict[str, Any]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(facts["executed_at"])
    pdf.set_title(_latin1(f"Certificate of completion {facts['number']}"))
    pdf.set_author("contracthub")
    pdf.set_creator("contracthub")
    pdf.set_producer("contracthub")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def line(text: str, size: int = 9, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, size * 0.55, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Certificate of completion", 16, "B")
    line(f"Contract {facts['number']} - {facts['customer']}", 11, "B")
    pdf.ln(2)
    line(f"Document: {facts['document']}")
    line(f"Document SHA-256: {facts['document_sha256']}")
    line(f"Signing request {facts['request']} sent by {facts['sent_by']} at "
         f"{facts['sent_at']:%Y-%m-%d %H:%M:%S} UTC")
    line(f"Executed at {facts['executed_at']:%Y-%m-%d %H:%M:%S} UTC")
    line(f"Audit-chain hash at execution: {facts['audit_hash']}")
    pdf.ln(3)
    line("Signers", 12, "B")
    for ev in facts["signers"]:
        who = ev["signer"]
        line(f"{ev['position']}. {who['name']} <{who['email']}>", 10, "B")
        line(f"   Signed at: {_when(ev['signed_at'])}")
        line(f"   Authentication: {ev['authentication']}")
        line(f"   Consent to do business electronically, text SHA-256: {ev['consent_sha256']}")
        line(f"   Intent: {ev['intent']['action']}; typed name: {ev['intent']['typed_name']}")
        line(f"   IP address: {ev['ip']}")
        line(f"   User agent: {ev['user_agent']}")
        line(f"   Document SHA-256 signed: {ev['document_sha256']}")
    pdf.ln(3)
    line("Event timeline (audit trail)", 12, "B")
    for seq, at, action, actor, digest in facts["timeline"]:
        line(f"#{seq}  {at:%Y-%m-%d %H:%M:%S} UTC  {action}  by {actor}  hash {digest[:16]}...")
    pdf.ln(3)
    line("Consent text", 12, "B")
    line(CONSENT_TEXT, 8)
    return bytes(pdf.output())


def certificate_pdf(session: Session, number: str) -> bytes:
    return render_certificate(certificate_facts(session, number))


def store_certificate(session: Session, blobs: BlobStore, number: str, *, actor: str,
                      now: datetime) -> tuple[Document, bytes, bool]:
    """Render and keep the certificate as the contract's ``certificate`` document."""
    data = certificate_pdf(session, number)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{number}-certificate-of-completion.pdf"
        path.write_bytes(data)
        doc, created = add_document(session, blobs, number, path, kind="certificate",
                                    actor=actor, now=now)
    return doc, data, created
