"""The retention guard: an archived copy found altered is put back, and reported.

What counts as altered, comparing the remote file now with the copy recorded
when it was archived: gone (``deleted``), in the trash (``trashed``), other
bytes (``content``), another name (``renamed``), another folder (``moved``).
Within the document's retention the exact bytes are read from the blob store
(hash-verified) and uploaded again at the recorded path; the copy row then
points at the new file; an audit event ``document.restored`` and an incident
row say what happened. Past retention the incident is recorded and nothing
is restored (``document.archive_lost``); so is a copy whose bytes the blob
store no longer holds intact (``restore_failed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.storage import StorageConnector, StoredFile
from core import audit
from core.archive.mapping import ArchiveMapping
from core.archive.models import LIVE_STATES, ArchivedCopy, ArchiveIncident
from core.archive.retention import retention_until
from core.blobs import BlobError, BlobStore
from core.models import Contract, Document


@dataclass
class GuardCounts:
    changes: int = 0
    checked: int = 0
    restored: int = 0
    lost: int = 0
    incidents: list[str] = field(default_factory=list)


def properties(doc: Document) -> dict[str, str]:
    return {"contracthub_document": str(doc.id), "sha256": doc.sha256}


def what_happened(copy: ArchivedCopy, now: StoredFile | None) -> str | None:
    if now is None:
        return "deleted"
    if now.trashed:
        return "trashed"
    if now.content_tag and copy.content_tag and now.content_tag != copy.content_tag:
        return "content"
    if now.path != copy.path:
        old_name, new_name = copy.path.rsplit("/", 1)[-1], now.path.rsplit("/", 1)[-1]
        return "renamed" if old_name != new_name else "moved"
    return None


def live_copy(s: Session, connection: str, remote_id: str) -> ArchivedCopy | None:
    return s.scalar(select(ArchivedCopy).where(
        ArchivedCopy.connection == connection, ArchivedCopy.remote_id == remote_id,
        ArchivedCopy.state.in_(LIVE_STATES)))


def inspect(s: Session, copy: ArchivedCopy, now_file: StoredFile | None, *,
            connector: StorageConnector, mapping: ArchiveMapping, blobs: BlobStore,
            now: datetime, actor: str, counts: GuardCounts) -> None:
    """Compare one copy with the remote file now; restore or record when altered."""
    counts.checked += 1
    what = what_happened(copy, now_file)
    copy.checked_at = now
    if what is None:
        return
    doc = s.get(Document, copy.document_id)
    contract = s.get(Contract, doc.contract_id) if doc is not None else None
    assert doc is not None and contract is not None
    until = retention_until(doc, contract, mapping.period_for(doc.kind))
    old_id = copy.remote_id
    detail = {"document_id": doc.id, "connection": copy.connection, "what": what,
              "path": copy.path, "old_remote_id": old_id,
              "found": None if now_file is None else {"path": now_file.path,
                                                      "trashed": now_file.trashed,
                                                      "content_tag": now_file.content_tag},
              "retained_until": until}
    content: bytes | None = None
    if now < until:
        try:
            content = blobs.read(doc.sha256)
        except BlobError as exc:  # nothing true to put back: say so loudly, once
            detail["error"] = str(exc)
    if now < until and content is not None:
        stored = connector.put(copy.path, content, properties(doc), media_type=doc.media_type)
        copy.remote_id, copy.content_tag, copy.state = stored.remote_id, stored.content_tag, \
            "restored"
        detail["new_remote_id"] = stored.remote_id
        action, event = "restored", "document.restored"
        counts.restored += 1
    elif now < until:
        copy.state = "lost"
        action, event = "restore_failed", "document.archive_lost"
        counts.lost += 1
    else:
        copy.state = "lost"
        action, event = "past_retention", "document.archive_lost"
        counts.lost += 1
    s.add(ArchiveIncident(connection=copy.connection, document_id=doc.id, what=what,
                          action=action, old_remote_id=old_id,
                          new_remote_id=detail.get("new_remote_id"),
                          detail=audit.jsonable(detail), detected_at=now))
    audit.append(s, at=now, actor=actor, action=event, entity="contract",
                 entity_id=contract.number, payload=detail)
    counts.incidents.append(f"{contract.number} {doc.kind} v{doc.version}: {what} -> {action}")
