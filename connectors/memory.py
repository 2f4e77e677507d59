"""An in-memory remote system that behaves like a real one.

With ``path:`` in its settings the remote lives in a JSON file, so separate
``contracthub`` runs (and a person editing that file) see one system. It is
what the engine's tests run against and the reference connector for
the conformance suite: its own ids, a version stamp that changes on every
write (the hub's own included), modification times from the shared clock
(so many records can share one), deletions, upsert by an external-id field
(several matches are refused with the candidates), optional per-record
rejections, injected failures, and a count of every API call.

Reads use a ``(modified, id)`` cursor -- ``modified > t OR (modified = t AND
id > i)`` -- capped at ``now - lag`` so a record that becomes visible late
with an older timestamp is still read (re-reads are harmless: the engine
skips a record whose version it already has).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import (
    MULTIPLE_MATCHES,
    REMOTE_DELETED,
    CallCounter,
    ConfigError,
    FieldSpec,
    ObjectSpec,
    Page,
    RecordError,
    RemoteRecord,
    RetryLater,
    WriteOp,
    WriteResult,
)
from core.clock import Clock, SystemClock

CURSOR_VERSION = 1
DEFAULT_OBJECTS: dict[str, dict[str, FieldSpec]] = {
    "Account": {f.name: f for f in (
        FieldSpec("Name"), FieldSpec("Domain__c"), FieldSpec("BillingCity"),
        FieldSpec("BillingCountry"), FieldSpec("OwnerName"),
        FieldSpec("ContractHub_Id__c", external_id=True), FieldSpec("Support_Tier__c"),
        FieldSpec("Contract_Status__c"), FieldSpec("Renewal_Date__c", "date"),
        FieldSpec("Entitlement_Summary__c", "text"))},
    "Contract": {f.name: f for f in (
        FieldSpec("ContractNumber"), FieldSpec("AccountId", "reference"),
        FieldSpec("Status", "enum", choices=("Draft", "Activated", "Expired", "Terminated")),
        FieldSpec("StartDate", "date"), FieldSpec("EndDate", "date"),
        FieldSpec("Tier__c"), FieldSpec("Value__c", "number"), FieldSpec("Description", "text"),
        FieldSpec("ContractHub_Id__c", external_id=True))},
    "Issue": {f.name: f for f in (
        FieldSpec("Key", writable=False), FieldSpec("Summary", "text"),
        FieldSpec("ReporterDomain", writable=False), FieldSpec("Severity", "string"),
        FieldSpec("Created", "datetime", writable=False), FieldSpec("Resolved", "datetime"),
        FieldSpec("Tier"), FieldSpec("ResponseDue", "datetime"),
        FieldSpec("ResolutionDue", "datetime"), FieldSpec("Breached", "boolean"),
        FieldSpec("ContractNumber"))},
}


@dataclass
class _Row:
    id: str
    fields: dict[str, Any]
    version: int
    modified: datetime


@dataclass
class MemoryRemote:
    """The remote system's state, shared by every connector instance pointing at it."""

    clock: Clock = field(default_factory=SystemClock)
    objects: dict[str, dict[str, FieldSpec]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_OBJECTS.items()})
    rows: dict[str, dict[str, _Row]] = field(default_factory=dict)
    deleted: dict[str, dict[str, datetime]] = field(default_factory=dict)
    calls: CallCounter = field(default_factory=CallCounter)
    reject: Callable[[str, Mapping[str, Any]], str | None] | None = None
    failures: list[tuple[str, Exception]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _versions: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- what a person (or a test) does on the remote side -------------------
    def create(self, obj: str, fields: Mapping[str, Any], *,
               modified: datetime | None = None) -> str:
        with self._lock:
            rid = f"{obj[:3].upper()}{next(self._ids):06d}"
            self.rows.setdefault(obj, {})[rid] = _Row(rid, dict(fields), next(self._versions),
                                                      modified or self.clock.now())
            return rid

    def edit(self, obj: str, rid: str, *, modified: datetime | None = None, **fields: Any) -> None:
        with self._lock:
            row = self.rows[obj][rid]
            row.fields.update(fields)
            row.version = next(self._versions)
            row.modified = modified or self.clock.now()

    def delete(self, obj: str, rid: str) -> None:
        with self._lock:
            self.rows[obj].pop(rid)
            self.deleted.setdefault(obj, {})[rid] = self.clock.now()

    def get(self, obj: str, rid: str) -> dict[str, Any]:
        return dict(self.rows[obj][rid].fields)

    def all(self, obj: str) -> dict[str, dict[str, Any]]:
        return {rid: dict(r.fields) for rid, r in self.rows.get(obj, {}).items()}

    def fail_next(self, kind: str, exc: Exception) -> None:
        """The next call of ``kind`` (read, write, sweep) raises ``exc``."""
        self.failures.append((kind, exc))

    def _maybe_fail(self, kind: str) -> None:
        for i, (k, exc) in enumerate(self.failures):
            if k == kind:
                del self.failures[i]
                raise exc


    # -- a file-backed remote, so separate CLI runs see one system ------------
    def to_json(self) -> dict[str, Any]:
        return {
            "rows": {obj: {rid: {"fields": r.fields, "version": r.version,
                                 "modified": r.modified.isoformat()}
                           for rid, r in rows.items()} for obj, rows in self.rows.items()},
            "deleted": {obj: {rid: t.isoformat() for rid, t in d.items()}
                        for obj, d in self.deleted.items()},
            "next_id": next(self._ids), "next_version": next(self._versions),
            "calls": self.calls.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any], clock: Clock) -> MemoryRemote:
        remote = cls(clock)
        for obj, rows in data.get("rows", {}).items():
            remote.rows[obj] = {rid: _Row(rid, r["fields"], r["version"],
                                          datetime.fromisoformat(r["modified"]))
                                for rid, r in rows.items()}
        for obj, d in data.get("deleted", {}).items():
            remote.deleted[obj] = {rid: datetime.fromisoformat(t) for rid, t in d.items()}
        remote._ids = itertools.count(data.get("next_id", 1))
        remote._versions = itertools.count(data.get("next_version", 1))
        remote.calls.counts.update(data.get("calls", {}))
        return remote

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, default=str), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, clock: Clock) -> MemoryRemote:
        if not path.exists():
            return cls(clock)
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")), clock)


