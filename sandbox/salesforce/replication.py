"""sObject Get Updated / Get Deleted (data replication).

``start``/``end`` are ISO 8601 instants with a zone (URL-encoded); seconds
are ignored (12:30:15 counts as 12:30:00). A record is reported when its
``SystemModstamp`` (updated) or deletion time (deleted) lies in
``[start, latestDateCovered)``, where ``latestDateCovered`` is ``end`` or the
current minute, whichever is earlier: using it as the next ``start`` misses
nothing. Get Updated reaches back 30 days; Get Deleted 15 days, or to the
last purge of the recycle bin (``earliestDateAvailable``); a ``start`` before
that is 400 ``INVALID_REPLICATION_DATE``. Over 600,000 ids is
``EXCEEDED_ID_LIMIT``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sandbox.salesforce import values
from sandbox.salesforce.errors import ApiError
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.store import RECYCLE_BIN_DAYS, Store

UPDATED_DAYS = 30
MAX_IDS = 600_000


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _parse(name: str, text: str | None) -> datetime:
    if not text:
        raise ApiError(400, "MISSING_ARGUMENT", f"Missing required parameter: {name}")
    parsed = values.parse_datetime(text)
    if parsed is None:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       f"Unable to parse the '{name}' date: {text}. Use the ISO 8601 "
                       "format YYYY-MM-DDThh:mm:ss+hh:mm")
    return _minute(parsed)


def _window(store: Store, start_text: str | None, end_text: str | None,
            earliest: datetime) -> tuple[datetime, datetime]:
    start, end = _parse("start", start_text), _parse("end", end_text)
    if start >= end:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       "startDate must chronologically precede endDate")
    if start < earliest:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       f"startDate cannot be earlier than {values.format_datetime(earliest)}")
    return start, min(end, _minute(store.now()))


def get_updated(store: Store, obj: ObjectDef, start: str | None,
                end: str | None) -> dict[str, Any]:
    earliest = _minute(store.now() - timedelta(days=UPDATED_DAYS))
    low, high = _window(store, start, end, earliest)
    found = [r["Id"] for r in store.rows(obj.name) if low <= r["SystemModstamp"] < high]
    if len(found) > MAX_IDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. Choose start and end "
                       "dates closer together")
    return {"ids": found, "latestDateCovered": values.format_datetime(high)}


def earliest_deleted(store: Store) -> datetime:
    earliest = _minute(store.now() - timedelta(days=RECYCLE_BIN_DAYS))
    if store.purged_through is not None and store.purged_through > earliest:
        earliest = store.purged_through
    return earliest


def get_deleted(store: Store, obj: ObjectDef, start: str | None,
                end: str | None) -> dict[str, Any]:
    store.expire_recycle_bin()
    earliest = earliest_deleted(store)
    low, high = _window(store, start, end, earliest)
    found = []
    for record in store.rows(obj.name, include_deleted=True):
        when = store.deleted_at(record["Id"]) if record["IsDeleted"] else None
        if when is not None and low <= when < high:
            found.append({"id": record["Id"], "deletedDate": values.format_datetime(when)})
    if len(found) > MAX_IDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. Choose start and end "
                       "dates closer together")
    return {"deletedRecords": found, "earliestDateAvailable": values.format_datetime(earliest),
            "latestDateCovered": values.format_datetime(high)}
