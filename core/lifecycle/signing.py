"""Signing an approved contract, with the evidence an ESIGN/UETA dispute needs.

``send_for_signature`` freezes the contract's latest draft document (its
sha256) and emails every signer a one-time link; signers sign in order. A
link token is random, stored as sha256 only, replaced by each newer email
(reminder, "your turn") and refused once used, once expired, out of order,
or when the draft's bytes no longer match what was sent. ``sign`` writes the
evidence -- who, how they were authenticated, the consent text's sha256, the
intent (typed name), IP address, user agent, UTC time, the document sha256 --
to the audit trail. The last signature executes the contract: the signed
bytes become its ``executed`` document, it becomes ``active`` and locked, and
the ``contract.executed`` audit event's hash is kept for the certificate.
Reminders, expiry and archiving are in ``core.lifecycle.signing_due``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.blobs import BlobError, BlobStore
from core.config import SigningSettings
from core.documents import add_document, contract_by_number
from core.lifecycle.mailer import Mailer
from core.lifecycle.retention import years_after  # also registers the retention guard
from core.lifecycle.signing_models import Signer, SigningRequest
from core.models import Contract, Document
from core.sync.jobs import parse_every

CONSENT_TEXT = (
    "I agree to do business electronically: to receive this contract and related notices "
    "by email, and to sign it with an electronic signature that has the same legal effect "
    "as my handwritten signature. I can ask for a paper copy, and I can withdraw this "
    "consent before signing by not signing.")
CONSENT_SHA256 = hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()
SIGNER_RE = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>\s*$")


class SigningError(Exception):
    """A signing action refused or impossible; the message says why, in one line."""


@dataclass(frozen=True)
class SignerSpec:
    name: str
    email: str
    with_code: bool = False


@dataclass
class Sent:
    request: SigningRequest
    links: dict[str, str] = field(default_factory=dict)   # email -> link (also emailed)
    codes: dict[str, str] = field(default_factory=dict)   # email -> access code (give by phone)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_signer(text: str, *, with_code: bool = False) -> SignerSpec:
    m = SIGNER_RE.match(text)
    if not m:
        raise SigningError(f"signer {text!r} is not like \"Ada Lovelace <ada@example.com>\"")
    return SignerSpec(m["name"], m["email"].lower(), with_code)


def duration(settings: SigningSettings, key: str) -> timedelta:
    try:
        return parse_every(getattr(settings, key))
    except Exception:
        raise SigningError(f"signing.{key}: {getattr(settings, key)!r} is not like 48h or "
                           "90d") from None


def latest_draft(session: Session, contract: Contract) -> Document | None:
    return session.scalar(select(Document).where(
        Document.contract_id == contract.id, Document.kind == "draft")
        .order_by(Document.version.desc()).limit(1))


def pending_request(session: Session, contract: Contract) -> SigningRequest | None:
    return session.scalar(select(SigningRequest).where(
        SigningRequest.contract_id == contract.id, SigningRequest.status == "pending"))


def mint_link(signer: Signer, settings: SigningSettings) -> str:
    """A new one-time link for the signer; any older link of theirs stops working."""
    token = secrets.token_urlsafe(32)
    signer.token_hash = sha256_text(token)
    signer.token_expires_at = signer.request.expires_at
    return settings.link_base + token


def invitation(contract: Contract, signer: Signer, link: str, *, turn: bool) -> tuple[str, str]:
    req = signer.request
    count = len(req.signers)
    previous = [s.name for s in req.signers if s.position < signer.position]
    lines = [f"Hello {signer.name},", "",
             f"Contract {contract.number} for {contract.customer.name} is ready for your "
             f"signature (signer {signer.position} of {count}).",
             f"Document sha256: {req.document_sha256}", "", "Sign here:", link, "",
             f"This link works once and expires at {req.expires_at:%Y-%m-%d %H:%M} UTC."]
    if signer.code_hash:
        lines.append("You will also need the access code the sender gives you separately.")
    if not turn and previous:
        lines.append(f"You can sign after {', '.join(previous)} (we will email you then).")
    lines += ["", "By signing you agree to this consent to do business electronically:",
              CONSENT_TEXT]
    subject = f"{'Your turn to sign' if turn else 'Please sign'}: contract {contract.number}"
    return subject, "\n".join(lines)


def send_for_signature(session: Session, blobs: BlobStore, mailer: Mailer, *, number: str,
                       signers: list[SignerSpec], actor: str, now: datetime,
                       settings: SigningSettings) -> Sent:
    """Open a request for an approved contract and email every signer their link."""
    contract = contract_by_number(session, number)
    if contract.status != "approved":
        raise SigningError(f"contract {number} is {contract.status}: only an approved contract "
                           "can be sent for signature")
    if not signers:
        raise SigningError("name at least one signer (--signer \"Name <email>\")")
    emails = [s.email for s in signers]
    if len(set(emails)) != len(emails):
        raise SigningError(f"a signer is named twice: {', '.join(emails)}")
    doc = latest_draft(session, contract)
    if doc is None:
        raise SigningError(f"contract {number} has no draft document to sign")
    try:
        blobs.read(doc.sha256)  # the bytes must be there and match their hash
    except BlobError as exc:
        raise SigningError(f"contract {number}: draft document cannot be read: {exc}") from None
    req = SigningRequest(contract_id=contract.id, status="pending", document_id=doc.id,
                         document_sha256=doc.sha256,  # read() verified the bytes
                         consent_sha256=CONSENT_SHA256, sent_at=now, sent_by=actor,
                         expires_at=now + duration(settings, "expire_after"))
    session.add(req)
    sent = Sent(req)
    for i, spec in enumerate(signers, start=1):
        code = f"{secrets.randbelow(10**6):06d}" if spec.with_code else None
        signer = Signer(request=req, position=i, name=spec.name, email=spec.email,
                        status="pending" if i == 1 else "waiting", reminders=0, notified_at=now,
                        code_hash=sha256_text(code) if code else None)
        session.add(signer)
        sent.links[spec.email] = mint_link(signer, settings)
        if code:
            sent.codes[spec.email] = code
    contract.status = "out_for_signature"
    session.flush()
    audit.append(session, at=now, actor=actor, action="signing.sent", entity="contract",
                 entity_id=contract.number, payload={
                     "request": req.id, "document_id": doc.id,
                     "document_sha256": req.document_sha256, "consent_sha256": CONSENT_SHA256,
                     "expires_at": req.expires_at,
                     "signers": [{"position": s.position, "name": s.name, "email": s.email,
                                  "authentication": auth_method(s)} for s in req.signers]})
    for s in req.signers:
        subject, body = invitation(contract, s, sent.links[s.email], turn=s.position == 1)
        mailer.send([s.email], subject, body, now=now)
    return sent


def auth_method(signer: Signer) -> str:
    return "email_link+access_code" if signer.code_hash else "email_link"


@dataclass(frozen=True)
class SignatureInput:
    token: str
    typed_name: str
    ip: str
    user_agent: str
    consent: bool
    code: str | None = None


def _find_signer(session: Session, token: str) -> Signer:
    signer = session.scalar(select(Signer).where(Signer.token_hash == sha256_text(token)))
    if signer is None:
        raise SigningError("unknown signing link (a newer email may have replaced it)")
    return signer


def check_signature(session: Session, blobs: BlobStore, signer: Signer, given: SignatureInput,
                    now: datetime) -> None:
    """Every refusal, in the order a person can act on them."""
    req = signer.request
    if signer.status == "signed":
        raise SigningError(f"this link was already used: {signer.name} signed at "
                           f"{signer.signed_at:%Y-%m-%d %H:%M:%S} UTC")
    if req.status != "pending":
        raise SigningError(f"signing request {req.id} is {req.status}")
    if now >= (signer.token_expires_at or req.expires_at):
        raise SigningError(f"this signing link expired at "
                           f"{signer.token_expires_at:%Y-%m-%d %H:%M} UTC")
    if signer.status == "waiting":
        before = [s.name for s in req.signers if s.position < signer.position
                  and s.status != "signed"]
        raise SigningError(f"{signer.name} is signer {signer.position}: waiting for "
                           f"{', '.join(before)} to sign first")
    if signer.code_hash and not hmac.compare_digest(sha256_text(given.code or ""),
                                                    signer.code_hash):
        raise SigningError("the access code is missing or wrong")
    if not given.consent:
        raise SigningError("consent to do business electronically is required to sign")
    if not given.typed_name.strip():
        raise SigningError("type your name to sign")
    try:
        ipaddress.ip_address(given.ip)
    except ValueError:
        raise SigningError(f"ip {given.ip!r} is not an IP address") from None
    if not given.user_agent.strip():
        raise SigningError("the user agent is required evidence")
    contract = session.get(Contract, req.contract_id)
    if contract.status != "out_for_signature":
        raise SigningError(f"contract {contract.number} is {contract.status}, no longer out for "
                           "signature (edited since it was sent?)")
    doc = latest_draft(session, contract)
    try:
        # read() verifies the bytes against their hash (BlobError when altered)
        current = doc.sha256 if doc and blobs.read(doc.sha256) is not None else "none"
    except BlobError:
        current = "unreadable"
    if current != req.document_sha256:
        raise SigningError(f"contract {contract.number}: the document changed since it was sent "
                           f"for signature (sent sha256 {req.document_sha256[:16]}..., now "
                           f"{current[:16]}...): cancel this request and send again")


def sign(session: Session, blobs: BlobStore, mailer: Mailer, given: SignatureInput, *,
         now: datetime, settings: SigningSettings) -> SigningRequest:
    """Record one signature with its evidence; execute the contract after the last one."""
    signer = _find_signer(session, given.token)
    check_signature(session, blobs, signer, given, now)
    req = signer.request
    contract = session.get(Contract, req.contract_id)
    signer.status, signer.signed_at = "signed", now
    audit.append(session, at=now, actor=f"signer:{signer.email}", action="signing.signed",
                 entity="contract", entity_id=contract.number, payload={
                     "request": req.id, "position": signer.position,
                     "signer": {"name": signer.name, "email": signer.email},
                     "authentication": auth_method(signer),
                     "consent_sha256": req.consent_sha256,
                     "intent": {"action": "typed name and signed", "typed_name":
                                given.typed_name.strip()},
                     "ip": given.ip, "user_agent": given.user_agent, "signed_at": now,
                     "document_sha256": req.document_sha256})
    following = [s for s in req.signers if s.status == "waiting"]
    if following:
        nxt = following[0]
        nxt.status, nxt.notified_at = "pending", now
        subject, body = invitation(contract, nxt, mint_link(nxt, settings), turn=True)
        mailer.send([nxt.email], subject, body, now=now)
        return req
    execute(session, blobs, mailer, req, contract, now=now,
            retain_until=years_after(now, settings.retention_years))
    return req


def record_refusal(session: Session, given: SignatureInput, reason: str, *, now: datetime
                   ) -> bool:
    """Keep a refused attempt on a known link as evidence (its own transaction, after the
    refusal rolled back). Unknown tokens are not recorded: they name no contract."""
    try:
        signer = _find_signer(session, given.token)
    except SigningError:
        return False
    contract = session.get(Contract, signer.request.contract_id)
    audit.append(session, at=now, actor=f"signer:{signer.email}", action="signing.refused",
                 entity="contract", entity_id=contract.number, payload={
                     "request": signer.request_id, "position": signer.position,
                     "reason": reason, "ip": given.ip, "user_agent": given.user_agent})
    return True


def execute(session: Session, blobs: BlobStore, mailer: Mailer, req: SigningRequest,
            contract: Contract, *, now: datetime, retain_until: datetime) -> None:
    """The signed bytes become the executed document; the contract is active and locked."""
    draft = session.get(Document, req.document_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / draft.filename
        path.write_bytes(blobs.read(req.document_sha256))
        executed, _ = add_document(session, blobs, contract.number, path, kind="executed",
                                   actor="system:signing", now=now)
    req.status, req.ended_at, req.executed_document_id = "completed", now, executed.id
    req.retain_until = retain_until
    contract.status, contract.locked = "active", True
    session.flush()
    event = audit.append(session, at=now, actor="system:signing", action="contract.executed",
                         entity="contract", entity_id=contract.number, payload={
                             "request": req.id, "document_sha256": req.document_sha256,
                             "executed_document_id": executed.id, "retain_until": retain_until,
                             "signers": [s.email for s in req.signers]})
    req.execution_audit_hash = event.hash
    names = ", ".join(s.name for s in req.signers)
    mailer.send([s.email for s in req.signers], f"Completed: contract {contract.number}",
                f"Contract {contract.number} for {contract.customer.name} is signed by "
                f"{names} and executed.\nDocument sha256: {req.document_sha256}\n", now=now)


def cancel(session: Session, *, number: str, actor: str, now: datetime, reason: str
           ) -> SigningRequest:
    contract = contract_by_number(session, number)
    req = pending_request(session, contract)
    if req is None:
        raise SigningError(f"contract {number} has no pending signing request")
    req.status, req.ended_at = "cancelled", now
    contract.status = "approved"
    session.flush()
    audit.append(session, at=now, actor=actor, action="signing.cancelled", entity="contract",
                 entity_id=number, payload={"request": req.id, "reason": reason})
    return req
