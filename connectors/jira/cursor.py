"""Read positions, JQL date literals and Jira timestamps (pure).

Cursor: ``{"v": 1, "ts": "2026-03-02T09:15:30.123000+00:00", "ids": ["10004", "10007"]}``
-- every issue ``updated`` before ``ts`` has been read, and of those updated
exactly at ``ts``, the ones in ``ids``. The next read admits
``updated > ts OR (updated = ts AND id NOT IN ids)``. A tie set rather than
a key order: Jira's order of keys across projects (and of an issue whose
key changed on a move) cannot be reproduced here, and a tie set does not
care in what order Jira returned the tied issues. ``ids`` holds only issues
updated in the same millisecond, so it stays small.

JQL can only say ``updated >= "yyyy/MM/dd HH:mm"``: minute precision, in the
API user's profile time zone. ``jql_instant`` renders an instant as the
latest such literal that is surely not after it -- floored to the minute,
and stepped back an hour inside a DST fold, where the same wall time means
two instants and Jira may take either -- so the query is always a superset;
the exact filtering happens here, to the millisecond. Without a known zone
it renders UTC, 14 hours earlier (no zone is further from UTC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

VERSION = 1
WIDEST_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class Position:
    ts: datetime | None = None
    ids: frozenset[str] = frozenset()

    @classmethod
    def decode(cls, raw: Mapping[str, Any] | None) -> Position:
        """A stored cursor; anything else (none, another version) reads from the start."""
        if not raw or raw.get("v") != VERSION or not raw.get("ts"):
            return cls()
        return cls(parse_time(str(raw["ts"])), frozenset(str(i) for i in raw.get("ids") or ()))

    def encode(self) -> dict[str, Any]:
        return {"v": VERSION, "ts": self.ts.isoformat() if self.ts else None,
                "ids": sorted(self.ids, key=_id_order)}

    def admits(self, ts: datetime, issue_id: str) -> bool:
        """Not read yet by this position."""
        if self.ts is None or ts > self.ts:
            return True
        return ts == self.ts and issue_id not in self.ids

    def after(self, read: Iterable[tuple[datetime, str]]) -> Position:
        """The position once ``read`` (admitted issues, from a page sorted by time) is read."""
        ts, ids = self.ts, set(self.ids)
        for when, issue_id in read:
            if ts is None or when > ts:
                ts, ids = when, {issue_id}
            elif when == ts:
                ids.add(issue_id)
        return Position(ts, frozenset(ids))

    def capped(self, cap: datetime) -> Position:
        """Never later than ``cap`` (the read's start minus the lag): what is newer than
        that is read again next time, so a late-indexed issue is not skipped."""
        if self.ts is not None and self.ts > cap:
            return Position(cap, frozenset())
        return self


def _id_order(issue_id: str) -> tuple[int, str]:
    return (int(issue_id), "") if issue_id.isdigit() else (0, issue_id)


def jql_instant(instant: datetime, zone: str | None) -> str:
    """A ``"yyyy/MM/dd HH:mm"`` literal in ``zone`` naming a moment at or before ``instant``
    however Jira reads it."""
    if zone is None:
        local = (instant - WIDEST_OFFSET).astimezone(UTC)
        return local.strftime("%Y/%m/%d %H:%M")
    tz = ZoneInfo(zone)
    target = instant.astimezone(UTC)
    probe = target
    for _ in range(4):
        wall = probe.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
        readings = {wall.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1)}
        if max(readings) <= target:
            return wall.strftime("%Y/%m/%d %H:%M")
        probe -= timedelta(hours=1)
    raise ValueError(f"cannot render {instant.isoformat()} in {zone}")  # pragma: no cover


def project_clause(projects: Iterable[str]) -> str:
    quoted = ", ".join('"' + p.replace('"', '\\"') + '"' for p in projects)
    return f"project in ({quoted})"


def changes_jql(projects: Iterable[str], since: str | None) -> str:
    where = project_clause(projects)
    if since is not None:
        where += f' AND updated >= "{since}"'
    return f"{where} ORDER BY updated ASC, key ASC"


def sweep_jql(projects: Iterable[str], since: str | None) -> str:
    where = project_clause(projects)
    if since is not None:
        where += f' AND created >= "{since}"'
    return f"{where} ORDER BY created ASC, key ASC"


def parse_time(text: str) -> datetime:
    """Jira's ``2026-03-02T09:15:30.000+0000`` (or ISO 8601 with an offset) as aware UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"a Jira time without an offset: {text!r}")
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """An instant as Jira writes and takes it: ``2026-03-02T09:15:30.000+0000``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def same_minute(times: list[datetime]) -> bool:
    return len({t.replace(second=0, microsecond=0) for t in times}) <= 1
