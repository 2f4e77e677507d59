"""``retention purge``: documents past retention lose their bytes and archived copies.

A dry run (the default) lists what would go. ``apply`` re-checks each
document's retention at the moment it acts (``still_past_retention``), removes
its archived copies through their storage connectors, removes its blob when
no other retained document shares the bytes, and records
``document.purged`` in the audit trail. A document whose copy cannot be
removed (the connection is not configured, the storage refuses) is left whole
and reported; the next purge tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connectors.base import ConnectorError
from connectors.storage import StorageConnector
from core import audit
from core.archive.mapping import ArchiveMapping
from core.archive.models import LIVE_STATES, ArchivedCopy, PurgedDocument
from core.archive.retention import (
    PurgeCandidate,
    blob_still_needed,
    purge_candidates,
    still_past_retention,
)
from core.blobs import BlobStore
from core.hub import Hub


@dataclass
class PurgeOutcome:
    candidate: PurgeCandidate
    done: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {"document_id": c.document_id, "contract": c.contract, "kind": c.kind,
                "version": c.version, "retained_until": audit.jsonable(c.retained_until),
                "copies": [f"{conn}:{rid}" for conn, rid in c.copies],
                "purged": self.done, "note": self.note}


def plan(hub: Hub, mappings: list[ArchiveMapping]) -> list[PurgeCandidate]:
    with hub.session() as s:
        return purge_candidates(s, mappings, hub.clock.now())


def apply(hub: Hub, mappings: list[ArchiveMapping], connectors: Mapping[str, StorageConnector],
          blobs: BlobStore) -> list[PurgeOutcome]:
    out = []
    candidates = plan(hub, mappings)
    purging = {c.document_id: c for c in candidates}
    for cand in candidates:
        out.append(_purge_one(hub, cand, mappings, connectors, blobs, purging))
    return out


def _purge_one(hub: Hub, cand: PurgeCandidate, mappings: list[ArchiveMapping],
               connectors: Mapping[str, StorageConnector], blobs: BlobStore,
               purging: Mapping[int, object]) -> PurgeOutcome:
    s = hub.session()
    with s, s.begin():
        now = hub.clock.now()
        if not still_past_retention(s, cand.document_id, mappings, now):
            return PurgeOutcome(cand, False, "within retention: kept")
        missing = sorted({conn for conn, _ in cand.copies} - set(connectors))
        if missing:
            return PurgeOutcome(cand, False, f"connection {missing[0]!r} is not configured: "
                                             "its copy cannot be removed, document kept")
        copies = list(s.scalars(select(ArchivedCopy).where(
            ArchivedCopy.document_id == cand.document_id, ArchivedCopy.state.in_(LIVE_STATES))))
        for copy in copies:
            try:
                connectors[copy.connection].remove(copy.remote_id)
            except ConnectorError as exc:
                return PurgeOutcome(cand, False, f"{copy.connection}: {exc.user_message}; "
                                                 "document kept")
            copy.state, copy.checked_at = "removed", now
        blob_removed = not blob_still_needed(s, cand.sha256, purging)
        s.add(PurgedDocument(document_id=cand.document_id, purged_at=now,
                             actor=hub.config.actor))
        audit.append(s, at=now, actor=hub.config.actor, action="document.purged",
                     entity="contract", entity_id=cand.contract,
                     payload={"document_id": cand.document_id, "kind": cand.kind,
                              "version": cand.version, "sha256": cand.sha256,
                              "retained_until": cand.retained_until,
                              "copies_removed": [f"{c.connection}:{c.remote_id}"
                                                 for c in copies],
                              "blob_removed": blob_removed})
    if blob_removed:
        blobs.path(cand.sha256).unlink(missing_ok=True)
    return PurgeOutcome(cand, True, "purged")
