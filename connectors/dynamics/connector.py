"""``DynamicsConnector``: the connector protocol over the Dataverse Web API.

Reads follow Dataverse change tracking (see ``cursor``): the first read asks
for every row with ``Prefer: odata.track-changes`` and ends with a delta link;
later reads follow that link and get the rows changed since plus
``$deletedEntity`` rows for deletions. A link Dataverse refuses (an expired
or unknown token: any 4xx) starts a full read over -- never a gap: the full
read returns every live row, and rows deleted while the token was dead are
found by the engine's periodic id sweep (``sweep_ids``), which reads every
page of ``{set}?$select=<id>`` and raises rather than return a partial set.
Writes go as one ``$batch`` of independent requests per call (see ``writes``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    CallCounter,
    ConfigError,
    Deletion,
    ObjectSpec,
    Page,
    RemoteRecord,
    RetryLater,
    WriteOp,
    WriteResult,
)
from connectors.dynamics.api import DataverseApi
from connectors.dynamics.cursor import ReadCursor
from connectors.dynamics.errors import SYSTEM, Refused
from connectors.dynamics.metadata import (
    TableInfo,
    checked_name,
    field_specs,
    lookups,
    option_values,
)
from connectors.dynamics.settings import DynamicsSettings, parse_settings
from connectors.dynamics.writes import BATCH_MAX, RecordWriter
from core.clock import Clock, SystemClock

log = logging.getLogger(__name__)
DELETED = "$deletedEntity"


class DynamicsConnector:
    """Dynamics 365 (Dataverse); settings in the package docstring."""

    batch_max = BATCH_MAX

    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Clock | None = None,
                 api: DataverseApi | None = None) -> None:
        self.name = name
        self.settings: DynamicsSettings = parse_settings(name, settings)
        self.clock = clock or SystemClock()
        self.api = api or DataverseApi(self.settings, self.clock)
        self.page_size = self.settings.page_size
        self.writer = RecordWriter(self.api)
        self._tables: dict[str, TableInfo] = {}
        self._definitions: dict[str, tuple[str, str]] = {}  # logical -> (set, primary id)

    @property
    def calls(self) -> CallCounter:
        return self.api.calls

    def check(self) -> None:
        """Sign in and make one cheap call (``WhoAmI``)."""
        self.api.get_json("check", "WhoAmI", "the WhoAmI check")

    # -- metadata --------------------------------------------------------------
    def _definition(self, logical: str) -> tuple[str, str]:
        """(entity set name, primary id column) of a table."""
        if logical not in self._definitions:
            try:
                body = self.api.get_json("describe", f"EntityDefinitions(LogicalName="
                                         f"'{checked_name(logical)}')", f"describing {logical}",
                                         params={"$select": "LogicalName,EntitySetName,"
                                                 "PrimaryIdAttribute"})
            except Refused:
                raise ConfigError(f"{SYSTEM} connection {self.name!r}: no table {logical!r} "
                                  "(or the application user cannot see it); name tables by "
                                  "their logical name, e.g. account") from None
            self._definitions[logical] = (str(body.get("EntitySetName")),
                                          str(body.get("PrimaryIdAttribute")))
        return self._definitions[logical]

    def table(self, logical: str) -> TableInfo:
        if logical not in self._tables:
            entity_set, primary_id = self._definition(logical)
            base = f"EntityDefinitions(LogicalName='{logical}')"
            attributes = self.api.get_json("describe", f"{base}/Attributes",
                                           f"the columns of {logical}")
            keys = self.api.get_json("describe", f"{base}/Keys", f"the keys of {logical}")
            rels = self.api.get_json("describe", f"{base}/ManyToOneRelationships",
                                     f"the lookups of {logical}")
            targets = {str(r.get("ReferencedEntity")) for r in rels.get("value") or ()}
            sets = {t: self._definition(t)[0] for t in targets}
            picklists = self.api.get_json(
                "describe", f"{base}/Attributes/Microsoft.Dynamics.CRM."
                "PicklistAttributeMetadata", f"the choices of {logical}",
                params={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"})
            specs = field_specs(list(attributes.get("value") or ()),
                                list(keys.get("value") or ()), option_values(picklists))
            self._tables[logical] = TableInfo(
                logical, entity_set, primary_id, ObjectSpec(logical, specs),
                lookups(list(rels.get("value") or ()), sets))
        return self._tables[logical]

    def describe(self, object_name: str) -> ObjectSpec:
        return self.table(object_name).spec

    # -- reading ---------------------------------------------------------------
    def _select(self, table: TableInfo, fields: Sequence[str]) -> str:
        names = dict.fromkeys([table.primary_id, "modifiedon", *fields])
        for n in names:
            if table.spec.field(checked_name(n, "column")) is None:
                raise ConfigError(f"{SYSTEM} connection {self.name!r}: {table.logical_name} "
                                  f"has no column {n!r}")
        return ",".join(names)

    def read_changes(self, object_name: str, cursor: Mapping[str, Any] | None,
                     fields: Sequence[str]) -> Iterator[Page]:
        table = self.table(object_name)
        select = self._select(table, fields)
        resume = ReadCursor.decode(cursor, self.settings.api_url, select)
        if cursor and resume is None:
            log.warning("dynamics %s: cursor for %s is not usable here; reading it in full",
                        self.name, object_name)
        try:
            yield from self._pages(table, fields, select, resume)
        except Refused as exc:
            if resume is None:
                raise ConfigError(f"{SYSTEM} connection {self.name!r}: reading "
                                  f"{object_name} was refused ({exc.code}: {exc.message})"
                                  ) from None
            log.warning("dynamics %s: Dataverse refused the %s link for %s (%s: %s); reading "
                        "it in full", self.name, resume.kind, object_name, exc.code,
                        exc.message)
            yield from self._pages(table, fields, select, None)

    def _pages(self, table: TableInfo, fields: Sequence[str], select: str,
               resume: ReadCursor | None) -> Iterator[Page]:
        prefer = f"odata.maxpagesize={self.page_size}"
        if resume is None:
            link, params = table.entity_set, {"$select": select}
            prefer += ",odata.track-changes"
        else:
            link, params = resume.link, None
        seen: set[str] = set()
        while True:
            try:
                body = self.api.get_json("read", link, f"reading {table.logical_name}",
                                         params=params, headers={"Prefer": prefer})
            except Refused as exc:
                if not seen:
                    raise
                # a page link refused mid-read (an expired paging cookie): the engine
                # retries from the last committed cursor, whose link is refused too, and
                # the read starts over in full from there
                raise RetryLater(f"{SYSTEM}: Dataverse refused the next page of "
                                 f"{table.logical_name} ({exc.code}); reading again") from None
            records, deletions = _rows(table, body, fields)
            next_link, delta = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
            if next_link:
                cursor = ReadCursor("next", self.api.url(str(next_link)), select)
            elif delta:
                cursor = ReadCursor("delta", self.api.url(str(delta)), select)
            else:
                raise RetryLater(f"{SYSTEM}: a tracked read of {table.logical_name} ended "
                                 "without a delta link")
            yield Page(tuple(records), cursor.encode(), tuple(deletions))
            if not next_link:
                return
            if next_link in seen:
                raise RetryLater(f"{SYSTEM}: reading {table.logical_name} repeated a page "
                                 "link; reading again from the last cursor")
            seen.add(str(next_link))
            link, params = str(next_link), None

    # -- writing and sweeping ------------------------------------------------------
    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        return self.writer.write(self.table(object_name), key_field, batch)

    def sweep_ids(self, object_name: str) -> frozenset[str]:
        table = self.table(object_name)
        ids: set[str] = set()
        link: str = table.entity_set
        params: dict[str, str] | None = {"$select": table.primary_id}
        while True:
            body = self.api.get_json("sweep", link, f"the id sweep of {object_name}",
                                     params=params,
                                     headers={"Prefer": "odata.maxpagesize=5000"})
            value = body.get("value")
            if not isinstance(value, list):
                raise RetryLater(f"{SYSTEM}: the id sweep of {object_name} got a page "
                                 "without rows; not using a partial sweep")
            ids.update(str(r[table.primary_id]) for r in value if r.get(table.primary_id))
            if not body.get("@odata.nextLink"):
                return frozenset(ids)
            link, params = str(body["@odata.nextLink"]), None


def _rows(table: TableInfo, body: Mapping[str, Any], fields: Sequence[str]
          ) -> tuple[list[RemoteRecord], list[Deletion]]:
    value = body.get("value")
    if not isinstance(value, list):
        raise RetryLater(f"{SYSTEM}: a page of {table.logical_name} has no value list")
    records, deletions = [], []
    for row in value:
        if DELETED in str(row.get("@odata.context") or ""):
            if row.get("id"):
                deletions.append(Deletion(str(row["id"])))
            continue
        rid, version = row.get(table.primary_id), row.get("@odata.etag")
        if not rid or not version:
            raise RetryLater(f"{SYSTEM}: a {table.logical_name} row without id or etag")
        records.append(RemoteRecord(str(rid), str(version), {f: row.get(f) for f in fields},
                                    _instant(row.get("modifiedon"))))
    return records, deletions


def _instant(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
