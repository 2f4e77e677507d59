"""The storage-connector protocol: where executed contract documents are archived.

A storage connection (Google Drive, OneDrive/SharePoint) keeps a copy of each
executed document in a folder layout rendered from the archive mapping. The
archive engine (``core.archive``) decides *what* to put and when; a storage
connector only knows how to put bytes at a path, find a copy by its metadata,
fetch bytes back, and report what changed on the remote side.

Idempotency: every file a connector puts carries ``properties`` (Drive
``appProperties``; a Graph listItem/description field) with at least
``contracthub_document`` (the store's document id) and ``sha256``. Before an
upload the engine asks ``find(properties)``; a retried or concurrent archive
therefore never uploads twice.

Errors are the ones of ``connectors.base`` (RetryLater, RateLimited, StopSync,
ConfigError, SkipRecord), so the retry policy and the engine treat every
connector alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

ChangeKind = Literal["deleted", "trashed", "renamed", "moved", "content", "untrashed", "other"]


@dataclass(frozen=True)
class StoredFile:
    """A file as the storage system holds it.

    ``content_tag`` changes when (and only when) the bytes change: Drive's
    ``sha256Checksum``/``md5Checksum``, Graph's ``cTag``. ``path`` is the
    slash-separated path from the connection's root folder.
    """

    remote_id: str
    path: str
    size: int
    content_tag: str
    properties: Mapping[str, str]
    modified: datetime | None = None
    trashed: bool = False


@dataclass(frozen=True)
class StorageChange:
    """One change the remote side reports for a file.

    ``file`` is the file's state after the change (None when it is gone).
    ``kind`` is what the connector can tell by itself (``deleted``,
    ``trashed``, else often ``other``): the archive engine decides renamed /
    moved / content by comparing ``file`` with the copy it recorded.
    """

    remote_id: str
    kind: ChangeKind
    file: StoredFile | None
    at: datetime | None = None


@dataclass(frozen=True)
class ChangePage:
    changes: tuple[StorageChange, ...]
    cursor: Mapping[str, Any]


@runtime_checkable
class StorageConnector(Protocol):
    name: str
    kind: Literal["storage"]

    def check(self) -> None:
        """Credentials and reachability (and the root folder/drive exists)."""

    def find(self, properties: Mapping[str, str]) -> StoredFile | None:
        """The live (not trashed) file whose properties include all of ``properties``."""

    def put(self, path: str, content: bytes, properties: Mapping[str, str], *,
            media_type: str = "application/pdf") -> StoredFile:
        """Upload ``content`` as a new file at ``path`` (folders created as needed,
        never duplicated); resumable/chunked above the connector's threshold."""

    def fetch(self, remote_id: str) -> bytes:
        """The file's current bytes."""

    def get(self, remote_id: str) -> StoredFile | None:
        """The file's current metadata, None when it no longer exists."""

    def start_cursor(self) -> Mapping[str, Any]:
        """A cursor at 'now' for ``changes`` (Drive startPageToken, Graph delta 'latest')."""

    def changes(self, cursor: Mapping[str, Any]) -> Iterator[ChangePage]:
        """Pages of remote changes since ``cursor``; each page carries the cursor
        that resumes after it. A refused/expired cursor raises ``CursorExpired``
        so the engine can fall back to a full check by ``get``."""

    def remove(self, remote_id: str) -> None:
        """Delete the file (used only by an explicit retention purge)."""


class CursorExpired(Exception):
    """The remote refused the change cursor (Graph 410 resyncRequired, Drive 400/404):
    the engine re-checks every archived file by ``get`` and takes a fresh cursor."""
