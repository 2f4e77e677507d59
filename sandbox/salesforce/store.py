"""The emulator's in-memory records, recycle bin and clock.

Promises:
- records are dicts of typed values keyed by canonical field names, every
  field present (``None`` when empty); ids are 18-character;
- ``CreatedDate``, ``LastModifiedDate`` and ``SystemModstamp`` come from the
  injected clock (millisecond precision), so a frozen clock gives many
  records the same ``SystemModstamp``;
- a deleted record stays, with ``IsDeleted`` true, in the recycle bin until
  purged: ``queryAll`` and ``getDeleted`` see it, ``query`` does not;
- ``transaction()`` restores every change made inside it when it raises.

``insert``/``update``/``delete`` here are for tests seeding and inspecting
state: they skip the API's checks on read-only fields (so a test can set
``SystemModstamp``) but check field names and types. The API's write rules
live in ``sandbox.salesforce.writes``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.salesforce import ids, values
from sandbox.salesforce.schema import ObjectDef, build_schema
from sandbox.server import as_clock

Clock = Callable[[], datetime]
USER_ID = ids.USER_ID
ORG_ID = ids.ORG_ID
RECYCLE_BIN_DAYS = 15


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError("unreachable")


class Store:
    """All records of all objects, guarded by one re-entrant lock."""

    def __init__(
        self,
        schema: Mapping[str, ObjectDef] | None = None,
        clock: Any = None,
    ) -> None:
        self.schema = dict(schema or build_schema())
        self._clock = as_clock(clock)
        self.lock = threading.RLock()
        self._tables: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in self.schema}
        self._deleted_at: dict[str, datetime] = {}
        self._serial = 0
        self._contract_number = 99
        self.purged_through: datetime | None = None
        self._journal: dict[tuple[str, str], tuple[dict | None, datetime | None]] | None = None

    # basics ------------------------------------------------------------
    def now(self) -> datetime:
        """The clock's current instant in UTC, truncated to milliseconds."""
        current = self._clock()
        if current.tzinfo is None:
            raise ValueError("the emulator clock must return timezone-aware datetimes")
        return values.truncate_ms(current)

    def object(self, name: str) -> ObjectDef | None:
        """The object named ``name`` (case-insensitive) or None."""
        for obj_name, obj in self.schema.items():
            if obj_name.lower() == name.lower():
                return obj
        return None

    def _obj(self, name: str) -> ObjectDef:
        obj = self.object(name)
        if obj is None:
            raise KeyError(f"unknown object {name!r}")
        return obj

    def new_id(self, obj: ObjectDef) -> str:
        self._serial += 1
        return ids.make_id(obj.key_prefix, self._serial)

    def next_contract_number(self) -> str:
        self._contract_number += 1
        return f"{self._contract_number:08d}"

    # reading -----------------------------------------------------------
    def raw(self, obj_name: str, record_id: str) -> dict[str, Any] | None:
        """The stored record (live or deleted) itself, not a copy."""
        if not ids.is_valid(record_id):
            return None
        return self._tables[self._obj(obj_name).name].get(ids.to18(record_id))

    def get(self, obj_name: str, record_id: str, include_deleted: bool = False) -> dict | None:
        """A copy of one record, or None (deleted ones only when asked)."""
        with self.lock:
            record = self.raw(obj_name, record_id)
            if record is None or (record["IsDeleted"] and not include_deleted):
                return None
            return dict(record)

    def rows(self, obj_name: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The stored records in creation order (not copies: read only)."""
        table = self._tables[self._obj(obj_name).name]
        return [r for r in table.values() if include_deleted or not r["IsDeleted"]]

    def all(self, obj_name: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Copies of the records in creation order."""
        with self.lock:
            return [dict(r) for r in self.rows(obj_name, include_deleted)]

    def deleted_at(self, record_id: str) -> datetime | None:
        return self._deleted_at.get(ids.to18(record_id)) if ids.is_valid(record_id) else None

    def match_external(self, obj_name: str, field_name: str, value: Any) -> list[str]:
        """Ids of live records whose ``field_name`` equals ``value``
        (text compared case-insensitively, ``Id`` by id)."""
        obj = self._obj(obj_name)
        fdef = obj.field(field_name)
        if fdef is None:
            return []
        if fdef.type == "id":
            record = self.raw(obj.name, str(value))
            return [record["Id"]] if record and not record["IsDeleted"] else []
        wanted = _match_key(value)
        return [
            r["Id"] for r in self.rows(obj.name)
            if r[fdef.name] is not None and _match_key(r[fdef.name]) == wanted
        ]

    # seeding -----------------------------------------------------------
    def _coerce(self, obj: ObjectDef, data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key == "attributes":
                continue
            fdef = obj.field(key)
            if fdef is None:
                raise KeyError(f"No such column '{key}' on sobject of type {obj.name}")
            if isinstance(value, (date, datetime)) and not isinstance(value, str):
                if isinstance(value, datetime):
                    value = values.truncate_ms(value)
                out[fdef.name] = value
            else:
                out[fdef.name] = values.from_json(fdef.type, value)
        return out

    def insert(self, obj_name: str, data: Mapping[str, Any]) -> str:
        """Seed one record; returns its id. Any field may be given."""
        with self.lock:
            obj = self._obj(obj_name)
            given = self._coerce(obj, data)
            return self.create_record(obj, given, honour_system=True)

    def update(self, obj_name: str, record_id: str, data: Mapping[str, Any],
               touch: bool = True) -> None:
        """Change fields of a live record; ``touch`` moves its modstamps to now."""
        with self.lock:
            obj = self._obj(obj_name)
            given = self._coerce(obj, data)
            self.update_record(obj, record_id, given, touch=touch)

    def delete(self, obj_name: str, record_id: str) -> None:
        """Move a live record to the recycle bin."""
        with self.lock:
            self.delete_record(self._obj(obj_name), record_id)

    # the primitive writes (no API checks) ------------------------------
    def _remember(self, obj_name: str, record_id: str) -> None:
        """Inside a transaction, keep a record's state before its first change."""
        if self._journal is None or (obj_name, record_id) in self._journal:
            return
        record = self._tables[obj_name].get(record_id)
        self._journal[(obj_name, record_id)] = (
            dict(record) if record is not None else None, self._deleted_at.get(record_id))

    def create_record(self, obj: ObjectDef, given: Mapping[str, Any],
                      honour_system: bool = False) -> str:
        now = self.now()
        record: dict[str, Any] = {name: None for name in obj.fields}
        for fdef in obj.fields.values():
            if fdef.default is not None:
                record[fdef.name] = fdef.default
        record.update({"IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now,
                       "SystemModstamp": now})
        if obj.name == "Contract":
            record["ContractNumber"] = self.next_contract_number()
        for name, value in given.items():
            if name == "Id" and not honour_system:
                continue
            record[name] = values.normalize_id(value) if name == "Id" else value
        if not record.get("Id"):
            record["Id"] = self.new_id(obj)
        record["IsDeleted"] = False
        _derive(obj, record)
        self._remember(obj.name, record["Id"])
        self._tables[obj.name][record["Id"]] = record
        return str(record["Id"])

    def update_record(self, obj: ObjectDef, record_id: str, given: Mapping[str, Any],
                      touch: bool = True) -> None:
        record = self.raw(obj.name, record_id)
        if record is None or record["IsDeleted"]:
            raise KeyError(f"no live {obj.name} {record_id}")
        self._remember(obj.name, record["Id"])
        for name, value in given.items():
            if name != "Id":
                record[name] = value
        if touch:
            now = self.now()
            record["LastModifiedDate"] = given.get("LastModifiedDate", now)
            record["SystemModstamp"] = given.get("SystemModstamp", now)
        _derive(obj, record)

    def delete_record(self, obj: ObjectDef, record_id: str) -> None:
        record = self.raw(obj.name, record_id)
        if record is None or record["IsDeleted"]:
            raise KeyError(f"no live {obj.name} {record_id}")
        self._remember(obj.name, record["Id"])
        now = self.now()
        record["IsDeleted"] = True
        record["SystemModstamp"] = now
        record["LastModifiedDate"] = now
        self._deleted_at[record["Id"]] = now

    def purge_recycle_bin(self, before: datetime | None = None) -> int:
        """Hard-delete recycle-bin records deleted before ``before`` (default:
        all); ``getDeleted`` then refuses windows starting before the purge."""
        with self.lock:
            cutoff = before or self.now() + timedelta(milliseconds=1)
            purged = 0
            for name, table in self._tables.items():
                for record_id in [i for i, r in table.items() if r["IsDeleted"]]:
                    if self._deleted_at[record_id] < cutoff:
                        self._remember(name, record_id)
                        del table[record_id]
                        del self._deleted_at[record_id]
                        purged += 1
            self.purged_through = max(filter(None, (self.purged_through, cutoff)))
            return purged

    def expire_recycle_bin(self) -> None:
        """Purge what has been in the recycle bin longer than 15 days."""
        self.purge_recycle_bin(self.now() - timedelta(days=RECYCLE_BIN_DAYS))

    # transactions ------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block under the lock; undo all its changes if it raises.

        Changes are journalled (the state of each record before its first
        change), so the cost is proportional to what the block touches.
        A transaction inside a transaction joins the outer one.
        """
        with self.lock:
            if self._journal is not None:
                yield
                return
            counters = (self._serial, self._contract_number, self.purged_through)
            self._journal = {}
            try:
                yield
            except BaseException:
                self._undo(self._journal)
                self._serial, self._contract_number, self.purged_through = counters
                raise
            finally:
                self._journal = None

    def _undo(self, journal: dict[tuple[str, str], tuple[dict | None, datetime | None]]
              ) -> None:
        for (obj_name, record_id), (before, deleted_at) in reversed(journal.items()):
            table = self._tables[obj_name]
            if before is None:
                table.pop(record_id, None)
            elif record_id in table:
                table[record_id].clear()
                table[record_id].update(before)
            else:
                table[record_id] = before
            if deleted_at is None:
                self._deleted_at.pop(record_id, None)
            else:
                self._deleted_at[record_id] = deleted_at


def _match_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _derive(obj: ObjectDef, record: dict[str, Any]) -> None:
    """Recompute calculated fields (Contract.EndDate)."""
    if obj.name == "Contract":
        start, term = record.get("StartDate"), record.get("ContractTerm")
        if isinstance(start, date) and isinstance(term, int):
            record["EndDate"] = add_months(start, term) - timedelta(days=1)
        else:
            record["EndDate"] = None
