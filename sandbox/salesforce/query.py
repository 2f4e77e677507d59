"""Query and QueryAll with query locators.

Answers ``{totalSize, done, nextRecordsUrl?, records}``. The result set is
fixed when the query runs; pages are ``batchSize`` records (the
``Sforce-Query-Options: batchSize=N`` header, 200 to 2,000, default
2,000) and ``nextRecordsUrl`` is ``/services/data/vNN.N/query/<locator>-<offset>``
-- for QueryAll too, as documented; ``queryAll/<locator>-<offset>`` is served
as well, and either way a QueryAll locator keeps its deleted rows. A locator
dies when its last page has been served, after 15 minutes unused, or when
more than 10 are open (the oldest goes first); using a dead one is 400
``INVALID_QUERY_LOCATOR``.
``SELECT COUNT() ...`` answers the count in ``totalSize`` and no records.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.salesforce import ids, records
from sandbox.salesforce.errors import ApiError
from sandbox.salesforce.soql_eval import compile_query
from sandbox.salesforce.store import Store

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_OPEN_CURSORS = 10
CURSOR_IDLE = timedelta(minutes=15)
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def batch_size(header: str | None) -> int | None:
    """The batch size a ``Sforce-Query-Options`` header asks for, clamped to
    200..2000, or None when it asks for none."""
    match = _BATCH_RE.search(header or "")
    if not match:
        return None
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match[1])))


@dataclass
class Cursor:
    records: list[dict[str, Any]]
    batch: int
    used_at: datetime


def invalid_locator() -> ApiError:
    return ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


class QueryService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._serial = 0

    def run(self, text: str | None, version: str, include_deleted: bool,
            batch: int | None) -> dict[str, Any]:
        """Run a query; raises ``SoqlError`` or ``ApiError``."""
        if text is None:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        compiled = compile_query(text, self.store.object)
        obj = self.store.object(compiled.object_name)
        assert obj is not None
        if include_deleted:
            self.store.expire_recycle_bin()
        rows = compiled.run(self.store.rows(obj.name, include_deleted),
                            self.store.now().date())
        if compiled.count_only:
            return {"totalSize": len(rows), "done": True, "records": []}
        rendered = [records.render(obj, r, version, compiled.fields) for r in rows]
        cursor = Cursor(rendered, batch or DEFAULT_BATCH, self.store.now())
        return self._page(cursor, None, 0, version)

    def more(self, locator: str, version: str, batch: int | None) -> dict[str, Any]:
        """The page a ``<locator>-<offset>`` names."""
        key, _, offset_text = locator.rpartition("-")
        cursor = self._cursors.get(key)
        if cursor is None or not offset_text.isdigit():
            raise invalid_locator()
        if self.store.now() - cursor.used_at > CURSOR_IDLE:
            del self._cursors[key]
            raise invalid_locator()
        offset = int(offset_text)
        if offset >= len(cursor.records):
            raise invalid_locator()
        if batch:
            cursor.batch = batch
        return self._page(cursor, key, offset, version)

    def _page(self, cursor: Cursor, key: str | None, offset: int,
              version: str) -> dict[str, Any]:
        end = offset + cursor.batch
        page = cursor.records[offset:end]
        done = end >= len(cursor.records)
        out: dict[str, Any] = {"totalSize": len(cursor.records), "done": done}
        if done:
            if key is not None:
                self._cursors.pop(key, None)
        else:
            if key is None:
                self._serial += 1
                key = ids.make_id("01g", self._serial)
                self._cursors[key] = cursor
                while len(self._cursors) > MAX_OPEN_CURSORS:
                    self._cursors.popitem(last=False)
            cursor.used_at = self.store.now()
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{key}-{end}"
        out["records"] = page
        return out

    def open_cursors(self) -> int:
        return len(self._cursors)
