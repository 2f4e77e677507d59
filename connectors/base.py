"""The connector protocol: what the sync engine asks of every external system.

A connector is a small object with five methods. It reads pages of remote
changes and writes batches; it never owns cursors (the engine commits them
with the data) and never decides conflicts. Records, pages and results are
plain frozen dataclasses. Errors are grouped by what the engine does next::

    ConnectorError            (user_message for people, detail for the log)
     +-- RetryLater           transient (5xx, timeout): retry the call later
     |    +-- RateLimited     429 / limit answers, with retry_after seconds
     +-- SkipRecord           this record only: dead-letter it, go on
     +-- StopSync             auth refused, budget spent: stop, tell an admin
     +-- ConfigError          the config or mapping is wrong: fix it first

Connectors are found by name through the entry-point group
``contracthub.connectors``; the entry point names a factory called as
``factory(name=..., settings=..., clock=...)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

FieldType = Literal[
    "string", "text", "integer", "number", "boolean", "date", "datetime", "reference", "enum", "id",
    "json"
]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType = "string"
    writable: bool = True
    external_id: bool = False
    choices: tuple[str, ...] = ()
    label: str | None = None


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    fields: Mapping[str, FieldSpec]

    def field(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)


@dataclass(frozen=True)
class RemoteRecord:
    """One remote record as read. ``version`` changes on every write to it."""

    id: str
    version: str
    fields: Mapping[str, Any]
    modified: datetime | None = None


@dataclass(frozen=True)
class Deletion:
    id: str
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """A page of changes and the cursor that resumes after it.

    The engine applies ``records`` and ``deletions`` and stores ``cursor`` in
    one transaction. ``cursor`` is opaque JSON-serialisable data owned by the
    connector's format (it carries its own ``v`` version key).
    """

    records: tuple[RemoteRecord, ...]
    cursor: Mapping[str, Any]
    deletions: tuple[Deletion, ...] = ()


@dataclass(frozen=True)
class WriteOp:
    """One record to write. ``key`` is the store's id, written to the upsert
    key field so a retried write updates instead of creating a duplicate."""

    key: str
    fields: Mapping[str, Any]
    remote_id: str | None = None
    base_version: str | None = None
    op: Literal["upsert", "delete"] = "upsert"


REMOTE_DELETED = "REMOTE_DELETED"
"""The ``RecordError.code`` for a write to a ``remote_id`` that no longer exists.

A write that names a ``remote_id`` updates that record only; it must never
re-create it (an upsert by key would resurrect a record someone deleted).
The engine treats this answer as a remote deletion, handled per mapping."""
MULTIPLE_MATCHES = "MULTIPLE_MATCHES"
"""The ``RecordError.code`` when the upsert key matches several remote records."""


@dataclass(frozen=True)
class RecordError:
    code: str
    message: str
    fields: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    retryable: bool = False


@dataclass(frozen=True)
class WriteResult:
    key: str
    remote_id: str | None = None
    version: str | None = None
    created: bool = False
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ConnectorError(Exception):
    """Base of every connector error: a message for people, details for the log."""

    def __init__(self, user_message: str, *, detail: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.detail = detail or user_message


class RetryLater(ConnectorError):
    """A transient failure: the same call may succeed later."""


class RateLimited(RetryLater):
    def __init__(self, user_message: str, *, retry_after: float | None = None,
                 detail: str | None = None) -> None:
        super().__init__(user_message, detail=detail)
        self.retry_after = retry_after


class SkipRecord(ConnectorError):
    """This one record cannot be processed; the rest can."""


class StopSync(ConnectorError):
    """Nothing more can be done until a person acts (credentials, budget)."""


class ConfigError(ConnectorError):
    """The connection settings or the mapping are wrong."""


@runtime_checkable
class Connector(Protocol):
    name: str
    batch_max: int
    """The most records one ``write`` call may carry (the API's batch limit)."""

    def check(self) -> None:
        """Verify credentials and reachability; raises ``ConnectorError``."""

    def describe(self, object_name: str) -> ObjectSpec:
        """The remote object's fields; raises ``ConfigError`` for an unknown object."""

    def read_changes(
        self, object_name: str, cursor: Mapping[str, Any] | None, fields: Sequence[str]
    ) -> Iterator[Page]:
        """Pages of records changed since ``cursor`` (``None``: everything).

        Raises ``RetryLater``/``RateLimited``/``StopSync``; a page already
        yielded stays valid.
        """

    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        """Write at most ``batch_max`` records; one result per op, in order.

        Per-record failures come back as results with ``error``; whole-call
        failures raise.
        """

    def sweep_ids(self, object_name: str) -> frozenset[str]:
        """Every live remote id, for deletion detection.

        Must raise rather than return a partial set: a partial sweep is never
        evidence of deletion.
        """


def connector_factories() -> dict[str, Any]:
    """Connector factories registered under the ``contracthub.connectors`` group."""
    return {ep.name: ep for ep in entry_points(group="contracthub.connectors")}


def load_connector(type_name: str, *, name: str, settings: Mapping[str, Any], clock: Any) -> Connector:
    eps = connector_factories()
    if type_name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise ConfigError(f"unknown connection type {type_name!r} (known: {known})")
    factory = eps[type_name].load()
    return factory(name=name, settings=settings, clock=clock)


@dataclass
class CallCounter:
    """Counts API calls by kind; every connector exposes one as ``calls``."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())
