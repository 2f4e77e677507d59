"""A contract's documents: metadata rows in the store, bytes in the blob store.

Each (contract, kind) has versions 1, 2, 3...; adding a file makes the next
version. An ``executed`` document is immutable: nothing replaces or deletes
its bytes, a new signed file is a new version. Adding the very same bytes
again as the latest version of the same kind is a no-op (idempotent).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.blobs import BlobStore
from core.models import Contract, Document

KINDS = ("draft", "executed", "amendment", "certificate")


class DocumentError(Exception):
    """A document request that cannot be done (unknown contract, bad kind...)."""


def contract_by_number(session: Session, number: str) -> Contract:
    c = session.scalar(select(Contract).where(Contract.number == number))
    if c is None:
        raise DocumentError(f"no contract {number!r}")
    return c


def add_document(session: Session, blobs: BlobStore, number: str, source: Path, *,
                 kind: str = "draft", actor: str, now: object) -> tuple[Document, bool]:
    """Store ``source`` as the next version; returns (document, created)."""
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind {kind!r} (use {', '.join(KINDS)})")
    if not source.is_file():
        raise DocumentError(f"{source}: no such file")
    contract = contract_by_number(session, number)
    sha, size = blobs.put_file(source)
    latest = session.scalar(select(Document).where(
        Document.contract_id == contract.id, Document.kind == kind)
        .order_by(Document.version.desc()).limit(1))
    if latest is not None and latest.sha256 == sha:
        return latest, False
    version = (session.scalar(select(func.max(Document.version)).where(
        Document.contract_id == contract.id, Document.kind == kind)) or 0) + 1
    media = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    doc = Document(contract_id=contract.id, kind=kind, version=version, filename=source.name,
                   media_type=media, size=size, sha256=sha, created_at=now)
    session.add(doc)
    session.flush()
    audit.append(session, at=now, actor=actor, action="document.added", entity="contract",  # type: ignore[arg-type]
                 entity_id=contract.number, payload={"document_id": doc.id, "kind": kind,
                                                     "version": version, "sha256": sha,
                                                     "size": size, "filename": source.name})
    return doc, True


def list_documents(session: Session, number: str) -> list[Document]:
    contract = contract_by_number(session, number)
    return list(session.scalars(select(Document).where(Document.contract_id == contract.id)
                                .order_by(Document.kind, Document.version)))


def document_bytes(session: Session, blobs: BlobStore, doc_id: int) -> tuple[Document, bytes]:
    doc = session.get(Document, doc_id)
    if doc is None:
        raise DocumentError(f"no document {doc_id}")
    return doc, blobs.read(doc.sha256)
