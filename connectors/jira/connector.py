"""``JiraConnector``: support tickets (Jira issues) for the sync engine, Cloud or Data Center.

Record id: the issue **id** (``10042``), not the key: a key changes when an
issue moves to another project, the id never does. ``version`` is the
issue's ``updated`` time as Jira writes it (it moves on every edit, the
hub's own included).

Reading (``read_changes``): ``project in (...) [AND updated >= "yyyy/MM/dd HH:mm"]
ORDER BY updated ASC, key ASC``, the literal being the cursor minus
``lag_minutes`` rendered in the API user's profile zone (``cursor``), then
filtered to the millisecond here. Pages are Jira's (``nextPageToken`` on
Cloud, ``startAt`` on Data Center); after a page that spans more than one
minute the search is asked afresh from the position reached, so an issue
edited (or deleted) mid-read cannot shift the offsets and make the read skip
one. The cursor is capped at the read's start minus the lag.

Deletions: Jira reports none. ``sweep_ids`` lists every issue id of the
projects (``created`` order, asked afresh the same way) and raises on any
failure, so the engine never sees a partial set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.base import (
    CallCounter,
    ConfigError,
    ObjectSpec,
    Page,
    RemoteRecord,
    WriteOp,
    WriteResult,
)
from connectors.jira.api import SYSTEM, JiraApi
from connectors.jira.cursor import (
    Position,
    changes_jql,
    jql_instant,
    parse_time,
    same_minute,
    sweep_jql,
)
from connectors.jira.fields import OBJECT, Catalog
from connectors.jira.settings import JiraSettings, parse_settings
from connectors.jira.writes import IssueWriter
from core.clock import Clock, SystemClock

log = logging.getLogger(__name__)
CHANGELOG_PAGE = 100


class JiraConnector:
    """Jira through the ``jira`` library; settings in the package docstring."""

    batch_max = 1  # REST v2 has no bulk edit of arbitrary fields: one PUT per issue
    creates = False  # issues are created by people; writes edit the issue they name

    def __init__(self, *, name: str, settings: Mapping[str, Any], clock: Clock | None = None,
                 api: JiraApi | None = None) -> None:
        self.name = name
        self.settings: JiraSettings = parse_settings(name, settings)
        self.clock = clock or SystemClock()
        self.api = api or JiraApi(self.settings, self.clock.now)
        self.page_size = self.settings.page_size
        self.lag = timedelta(minutes=self.settings.lag_minutes)
        self._catalog: Catalog | None = None
        self.writer = IssueWriter(self.api, self.catalog)

    @property
    def calls(self) -> CallCounter:
        return self.api.calls

    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.api.fields(), self.settings)
        return self._catalog

    def check(self) -> None:
        """Reach the site and prove the credentials (``GET /myself``)."""
        self.api.zone()

    def describe(self, object_name: str) -> ObjectSpec:
        self._object(object_name)
        return self.catalog().spec()

    def _object(self, object_name: str) -> None:
        if object_name != OBJECT:
            raise ConfigError(f"{SYSTEM} connection {self.name!r}: no object {object_name!r} "
                              f"(known: {OBJECT})")

    # -- reading ---------------------------------------------------------------------------
    def read_changes(self, object_name: str, cursor: Mapping[str, Any] | None,
                     fields: Sequence[str]) -> Iterator[Page]:
        self._object(object_name)
        catalog = self.catalog()
        wanted = list(dict.fromkeys(fields))
        ids, changelog = catalog.sources(wanted)
        ids += sorted(self.writer.out_fields - set(ids))
        start = self.clock.now()
        cap = start - self.lag
        pos = Position.decode(cursor)
        if cursor and pos.ts is None:
            log.warning("jira %s: cursor %r is not a version-1 cursor; reading every issue",
                        self.name, cursor)
        since = pos.ts - self.lag if pos.ts else None
        expand = "changelog" if changelog else None
        for issues, reached in self._scan("updated", since, pos, ids, expand):
            records = []
            for issue in issues:
                self.writer.remember(issue)
                histories = self._histories(issue) if changelog else None
                raw = issue.get("fields") or {}
                records.append(RemoteRecord(str(issue["id"]), str(raw["updated"]),
                                            catalog.values(issue, wanted, histories),
                                            parse_time(raw["updated"])))
            yield Page(tuple(records), reached.capped(cap).encode())

    def _scan(self, time_field: str, since: datetime | None, pos: Position,
              fields: list[str], expand: str | None
              ) -> Iterator[tuple[list[dict[str, Any]], Position]]:
        """Issues not yet read past ``pos``, page by page, with the position after each.

        ``since`` bounds the first search (minute precision); after a page spanning
        more than a minute, the search starts afresh from ``pos`` (keyset paging) --
        unless the zone is unknown: a search then reaches 14 hours back, too far to
        repeat for every page."""
        builder = changes_jql if time_field == "updated" else sweep_jql
        zone = self.api.zone()
        while True:
            literal = jql_instant(since, zone) if since is not None else None
            jql = builder(self.settings.projects, literal)
            token: Any = None
            while True:
                page, token = self.api.search_page(jql, fields, expand, self.page_size, token)
                stamped = [(parse_time((i.get("fields") or {})[time_field]), i) for i in page]
                fresh = [(t, i) for t, i in stamped if pos.admits(t, str(i["id"]))]
                if fresh:
                    pos = pos.after((t, str(i["id"])) for t, i in fresh)
                    yield [i for _, i in fresh], pos
                if token is None:
                    return
                if fresh and zone is not None and not same_minute([t for t, _ in stamped]):
                    since = pos.ts
                    break

    def _histories(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        """The issue's whole changelog: a search answer may carry only the newest part."""
        log_part = issue.get("changelog") or {}
        histories = list(log_part.get("histories") or [])
        total = log_part.get("total")
        if not isinstance(total, int) or total <= len(histories):
            return histories
        issue_id = str(issue["id"])
        if not self.api.cloud:
            full = self.api.get(f"issue/{issue_id}", f"reading the changelog of {issue_id}",
                                {"fields": "status", "expand": "changelog"})
            return list(((full or {}).get("changelog") or {}).get("histories") or [])
        out: list[dict[str, Any]] = []
        while True:
            page = self.api.get(f"issue/{issue_id}/changelog",
                                f"reading the changelog of {issue_id}",
                                {"startAt": len(out), "maxResults": CHANGELOG_PAGE}) or {}
            values = list(page.get("values") or [])
            out += values
            if not values or page.get("isLast", True) or len(out) >= int(page.get("total", 0)):
                return out

    # -- writing ------------------------------------------------------------------------
    def write(self, object_name: str, key_field: str | None,
              batch: Sequence[WriteOp]) -> list[WriteResult]:
        """One edit per op, in order (``batch_max`` is 1; longer batches are still served)."""
        self._object(object_name)
        return [self.writer.write(op) for op in batch]

    # -- deletions -------------------------------------------------------------------------
    def sweep_ids(self, object_name: str) -> frozenset[str]:
        self._object(object_name)
        ids: set[str] = set()
        for issues, _ in self._scan("created", None, Position(), ["created"], None):
            ids.update(str(i["id"]) for i in issues)
        return frozenset(ids)
