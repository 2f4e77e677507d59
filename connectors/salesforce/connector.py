"""``SalesforceConnector``: the connector protocol over the Salesforce REST API.

Reads follow ``(SystemModstamp, Id)`` with an overlap window (see
``cursor``), then ask ``getDeleted`` for the deletions since the last check.
Writes go through sObject Collections (see ``writes``). The full id sweep
(``sweep_ids``) reads every page of ``SELECT Id FROM T`` and raises on any
failure or short count, so it is never a partial set.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from connectors.base import (
    CallCounter,
    ConfigError,
    Deletion,
    FieldSpec,
    FieldType,
    ObjectSpec,
    Page,
    RemoteRecord,
    RetryLater,
    WriteOp,
    WriteResult,
)
from connectors.salesforce.client import SalesforceApi
from connectors.salesforce.cursor import VERSION as CURSOR_VERSION
from connectors.salesforce.cursor import (
    ReadCursor,
    changes_query,
    checked_name,
    parse_instant,
    select_list,
    whole_minute,
)
from connectors.salesforce.errors import SYSTEM, Refused
from connectors.salesforce.settings import SalesforceSettings, parse_settings
from connectors.salesforce.writes import BATCH_MAX, CollectionWriter
from core.clock import Clock, SystemClock

log = logging.getLogger(__name__)

FIELD_TYPES: dict[str, FieldType] = {
    "string": "string", "email": "string", "phone": "string", "url": "string",
    "encryptedstring": "string", "combobox": "string", "textarea": "text",
    "picklist": "enum", "multipicklist": "enum", "date": "date", "datetime": "datetime",
    "double": "number", "currency": "number", "percent": "number", "int": "integer",
    "long": "integer", "boolean": "boolean", "reference": "reference", "id": "id",
}


class SalesforceConnector:
    """Salesforce through simple-salesforce; settings in the package docstring."""

    batch_max = BATCH_MAX

    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Clock | None = None,
                 api: SalesforceApi | None = None) -> None:
        self.name = name
        self.settings: SalesforceSettings = parse_settings(name, settings)
        self.clock = clock or SystemClock()
        self.api = api or SalesforceApi(self.settings, self.clock)
        self.page_size = self.settings.page_size
        self.lag = timedelta(seconds=self.settings.lag_seconds)
        self.writer = CollectionWriter(self.api, self.clock)
        self._specs: dict[str, ObjectSpec] = {}

    @property
    def calls(self) -> CallCounter:
        return self.api.calls

    def check(self) -> None:
        """Log in and make one cheap call (the org's limits)."""
        self.api.restful("check", "limits/", what="the limits check")

    def describe(self, object_name: str) -> ObjectSpec:
        if object_name not in self._specs:
            try:
                answer = self.api.restful("describe",
                                          f"sobjects/{checked_name(object_name)}/describe/",
                                          what=f"describing {object_name}")
            except (ConfigError, Refused):
                raise ConfigError(f"{SYSTEM} connection {self.name!r}: no object "
                                  f"{object_name!r} (or the integration user cannot see "
                                  "it)") from None
            self._specs[object_name] = object_spec(object_name, answer)
        return self._specs[object_name]

    # -- reading ---------------------------------------------------------------
    def read_changes(self, object_name: str, cursor: Mapping[str, Any] | None,
                     fields: Sequence[str]) -> Iterator[Page]:
        state = ReadCursor.decode(cursor)
        if cursor and (cursor.get("v") != CURSOR_VERSION or state == ReadCursor()):
            log.warning("salesforce %s: cursor %r is not a usable version-%d cursor; "
                        "reading %s in full", self.name, cursor, CURSOR_VERSION, object_name)
        start = self.clock.now()
        cap = start - self.lag
        fresh = state.deleted_since is None
        if fresh:  # deletions count from this read's start, saved with its first page
            state = replace(state, deleted_since=whole_minute(start))
        soql = changes_query(object_name, select_list(fields), state)
        yielded = False
        for page in self._query(soql, "query", f"reading {object_name}"):
            records = [remote_record(raw, fields) for raw in page["records"]]
            for i in range(0, len(records), self.page_size):
                chunk = records[i:i + self.page_size]
                last = chunk[-1]
                assert last.modified is not None
                state = state.after(last.modified, last.id, cap)
                yielded = True
                yield Page(tuple(chunk), state.encode())
        if not fresh:
            yield from self._deletions(object_name, state, start)
        elif not yielded:
            yield Page((), state.encode())

    def _deletions(self, object_name: str, state: ReadCursor, start: datetime
                   ) -> Iterator[Page]:
        """The deletion feed since ``state.deleted_since``, as one page (or none)."""
        assert state.deleted_since is not None
        since, until = whole_minute(state.deleted_since), whole_minute(start)
        if until <= since:
            return  # getDeleted counts whole minutes: nothing new to ask for yet
        try:
            answer = self.api.restful(
                "deleted", f"sobjects/{checked_name(object_name)}/deleted/",
                params={"start": since.isoformat(), "end": until.isoformat()},
                what=f"getDeleted for {object_name}")
        except Refused as exc:
            if exc.code != "INVALID_REPLICATION_DATE":
                raise
            log.warning("salesforce %s: getDeleted cannot reach back to %s (%s); deletions "
                        "before %s are left to the full id sweep", self.name, since.isoformat(),
                        exc.message, until.isoformat())
            yield Page((), replace(state, deleted_since=until, gap=since.isoformat()).encode())
            return
        if not isinstance(answer, Mapping):
            raise RetryLater(f"{SYSTEM}: getDeleted for {object_name} answered no object")
        deletions = tuple(Deletion(str(d["id"]), parse_instant(d.get("deletedDate")))
                          for d in answer.get("deletedRecords") or () if d.get("id"))
        covered = parse_instant(answer.get("latestDateCovered")) or since
        next_since = max(since, min(whole_minute(covered), until))
        yield Page((), replace(state, deleted_since=next_since).encode(), deletions)

    def _query(self, soql: str, kind: str, what: str) -> Iterator[dict[str, Any]]:
        try:
            yield from self.api.query_pages(soql, kind, what=what)
        except Refused as exc:
            raise ConfigError(f"{SYSTEM} connection {self.name!r}: {what} was refused "
                              f"({exc.code}: {exc.message})") from None

    # -- writing ---------------------------------------------------------------
    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        return self.writer.write(object_name, key_field, batch)

    def sweep_ids(self, object_name: str) -> frozenset[str]:
        ids: set[str] = set()
        expected = None
        for page in self._query(f"SELECT Id FROM {checked_name(object_name)}", "sweep",
                                f"the id sweep of {object_name}"):
            if expected is None:
                expected = page.get("totalSize")
            ids.update(str(r["Id"]) for r in page["records"] if r.get("Id"))
        if isinstance(expected, int) and len(ids) != expected:
            raise RetryLater(f"{SYSTEM}: the id sweep of {object_name} found {len(ids)} of "
                             f"{expected} records; not using a partial sweep")
        return frozenset(ids)


def remote_record(raw: Mapping[str, Any], fields: Sequence[str]) -> RemoteRecord:
    """A query row as a ``RemoteRecord``; the version is the stamp plus a digest of the
    values, so two edits within one stamp still differ."""
    by_lower = {k.lower(): v for k, v in raw.items() if k != "attributes"}
    values = {n: by_lower.get(n.lower()) for n in fields}
    stamp = str(by_lower.get("systemmodstamp") or "")
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode())
    modified = parse_instant(stamp)
    if modified is None:
        raise RetryLater(f"{SYSTEM}: a record without SystemModstamp in a query answer")
    return RemoteRecord(str(by_lower["id"]), f"{stamp}#{digest.hexdigest()[:12]}", values,
                        modified)


def object_spec(object_name: str, answer: Any) -> ObjectSpec:
    if not isinstance(answer, Mapping) or not isinstance(answer.get("fields"), list):
        raise RetryLater(f"{SYSTEM}: the describe answer for {object_name} has no fields")
    specs: dict[str, FieldSpec] = {}
    for f in answer["fields"]:
        ftype = FIELD_TYPES.get(str(f.get("type")), "string")
        choices = tuple(str(p["value"]) for p in f.get("picklistValues") or ()
                        if p.get("active", True)) if ftype == "enum" else ()
        specs[f["name"]] = FieldSpec(
            name=f["name"], type=ftype,
            writable=bool(f.get("createable") or f.get("updateable")),
            external_id=bool(f.get("externalId")), choices=choices, label=f.get("label"))
    return ObjectSpec(str(answer.get("name") or object_name), specs)
