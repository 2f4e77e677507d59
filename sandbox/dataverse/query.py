"""Reading an entity set: ``$select``, ``$filter``, ``$orderby``, ``$top``, paging, change tracking.

- Paging: ``Prefer: odata.maxpagesize=N`` (default 5,000) answers N rows and
  an ``@odata.nextLink`` carrying the same query options plus an opaque
  ``$skiptoken`` (the position: the last primary id, or an offset under
  ``$orderby``), and ``Preference-Applied: odata.maxpagesize=N``.
- Change tracking: ``Prefer: odata.track-changes`` reads every row (only
  ``$select`` may accompany it) and its last page carries
  ``@odata.deltaLink`` with ``$deltatoken=<version>!<MM/dd/yyyy HH:mm:ss>``.
  Following the delta link returns the rows changed since that version and,
  on its last page, ``{"@odata.context": "...$deletedEntity", "id", "reason":
  "deleted"}`` for rows deleted since; then a new delta link. The token's
  version is taken when the read starts, so a row changed while pages are
  read is reported again next time rather than missed. A token that does not
  parse, is newer than the org, or is older than ``EXPIRE_DAYS`` (Dataverse's
  ``ExpireChangeTrackingInDays`` default, 30) is refused (400).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sandbox.dataverse import odata_filter
from sandbox.dataverse.errors import BAD_TOKEN, SYNTAX, DataverseError, unknown_property
from sandbox.dataverse.schema import Table
from sandbox.dataverse.store import Store, etag, wire_value

DEFAULT_PAGE = 5000
EXPIRE_DAYS = 30


@dataclass
class Answer:
    body: dict[str, Any]
    headers: dict[str, str]


def render(table: Table, row: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    """A row as the Web API shows it: etag, the primary id, the selected properties."""
    out: dict[str, Any] = {"@odata.etag": etag(row)}
    by_wire = table.by_wire_name()
    names = select if select else list(by_wire)
    for name in names:
        out[name] = wire_value(row.get(by_wire[name].name))
    out[table.primary_id] = row[table.primary_id]
    return out


def parse_select(table: Table, raw: str | None) -> list[str] | None:
    if not raw:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    by_wire = table.by_wire_name()
    for n in names:
        if n not in by_wire:
            raise unknown_property(n, table.type_name)
    return names


def _orderby(table: Table, raw: str | None) -> list[tuple[str, bool]]:
    if not raw:
        return []
    out = []
    by_wire = table.by_wire_name()
    for part in raw.split(","):
        bits = part.split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1] not in ("asc", "desc")):
            raise DataverseError(400, SYNTAX, f"Syntax error in '$orderby={raw}'.")
        if bits[0] not in by_wire:
            raise unknown_property(bits[0], table.type_name)
        out.append((by_wire[bits[0]].name, len(bits) == 2 and bits[1] == "desc"))
    return out


def page_size(prefer: str) -> int | None:
    for pref in _prefs(prefer):
        if pref.startswith("odata.maxpagesize="):
            try:
                return max(1, int(pref.split("=", 1)[1]))
            except ValueError:
                return None
    return None


def _prefs(prefer: str) -> list[str]:
    return [p.strip() for p in (prefer or "").split(",") if p.strip()]


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise DataverseError(400, SYNTAX, "The $skiptoken is not valid.") from None
    if not isinstance(state, dict):
        raise DataverseError(400, SYNTAX, "The $skiptoken is not valid.")
    return state


def delta_token(version: int, at: datetime) -> str:
    return f"{version}!{at.astimezone(UTC):%m/%d/%Y %H:%M:%S}"


def _parse_delta(store: Store, token: str) -> int:
    version_text, _, stamp = token.partition("!")
    try:
        version = int(version_text)
        issued = datetime.strptime(stamp, "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise DataverseError(400, BAD_TOKEN, "The delta token is not valid.") from None
    if version > store.version or version <= store.tracking_floor:
        raise DataverseError(400, BAD_TOKEN, "The delta token is not valid for this "
                                             "organization; retrieve the changes again "
                                             "without a token.")
    if store.now() - issued > timedelta(days=EXPIRE_DAYS):
        raise DataverseError(400, BAD_TOKEN, f"The delta token has expired (older than "
                                             f"{EXPIRE_DAYS} days); retrieve the changes "
                                             "again without a token.")
    return version


def read_set(store: Store, table: Table, args: dict[str, str], prefer: str,
             service_root: str) -> Answer:
    """GET ``/{entityset}`` with its query options and preferences."""
    select = parse_select(table, args.get("$select"))
    state = _decode(args["$skiptoken"]) if "$skiptoken" in args else {}
    tracking = "odata.track-changes" in _prefs(prefer) or "$deltatoken" in args or "d" in state
    size = page_size(prefer)
    headers: dict[str, str] = {}
    applied = []
    if size is not None:
        applied.append(f"odata.maxpagesize={size}")
    size = size or DEFAULT_PAGE
    select_text = ",".join(select) if select else ""
    context = f"{service_root}$metadata#{table.entity_set}" + (
        f"({select_text})" if select_text else "")
    if tracking:
        if any(k in args for k in ("$filter", "$orderby", "$top")):
            raise DataverseError(400, SYNTAX, "Change tracking does not support $filter, "
                                              "$orderby or $top.")
        applied.append("odata.track-changes")
        body = _tracked(store, table, args, state, select, size, service_root)
        body["@odata.context"] = context + "/$delta"
    else:
        body = _plain(store, table, args, state, select, size, service_root)
        body["@odata.context"] = context
    if applied:
        headers["Preference-Applied"] = ",".join(applied)
    return Answer(dict(sorted(body.items(), key=lambda kv: kv[0] != "@odata.context")),
                  headers)


def _link(service_root: str, table: Table, select: list[str] | None, **extra: str) -> str:
    parts = []
    if select:
        parts.append("$select=" + ",".join(select))
    parts += [f"{k}={quote(v, safe='')}" for k, v in extra.items()]
    return f"{service_root}{table.entity_set}" + ("?" + "&".join(parts) if parts else "")


def _plain(store: Store, table: Table, args: dict[str, str], state: dict[str, Any],
           select: list[str] | None, size: int, root: str) -> dict[str, Any]:
    rows = store.all(table.logical_name)
    if "$filter" in args:
        try:
            tree = odata_filter.parse(args["$filter"])
        except odata_filter.FilterError as exc:
            raise DataverseError(400, SYNTAX, exc.message) from None
        by_wire = table.by_wire_name()
        for prop in odata_filter.properties(tree):
            if prop not in by_wire:
                raise unknown_property(prop, table.type_name)
        renamed = [{w: r.get(c.name) for w, c in by_wire.items()} for r in rows]
        rows = [r for r, view in zip(rows, renamed, strict=True)
                if odata_filter.matches(tree, view)]
    order = _orderby(table, args.get("$orderby"))
    rows.sort(key=lambda r: r[table.primary_id])
    for column, desc in reversed(order):
        rows.sort(key=lambda r, c=column: (r.get(c) is not None, _sortable(r.get(c))),
                  reverse=desc)
    if "$top" in args:
        try:
            rows = rows[:max(0, int(args["$top"]))]
        except ValueError:
            raise DataverseError(400, SYNTAX, f"Invalid value '{args['$top']}' for $top.") \
                from None
    offset = int(state.get("o", 0))
    page = rows[offset:offset + size]
    body: dict[str, Any] = {"value": [render(table, r, select) for r in page]}
    if offset + size < len(rows):
        extra = {k: v for k, v in args.items() if k in ("$filter", "$orderby", "$top")}
        body["@odata.nextLink"] = _link(root, table, select, **extra,
                                        **{"$skiptoken": _encode({"o": offset + size})})
    return body


def _sortable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value if value is not None else 0


def _tracked(store: Store, table: Table, args: dict[str, str], state: dict[str, Any],
             select: list[str] | None, size: int, root: str) -> dict[str, Any]:
    if "d" in state:  # a later page of a tracked read
        since, start, after = state["d"], int(state["s"]), str(state.get("a") or "")
        if since is not None and int(since) <= store.tracking_floor:
            raise DataverseError(400, BAD_TOKEN, "The delta token is not valid for this "
                                                 "organization.")
    else:
        since = _parse_delta(store, args["$deltatoken"]) if "$deltatoken" in args else None
        start, after = store.version, ""
    rows = [r for r in store.all(table.logical_name)
            if (since is None or r["versionnumber"] > int(since))
            and r[table.primary_id] > after]
    rows.sort(key=lambda r: r[table.primary_id])
    page = rows[:size]
    body: dict[str, Any] = {"value": [render(table, r, select) for r in page]}
    if len(rows) > size:
        token = _encode({"d": since, "s": start, "a": page[-1][table.primary_id]})
        body["@odata.nextLink"] = _link(root, table, select, **{"$skiptoken": token})
        return body
    if since is not None:
        body["value"] += [{"@odata.context": f"{root}$metadata#{table.entity_set}/"
                                             "$deletedEntity", "id": d.id, "reason": "deleted"}
                          for d in store.deleted
                          if d.table == table.logical_name and d.version > int(since)]
    body["@odata.deltaLink"] = _link(root, table, select,
                                     **{"$deltatoken": delta_token(start, store.now())})
    return body
