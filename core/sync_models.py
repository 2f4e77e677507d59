"""The sync engine's own tables: links, cursors, outbox, dead letters, runs, conflicts.

``Link`` is the memory of one synced record: which local row is which remote
record, the remote version last seen, and ``base`` -- the last values both
sides agreed on, per local field -- which the three-way merge compares with.
The outbox is fanned out per sync at write time (one row per sync that
consumes the changed entity), so each sync drains its own queue and a row is
deleted in the transaction that records its push.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base


class Link(Base):
    __tablename__ = "sync_links"
    __table_args__ = (
        UniqueConstraint("sync", "local_id", name="local"),
        UniqueConstraint("sync", "remote_id", name="remote"),
        Index("ix_sync_links_conn_remote", "connection", "entity", "remote_id"),
        Index("ix_sync_links_conn_local", "connection", "entity", "local_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sync: Mapped[str] = mapped_column(String(120))
    connection: Mapped[str] = mapped_column(String(120))
    remote_object: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(32))
    local_id: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(128))
    remote_version: Mapped[str | None] = mapped_column(String(128))
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None]


class SyncSubscription(Base):
    """Which syncs consume changes of which local entity (kept from the config)."""

    __tablename__ = "sync_subscriptions"
    sync: Mapped[str] = mapped_column(String(120), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))


class Cursor(Base):
    __tablename__ = "sync_cursors"
    sync: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime | None]


class OutboxEntry(Base):
    __tablename__ = "sync_outbox"
    __table_args__ = (Index("ix_sync_outbox_sync_id", "sync", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sync: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(32))
    local_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8), default="upsert")
    created_at: Mapped[datetime]


class DeadLetter(Base):
    __tablename__ = "sync_dead_letters"
    __table_args__ = (UniqueConstraint("sync", "direction", "record_key", name="record"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sync: Mapped[str] = mapped_column(String(120))
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    record_key: Mapped[str] = mapped_column(String(128))
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_code: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_retry_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_sync_started", "sync", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sync: Mapped[str] = mapped_column(String(120))
    owner: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    dead_lettered: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Conflict(Base):
    __tablename__ = "sync_conflicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    sync: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(32))
    local_id: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(120))
    base: Mapped[Any] = mapped_column(JSON, nullable=True)
    local: Mapped[Any] = mapped_column(JSON, nullable=True)
    remote: Mapped[Any] = mapped_column(JSON, nullable=True)
    policy: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # local | remote | pending
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