_REMOTES: dict[str, MemoryRemote] = {}


def register_remote(name: str, remote: MemoryRemote) -> MemoryRemote:
    """Make a remote reachable from config: ``{type: memory, remote: NAME}``."""
    _REMOTES[name] = remote
    return remote


class MemoryConnector:
    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Clock | None = None,
                 remote: MemoryRemote | None = None) -> None:
        self.name = name
        self.path: Path | None = None
        if remote is None and settings.get("path"):
            self.path = Path(settings["_config_folder"] if "_config_folder" in settings
                             else ".") / settings["path"]
            remote = MemoryRemote.load(self.path, clock or SystemClock())
        if remote is None:
            key = settings.get("remote", name)
            remote = _REMOTES.get(key) or register_remote(key, MemoryRemote(clock or SystemClock()))
        self.remote = remote
        self.clock = clock or remote.clock
        self.batch_max = int(settings.get("batch_max", 200))
        self.page_size = int(settings.get("page_size", 100))
        self.lag = timedelta(seconds=float(settings.get("lag_seconds", 60)))

    @property
    def calls(self) -> CallCounter:
        return self.remote.calls

    def check(self) -> None:
        self.remote.calls.add("check")

    def describe(self, object_name: str) -> ObjectSpec:
        self.remote.calls.add("describe")
        if object_name not in self.remote.objects:
            raise ConfigError(f"{self.name}: no object {object_name!r} "
                              f"(known: {', '.join(sorted(self.remote.objects))})")
        return ObjectSpec(object_name, dict(self.remote.objects[object_name]))

    def read_changes(self, object_name: str, cursor: Mapping[str, Any] | None,
                     fields: Sequence[str]) -> Iterator[Page]:
        after = _decode(cursor)
        cap = (self.clock.now() - self.lag, "")
        while True:
            with self.remote._lock:
                self.remote.calls.add("read")
                self.remote._maybe_fail("read")
                rows = sorted(((r.modified, r.id), r)
                              for r in self.remote.rows.get(object_name, {}).values())
                page = [r for key, r in rows if after is None or key > after][: self.page_size]
                records = tuple(RemoteRecord(r.id, str(r.version),
                                             {f: r.fields.get(f) for f in fields}, r.modified)
                                for r in page)
            if not page:
                return
            last = (page[-1].modified, page[-1].id)
            yield Page(records, _encode(min(last, cap)))
            if len(page) < self.page_size:
                return
            after = last

    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        if len(batch) > self.batch_max:
            raise ValueError(f"batch of {len(batch)} exceeds batch_max {self.batch_max}")
        with self.remote._lock:
            self.remote.calls.add("write")
            self.remote._maybe_fail("write")
            results = [self._write_one(object_name, key_field, op) for op in batch]
            if self.path is not None:
                self.remote.save(self.path)
            return results

    def _write_one(self, obj: str, key_field: str | None, op: WriteOp) -> WriteResult:
        rows = self.remote.rows.setdefault(obj, {})
        if op.op == "delete":
            if op.remote_id in rows:
                self.remote.delete(obj, op.remote_id)
            return WriteResult(op.key, op.remote_id)
        unknown = [f for f in op.fields if f not in self.remote.objects[obj]]
        if unknown:
            return WriteResult(op.key, error=RecordError(
                "INVALID_FIELD", f"no such field: {', '.join(unknown)}", tuple(unknown)))
        if self.remote.reject:
            why = self.remote.reject(obj, op.fields)
            if why:
                return WriteResult(op.key, error=RecordError("REJECTED", why))
        if op.remote_id is not None and op.remote_id not in rows:
            return WriteResult(op.key, error=RecordError(
                REMOTE_DELETED, f"{obj} {op.remote_id} does not exist (deleted)"))
        target = op.remote_id
        if target is None and key_field:
            matches = sorted(r.id for r in rows.values() if r.fields.get(key_field) == op.key)
            if len(matches) > 1:
                return WriteResult(op.key, error=RecordError(
                    MULTIPLE_MATCHES, f"{len(matches)} records have {key_field}={op.key}",
                    (key_field,), tuple(matches)))
            target = matches[0] if matches else None
        fields = dict(op.fields)
        if key_field:
            fields[key_field] = op.key
        if target is None:
            rid = self.remote.create(obj, fields)
            return WriteResult(op.key, rid, str(rows[rid].version), created=True)
        self.remote.edit(obj, target, **fields)
        return WriteResult(op.key, target, str(rows[target].version))

    def sweep_ids(self, object_name: str) -> frozenset[str]:
        with self.remote._lock:
            self.remote.calls.add("sweep")
            self.remote._maybe_fail("sweep")
            return frozenset(self.remote.rows.get(object_name, {}))


def _encode(after: tuple[datetime, str]) -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "ts": after[0].isoformat(), "id": after[1]}


def _decode(cursor: Mapping[str, Any] | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    if cursor.get("v") != CURSOR_VERSION:
        raise RetryLater(f"cursor version {cursor.get('v')} is not {CURSOR_VERSION}; "
                         "a full read is needed")
    return (datetime.fromisoformat(cursor["ts"]), cursor["id"])
