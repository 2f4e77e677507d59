"""Rows in memory, one org-wide row version counter, and the change log.

Every create or update stamps the row with the next ``versionnumber`` (one
counter for the whole org, like SQL ``rowversion``) and ``modifiedon`` from
the clock; the row's ``@odata.etag`` is ``W/"<versionnumber>"``. Deletions
are kept as ``(version, table, id)`` so a delta link can report them as
``$deletedEntity`` rows. Values are held as Python values (``date``,
``datetime``, ``int``, ``Decimal``, ``str``; a lookup holds the target id).

Seeding and inspection (``insert``, ``update``, ``delete``, ``get``, ``all``,
``by_key``) act as a person in the Dynamics UI would: stamped and tracked.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sandbox.dataverse.schema import Table


@dataclass(frozen=True)
class Deleted:
    version: int
    table: str
    id: str


class Store:
    def __init__(self, tables: dict[str, Table], now: Callable[[], datetime]) -> None:
        self.tables = tables
        self.now = now
        self.lock = threading.RLock()
        self.rows: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in tables}
        self.deleted: list[Deleted] = []
        self.version = 1000
        self.tracking_floor = 0
        """Delta tokens at or below this version are refused (``expire_change_tracking``)."""

    def table(self, logical_name: str) -> Table:
        return self.tables[logical_name]

    def by_set(self, entity_set: str) -> Table | None:
        for t in self.tables.values():
            if t.entity_set == entity_set:
                return t
        return None

    def _stamp(self, row: dict[str, Any]) -> None:
        self.version += 1
        row["versionnumber"] = self.version
        row["modifiedon"] = self.now().replace(microsecond=0)

    # -- writes ----------------------------------------------------------------
    def insert(self, logical_name: str, values: Mapping[str, Any], row_id: str | None = None
               ) -> str:
        with self.lock:
            t = self.tables[logical_name]
            rid = row_id or str(uuid.uuid4())
            row = {c: None for c in t.columns}
            row.update(values)
            row[t.primary_id] = rid
            row["createdon"] = self.now().replace(microsecond=0)
            row["ownerid"] = row.get("ownerid") or "5b2e2a1c-0000-4000-8000-00000000a001"
            self._stamp(row)
            self.rows[logical_name][rid] = row
            return rid

    def update(self, logical_name: str, row_id: str, values: Mapping[str, Any]) -> None:
        with self.lock:
            row = self.rows[logical_name][row_id]
            row.update(values)
            self._stamp(row)

    def delete(self, logical_name: str, row_id: str) -> None:
        with self.lock:
            del self.rows[logical_name][row_id]
            self.version += 1
            self.deleted.append(Deleted(self.version, logical_name, row_id))

    # -- reads -----------------------------------------------------------------
    def get(self, logical_name: str, row_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.rows[logical_name].get(row_id)
            return dict(row) if row is not None else None

    def all(self, logical_name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.rows[logical_name].values()]

    def by_key(self, logical_name: str, key: Mapping[str, Any]) -> str | None:
        """The id of the row whose alternate-key columns equal ``key``."""
        with self.lock:
            for rid, row in self.rows[logical_name].items():
                if all(_same(row.get(k), v) for k, v in key.items()):
                    return rid
            return None

    def expire_change_tracking(self) -> None:
        """Every delta token handed out so far is refused from now on."""
        with self.lock:
            self.tracking_floor = self.version


def etag(row: Mapping[str, Any]) -> str:
    return f'W/"{row["versionnumber"]}"'


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value
