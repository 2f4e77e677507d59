"""The archive's tables: copies of documents in storage connections, what was
found tampered with, and documents purged after their retention.

``ArchivedCopy.state``: ``archived`` (uploaded or found by its properties),
``restored`` (put back after tampering), ``lost`` (altered or removed past
retention: recorded, not restored), ``removed`` (deleted by a retention purge).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base

COPY_STATES = ("archived", "restored", "lost", "removed")
LIVE_STATES = ("archived", "restored")


class ArchivedCopy(Base):
    __tablename__ = "archive_copies"
    __table_args__ = (UniqueConstraint("document_id", "connection", name="document_connection"),
                      Index("ix_archive_copies_conn_remote", "connection", "remote_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    connection: Mapped[str] = mapped_column(String(120))
    remote_id: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1024))
    content_tag: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="archived")
    archived_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]


class ArchiveIncident(Base):
    """An archived copy found trashed, deleted, renamed, moved or with other bytes."""

    __tablename__ = "archive_incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    connection: Mapped[str] = mapped_column(String(120), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    what: Mapped[str] = mapped_column(String(16))  # trashed|deleted|renamed|moved|content
    action: Mapped[str] = mapped_column(String(24))  # restored | past_retention
    old_remote_id: Mapped[str] = mapped_column(String(255))
    new_remote_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime]


class PurgedDocument(Base):
    """A document whose bytes were removed by ``contracthub retention purge --apply``."""

    __tablename__ = "archive_purged_documents"
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    purged_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
