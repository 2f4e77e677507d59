"""The archive's part of ``contracthub status``: copies per connection and incidents.

An incident stays listed for ``RECENT_DAYS`` after it was found, newest first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from core import audit
from core.archive.models import ArchivedCopy, ArchiveIncident
from core.hub import Hub
from core.models import Contract, Document

RECENT_DAYS = 30


def archive_status(hub: Hub, *, first: int = 10) -> dict[str, Any]:
    since = hub.clock.now() - timedelta(days=RECENT_DAYS)
    try:
        with hub.session() as s:
            copies = {f"{conn} {state}": n for conn, state, n in s.execute(
                select(ArchivedCopy.connection, ArchivedCopy.state, func.count())
                .group_by(ArchivedCopy.connection, ArchivedCopy.state))}
            recent = ArchiveIncident.detected_at >= since
            count = s.scalar(select(func.count()).select_from(ArchiveIncident)
                             .where(recent)) or 0
            rows = s.execute(select(ArchiveIncident, Contract.number, Document.kind,
                                    Document.version)
                             .join(Document, Document.id == ArchiveIncident.document_id)
                             .join(Contract, Contract.id == Document.contract_id)
                             .where(recent).order_by(ArchiveIncident.id.desc()).limit(first))
            incidents = [{"id": i.id, "connection": i.connection, "contract": number,
                          "document_id": i.document_id, "kind": kind, "version": version,
                          "what": i.what, "action": i.action, "path": i.detail.get("path"),
                          "detected_at": audit.jsonable(i.detected_at)}
                         for i, number, kind, version in rows]
    except SQLAlchemyError:  # a store not yet migrated to 0004 has no archive
        return {"copies": {}, "incidents": {"recent": 0, "first": []}}
    return {"copies": copies, "incidents": {"recent": count, "first": incidents}}


def archive_lines(data: dict[str, Any]) -> list[str]:
    inc = data["incidents"]
    if not data["copies"] and not inc["recent"]:
        return []
    copies = ", ".join(f"{k} {v}" for k, v in sorted(data["copies"].items())) or "none"
    lines = [f"archive: copies {copies}; incidents in the last {RECENT_DAYS} days: "
             f"{inc['recent']}"]
    for i in inc["first"]:
        verb = {"restored": "restored", "past_retention": "NOT restored (past retention)"
                }.get(i["action"], "NOT restored (the store's bytes are missing or altered)")
        lines.append(f"  #{i['id']} {i['detected_at'][:19]}Z {i['connection']} {i['contract']} "
                     f"{i['kind']} v{i['version']} {i['what']} -> {verb} at {i['path']}")
    return lines
