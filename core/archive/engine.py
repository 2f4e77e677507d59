"""``archive_cycle``: archive what is not yet archived, then guard what is.

1. The change cursor is taken first (stored under ``archive:<connection>`` in
   the sync cursors table) so nothing done remotely during the cycle is missed.
2. Each document of an archived kind without a copy on this connection is
   looked up by its properties (document id + sha256) and uploaded only when
   absent: re-running uploads nothing, and a copy is recorded only after the
   storage confirmed the whole file.
3. The changes feed is read page by page; each page's verdicts (restores,
   incidents, audit events) are committed with the cursor that follows it.
   A cursor the storage refuses (``CursorExpired``) means every live copy is
   checked by ``get`` instead, and a fresh cursor is kept.

Transient and stop errors go up (the cycle fails and the next one resumes);
a document the storage refuses or whose bytes are missing is counted as
failed and tried again next cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from connectors.base import SkipRecord
from connectors.storage import CursorExpired, StorageConnector
from core import audit
from core.archive.guard import GuardCounts, inspect, live_copy, properties
from core.archive.mapping import ArchiveMapping
from core.archive.models import LIVE_STATES, ArchivedCopy, PurgedDocument
from core.archive.paths import render
from core.blobs import BlobError, BlobStore
from core.hub import Hub
from core.models import Contract, Customer, Document
from core.sync_models import Cursor

log = logging.getLogger(__name__)


@dataclass
class ArchiveResult:
    uploaded: int = 0
    found: int = 0
    failed: list[str] = field(default_factory=list)
    full_check: bool = False
    guard: GuardCounts = field(default_factory=GuardCounts)


def cursor_key(connection: str) -> str:
    return f"archive:{connection}"


def path_values(doc: Document, contract: Contract, customer: Customer) -> dict[str, Any]:
    ext = doc.filename.rsplit(".", 1)[-1] if "." in doc.filename else "bin"
    return {"customer.name": customer.name, "customer.id": customer.id,
            "contract.number": contract.number, "contract.kind": contract.kind,
            "contract.id": contract.id, "contract.start_year": contract.start_date.year,
            "document.kind": doc.kind, "document.id": doc.id,
            "document.filename": doc.filename, "version": doc.version, "ext": ext}


def archive_cycle(hub: Hub, connection_name: str, connector: StorageConnector,
                  archive_mapping: ArchiveMapping, *, blobs: BlobStore | None = None
                  ) -> ArchiveResult:
    blobs = blobs or hub.blobs()
    result = ArchiveResult()
    key = cursor_key(connection_name)
    with hub.session() as s, s.begin():
        if s.get(Cursor, key) is None:
            s.add(Cursor(sync=key, version=1, value=dict(connector.start_cursor()), state={},
                         updated_at=hub.clock.now()))
    archive_pending(hub, connection_name, connector, archive_mapping, blobs, result)
    guard(hub, connection_name, connector, archive_mapping, blobs, result)
    return result


def pending_documents(s: Session, connection: str, mapping: ArchiveMapping
                      ) -> list[tuple[Document, Contract, Customer]]:
    copied = exists().where(ArchivedCopy.document_id == Document.id,
                            ArchivedCopy.connection == connection)
    purged = exists().where(PurgedDocument.document_id == Document.id)
    rows = s.execute(select(Document, Contract, Customer)
                     .join(Contract, Document.contract_id == Contract.id)
                     .join(Customer, Contract.customer_id == Customer.id)
                     .where(Document.kind.in_(mapping.kinds), ~copied, ~purged)
                     .order_by(Document.id))
    return [(d, c, cu) for d, c, cu in rows]


def archive_pending(hub: Hub, connection: str, connector: StorageConnector,
                    mapping: ArchiveMapping, blobs: BlobStore, result: ArchiveResult) -> None:
    with hub.session() as s:
        todo = [(d.id, render(mapping.path, path_values(d, c, cu)))
                for d, c, cu in pending_documents(s, connection, mapping)]
    for doc_id, path in todo:
        s = hub.session()
        with s, s.begin():
            doc = s.get(Document, doc_id)
            contract = s.get(Contract, doc.contract_id) if doc else None
            assert doc is not None and contract is not None
            try:
                stored = connector.find(properties(doc))
                if stored is not None and _other_bytes(stored.content_tag, doc.sha256):
                    stored = None  # it claims our properties but holds other bytes
                if stored is None:
                    stored = connector.put(path, blobs.read(doc.sha256), properties(doc),
                                           media_type=doc.media_type)
                    result.uploaded += 1
                else:
                    result.found += 1
            except (SkipRecord, BlobError) as exc:
                message = getattr(exc, "user_message", str(exc))
                log.warning("archive %s: document %s not archived: %s", connection, doc_id,
                            message)
                result.failed.append(f"document {doc_id} ({contract.number}): {message}")
                continue
            now = hub.clock.now()
            s.add(ArchivedCopy(document_id=doc.id, connection=connection,
                               remote_id=stored.remote_id, path=stored.path,
                               content_tag=stored.content_tag, state="archived",
                               archived_at=now, checked_at=now))
            audit.append(s, at=now, actor=hub.config.actor, action="document.archived",
                         entity="contract", entity_id=contract.number,
                         payload={"document_id": doc.id, "connection": connection,
                                  "remote_id": stored.remote_id, "path": stored.path,
                                  "sha256": doc.sha256})


def _other_bytes(content_tag: str, sha256: str) -> bool:
    """A content tag that is a SHA-256 (Drive's sha256Checksum) and not the document's."""
    tag = content_tag.lower()
    return len(tag) == 64 and all(c in "0123456789abcdef" for c in tag) and tag != sha256


def guard(hub: Hub, connection: str, connector: StorageConnector, mapping: ArchiveMapping,
          blobs: BlobStore, result: ArchiveResult) -> None:
    key = cursor_key(connection)
    with hub.session() as s:
        row = s.get(Cursor, key)
        cursor = dict(row.value) if row is not None else dict(connector.start_cursor())
    counts = result.guard
    try:
        for page in connector.changes(cursor):
            s = hub.session()
            with s, s.begin():
                now = hub.clock.now()
                for change in page.changes:
                    counts.changes += 1
                    copy = live_copy(s, connection, change.remote_id)
                    if copy is not None:
                        inspect(s, copy, change.file, connector=connector, mapping=mapping,
                                blobs=blobs, now=now, actor=hub.config.actor, counts=counts)
                        s.flush()
                _save_cursor(s, key, page.cursor, now)
    except CursorExpired as exc:
        log.warning("archive %s: %s; checking every archived copy", connection, exc)
        full_check(hub, connection, connector, mapping, blobs, result)


def full_check(hub: Hub, connection: str, connector: StorageConnector, mapping: ArchiveMapping,
               blobs: BlobStore, result: ArchiveResult) -> None:
    """Every live copy by ``get``; the fresh cursor is taken first and kept at the end."""
    result.full_check = True
    fresh = dict(connector.start_cursor())
    with hub.session() as s:
        ids = list(s.scalars(select(ArchivedCopy.id).where(
            ArchivedCopy.connection == connection, ArchivedCopy.state.in_(LIVE_STATES))
            .order_by(ArchivedCopy.id)))
    for copy_id in ids:
        s = hub.session()
        with s, s.begin():
            copy = s.get(ArchivedCopy, copy_id)
            assert copy is not None
            inspect(s, copy, connector.get(copy.remote_id), connector=connector,
                    mapping=mapping, blobs=blobs, now=hub.clock.now(), actor=hub.config.actor,
                    counts=result.guard)
    s = hub.session()
    with s, s.begin():
        _save_cursor(s, cursor_key(connection), fresh, hub.clock.now())


def _save_cursor(s: Session, key: str, value: Any, now: datetime) -> None:
    row = s.get(Cursor, key)
    if row is None:
        s.add(Cursor(sync=key, version=1, value=dict(value), state={}, updated_at=now))
    else:
        row.value, row.updated_at = dict(value), now
