"""How long an archived document must stay, and the purge of what is past it.

A document's retention runs from the later of its own date (``created_at``,
when the executed file entered the store) and its contract's end date, for
the period its kind is given in the archive mapping. Nothing within its
retention can be purged; the purge re-checks each document at the moment it
acts, so a plan computed earlier cannot remove more than it should.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.archive.mapping import ArchiveMapping, Period
from core.archive.models import LIVE_STATES, ArchivedCopy, PurgedDocument
from core.clock import utc
from core.models import Contract, Document

DEFAULT_PERIOD = Period(7, "y")


def retention_until(doc: Document, contract: Contract, period: Period) -> datetime:
    start = utc(doc.created_at)
    if contract.end_date is not None:
        start = max(start, datetime.combine(contract.end_date, time(0), tzinfo=UTC))
    return period.after(start)


def period_for(kind: str, mappings: Iterable[ArchiveMapping]) -> Period | None:
    """The longest period any archive mapping gives ``kind`` (None: not retained)."""
    periods = [m.period_for(kind) for m in mappings if kind in m.kinds]
    if not periods and kind == "executed":
        return DEFAULT_PERIOD  # executed documents are always retained, mapped or not
    return max(periods, key=lambda p: p.after(datetime(2000, 1, 1, tzinfo=UTC)), default=None)


@dataclass(frozen=True)
class PurgeCandidate:
    document_id: int
    contract: str
    kind: str
    version: int
    sha256: str
    retained_until: datetime
    copies: tuple[tuple[str, str], ...]  # (connection, remote id)


def purge_candidates(s: Session, mappings: list[ArchiveMapping], now: datetime
                     ) -> list[PurgeCandidate]:
    purged = set(s.scalars(select(PurgedDocument.document_id)))
    out = []
    rows = s.execute(select(Document, Contract).join(Contract, Document.contract_id
                                                     == Contract.id).order_by(Document.id))
    for doc, contract in rows:
        period = period_for(doc.kind, mappings)
        if doc.id in purged or period is None:
            continue
        until = retention_until(doc, contract, period)
        if until > now:
            continue
        copies = tuple((c.connection, c.remote_id) for c in s.scalars(
            select(ArchivedCopy).where(ArchivedCopy.document_id == doc.id,
                                       ArchivedCopy.state.in_(LIVE_STATES))))
        out.append(PurgeCandidate(doc.id, contract.number, doc.kind, doc.version, doc.sha256,
                                  until, copies))
    return out


def still_past_retention(s: Session, doc_id: int, mappings: list[ArchiveMapping],
                         now: datetime) -> bool:
    """The guard every removal passes through, at the moment of removal."""
    doc = s.get(Document, doc_id)
    if doc is None:
        return False
    contract = s.get(Contract, doc.contract_id)
    period = period_for(doc.kind, mappings)
    if contract is None or period is None:
        return False
    return retention_until(doc, contract, period) <= now


def blob_still_needed(s: Session, sha256: str, purging: Mapping[int, object]) -> bool:
    """Another document (not being purged) shares the bytes (blobs are by content)."""
    gone = exists().where(PurgedDocument.document_id == Document.id)
    others = s.scalars(select(Document.id).where(Document.sha256 == sha256, ~gone))
    return any(i not in purging for i in others)
