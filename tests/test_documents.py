"""Documents: content-addressed, versioned, executed copies immutable, hashes verified."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from core.blobs import BlobError, BlobStore
from core.documents import DocumentError, add_document, document_bytes, list_documents
from core.models import AuditEvent
from tests.factories import contract, customer


@pytest.fixture
def blobs(tmp_path):
    return BlobStore(tmp_path / "blobs", max_bytes=1024)


def add(hub, blobs, path, kind="executed"):
    with hub.session() as s, s.begin():
        doc, created = add_document(s, blobs, "C-1", path, kind=kind, actor="legal",
                                    now=hub.clock.now())
        return doc.id, doc.version, doc.sha256, created


def test_versions_hashes_and_idempotent_re_adds(hub, blobs, tmp_path):
    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-1")
    f = tmp_path / "signed.pdf"
    f.write_bytes(b"%PDF-1.7 signed v1")
    id1, v1, sha1, created = add(hub, blobs, f)
    assert (v1, created) == (1, True) and sha1 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert add(hub, blobs, f)[3] is False  # the same bytes again: nothing new
    f.write_bytes(b"%PDF-1.7 signed v2")
    id2, v2, _, created = add(hub, blobs, f)
    assert (v2, created) == (2, True) and id2 != id1
    with hub.session() as s:
        docs = list_documents(s, "C-1")
        assert [(d.kind, d.version, d.media_type) for d in docs] == [
            ("executed", 1, "application/pdf"), ("executed", 2, "application/pdf")]
        doc, data = document_bytes(s, blobs, id1)
        assert data == b"%PDF-1.7 signed v1"  # version 1 is untouched by version 2
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.added")).all()
        assert [e.payload["version"] for e in events] == [1, 2]


def test_tampered_or_oversized_blobs_are_refused(hub, blobs, tmp_path):
    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-1")
    f = tmp_path / "a.pdf"
    f.write_bytes(b"original")
    doc_id, _, sha, _ = add(hub, blobs, f)
    blobs.path(sha).write_bytes(b"tampered")
    with hub.session() as s, pytest.raises(BlobError, match="no longer matches its hash"):
        document_bytes(s, blobs, doc_id)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(BlobError, match="over the store's maximum of 1024 bytes"):
        add(hub, blobs, big)
    with hub.session() as s, pytest.raises(DocumentError, match="no contract 'C-404'"):
        add_document(s, blobs, "C-404", f, actor="x", now=hub.clock.now())
