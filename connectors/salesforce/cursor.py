"""The read cursor: where the record feed and the deletion feed resume (pure, versioned).

``{"v": 1, "ts": "2026-03-02T09:00:00.000Z", "id": "001...", "del": "2026-03-02T09:00:00Z"}``

- ``ts``/``id``: the last ``(SystemModstamp, Id)`` read. ``SystemModstamp``
  is not unique, so the next read asks for
  ``SystemModstamp > ts OR (SystemModstamp = ts AND Id > id)`` ordered by
  both -- neither losing nor repeating records at a tie. A cursor is capped
  at the read's start minus the lag window (``id`` then empty: everything at
  or after ``ts`` is read again), so a record that commits late with an older
  stamp is still read; re-reads are skipped by the engine through the version.
- ``del``: where the next ``getDeleted`` window starts (a whole minute: the
  API ignores seconds). The first read sets it to its own start, on its first
  page, so a first read cut short still has its deletions reported later.
- ``del_gap``: set when ``getDeleted`` refused a window as too old
  (``INVALID_REPLICATION_DATE``): deletions before ``del`` were not reported
  and are left to the engine's periodic full id sweep.

A cursor of another format version, or one that does not parse, is not
trusted: the read starts over (a full read is always safe to repeat).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from connectors.base import ConfigError

VERSION = 1
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


@dataclass(frozen=True)
class ReadCursor:
    ts: datetime | None = None
    id: str = ""
    deleted_since: datetime | None = None
    gap: str | None = None

    @classmethod
    def decode(cls, raw: Mapping[str, Any] | None) -> ReadCursor:
        if not raw or raw.get("v") != VERSION:
            return cls()
        record_id = str(raw.get("id") or "")
        try:
            return cls(ts=parse_instant(raw.get("ts")),
                       id=record_id if RECORD_ID.match(record_id) else "",
                       deleted_since=parse_instant(raw.get("del")), gap=raw.get("del_gap"))
        except ValueError:
            return cls()

    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": VERSION, "ts": soql_instant(self.ts) if self.ts else None,
                               "id": self.id}
        if self.deleted_since is not None:
            out["del"] = self.deleted_since.isoformat()
        if self.gap:
            out["del_gap"] = self.gap
        return out

    def after(self, ts: datetime, record_id: str, cap: datetime) -> ReadCursor:
        """The cursor past ``(ts, record_id)``, but never later than ``cap``."""
        if ts >= cap:
            return replace(self, ts=cap, id="")
        return replace(self, ts=ts, id=record_id)


def changes_query(object_name: str, fields: Sequence[str], cursor: ReadCursor) -> str:
    """The SOQL for records changed after ``cursor``, in cursor order."""
    select = ", ".join(select_list(fields))
    soql = f"SELECT {select} FROM {checked_name(object_name)}"
    if cursor.ts is not None:
        ts = soql_instant(cursor.ts)
        if cursor.id:
            soql += (f" WHERE SystemModstamp > {ts} OR (SystemModstamp = {ts} "
                     f"AND Id > '{cursor.id}')")
        else:
            soql += f" WHERE SystemModstamp >= {ts}"
    return soql + " ORDER BY SystemModstamp, Id"


def select_list(fields: Sequence[str]) -> list[str]:
    """``Id``, ``SystemModstamp`` and ``fields``, each once (names are case-insensitive)."""
    out: dict[str, str] = {}
    for name in ("Id", "SystemModstamp", *fields):
        out.setdefault(checked_name(name).lower(), name)
    return list(out.values())


def checked_name(name: str) -> str:
    """An object or field name fit to go into SOQL or a URL (``Name``, ``Owner.Name``)."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(f"salesforce: {name!r} is not an object or field name")
    return name


def parse_instant(text: Any) -> datetime | None:
    """A Salesforce date-time (``...000+0000``), or ISO 8601, as aware UTC."""
    if not text:
        return None
    value = str(text).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def soql_instant(value: datetime) -> str:
    """A SOQL date-time literal in UTC with milliseconds: ``2026-03-02T09:00:00.000Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def whole_minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)
