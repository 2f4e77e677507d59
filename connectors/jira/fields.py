"""The ``issue`` object: Jira's fields, the synthetic ones the connector computes,
and values in both directions.

Fields come from ``GET /field``, one ``FieldSpec`` per field id, labelled
with the field's name (names repeat: the mapping layer reports an ambiguous
one). Synthetic read-only fields, computed from what a search returns:

    key             the issue key (it changes when an issue moves; ids do not)
    customer        by the connection's customer_rule: the field's value, the
                    project's customer name, or the reporter's email domain
    severity        the Severity field's value (``severity_field``)
    status          the status name
    created, updated, resolved      times (resolved: ``resolutiondate``)
    first_response  the First Response At field, else the first comment by
                    someone other than the reporter
    status_history  ``[{"at", "status"}]`` from the changelog, oldest first,
                    starting with the status the issue was created in

and one writable pseudo-field, ``contract_link``: a remote link to the
contract (see ``writes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.base import ConfigError, FieldSpec, FieldType, ObjectSpec
from connectors.jira.cursor import format_time, parse_time
from connectors.jira.settings import JiraSettings

OBJECT = "issue"
SCHEMA_TYPES: dict[str, FieldType] = {
    "string": "string", "datetime": "datetime", "date": "date", "number": "number",
    "option": "enum", "array": "json", "user": "string", "status": "string",
    "priority": "string", "issuetype": "string", "project": "string",
    "resolution": "string", "comments-page": "json", "any": "string",
}
WRITABLE_SYSTEM = frozenset({"summary", "description", "priority", "labels", "assignee",
                             "reporter", "duedate", "environment"})
SYNTHETIC: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("key", "string", writable=False),
    FieldSpec("customer", "string", writable=False),
    FieldSpec("severity", "string", writable=False),
    FieldSpec("status", "string", writable=False, label="Status"),
    FieldSpec("created", "datetime", writable=False, label="Created"),
    FieldSpec("updated", "datetime", writable=False, label="Updated"),
    FieldSpec("resolved", "datetime", writable=False),
    FieldSpec("first_response", "datetime", writable=False),
    FieldSpec("status_history", "json", writable=False),
    FieldSpec("contract_link", "string"),
)}


@dataclass(frozen=True)
class JiraField:
    id: str
    name: str
    custom: bool
    schema: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return str(self.schema.get("type") or "any")


class Catalog:
    """The site's fields, and the synthetic fields' sources under these settings."""

    def __init__(self, raw: Sequence[Mapping[str, Any]], settings: JiraSettings) -> None:
        self.by_id = {str(f["id"]): JiraField(str(f["id"]), str(f.get("name") or f["id"]),
                                             bool(f.get("custom")), f.get("schema") or {})
                      for f in raw}
        self.settings = settings

    def spec(self) -> ObjectSpec:
        specs: dict[str, FieldSpec] = {}
        for f in self.by_id.values():
            specs[f.id] = FieldSpec(
                f.id, SCHEMA_TYPES.get(f.kind, "string"),
                writable=f.custom or f.id in WRITABLE_SYSTEM, label=f.name)
        specs.update(SYNTHETIC)
        return ObjectSpec(OBJECT, specs)

    def resolve(self, ref: str, what: str, *, required: bool = True) -> JiraField | None:
        """A field by id or (unique) name; ``ConfigError`` naming the candidates."""
        if ref in self.by_id:
            return self.by_id[ref]
        named = sorted(f.id for f in self.by_id.values() if f.name.lower() == ref.lower())
        if len(named) > 1:
            raise ConfigError(f"{what}: field name {ref!r} is ambiguous: candidates "
                              f"{', '.join(named)} (name the field by its id)")
        if named:
            return self.by_id[named[0]]
        if required:
            raise ConfigError(f"{what}: no field {ref!r} on this Jira site")
        return None

    # -- what to ask a search for -------------------------------------------------------
    def sources(self, wanted: Sequence[str]) -> tuple[list[str], bool]:
        """Jira field ids to request for ``wanted`` names, and whether the changelog is needed."""
        ids: dict[str, None] = {"updated": None, "created": None}
        changelog = False
        for name in wanted:
            if name in ("key", "issuekey", "contract_link", "updated", "created"):
                continue
            if name == "customer":
                ids.update(dict.fromkeys(self._customer_sources()))
            elif name == "severity":
                ids[self._severity().id] = None
            elif name == "status":
                ids["status"] = None
            elif name == "resolved":
                ids["resolutiondate"] = None
            elif name == "first_response":
                ids.update(dict.fromkeys(["comment", "reporter"]))
                frf = self._first_response_field()
                if frf is not None:
                    ids[frf.id] = None
            elif name == "status_history":
                ids["status"] = None
                changelog = True
            elif name in self.by_id:
                ids[name] = None
            else:
                raise ConfigError(f"{self.where}: no field {name!r} on issue")
        return list(ids), changelog

    @property
    def where(self) -> str:
        return f"Jira connection {self.settings.name!r}"

    def _customer_sources(self) -> list[str]:
        rule = self.settings.customer_rule
        if rule.kind == "field":
            assert rule.field is not None
            return [self.resolve(rule.field, f"{self.where}: customer_rule")
                    .id]  # type: ignore[union-attr]
        return ["project"] if rule.kind == "project_customers" else ["reporter"]

    def _severity(self) -> JiraField:
        found = self.resolve(self.settings.severity_field, f"{self.where}: severity_field")
        assert found is not None
        return found

    def _first_response_field(self) -> JiraField | None:
        ref = self.settings.first_response_field
        return self.resolve(ref, f"{self.where}: first_response_field",
                            required=False) if ref else None

    # -- reading ---------------------------------------------------------------------------
    def values(self, issue: Mapping[str, Any], wanted: Sequence[str],
               histories: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        raw = issue.get("fields") or {}
        out: dict[str, Any] = {}
        for name in wanted:
            if name in ("key", "issuekey"):
                out[name] = issue.get("key")
            elif name == "customer":
                out[name] = self._customer(raw)
            elif name == "severity":
                out[name] = plain(raw.get(self._severity().id))
            elif name == "resolved":
                out[name] = plain(raw.get("resolutiondate"), "datetime")
            elif name == "first_response":
                out[name] = self._first_response(raw)
            elif name == "status_history":
                out[name] = status_history(raw, histories or [])
            elif name == "contract_link":
                out[name] = None  # remote links are not part of a search answer
            else:
                f = self.by_id.get(name)
                out[name] = plain(raw.get(name), f.kind if f else "any")
        return out

    def _customer(self, raw: Mapping[str, Any]) -> str | None:
        rule = self.settings.customer_rule
        if rule.kind == "project_customers":
            project = raw.get("project") or {}
            return rule.project_customers.get(str(project.get("key") or "").upper())
        if rule.kind == "reporter_domain":
            email = (raw.get("reporter") or {}).get("emailAddress") or ""
            domain = email.rpartition("@")[2].strip().lower()
            return domain if "@" in email and domain else None
        value = raw.get(self._customer_sources()[0])
        if isinstance(value, list):  # e.g. Service Management organisations: one, or none
            names = {plain(v) for v in value} - {None}
            return names.pop() if len(names) == 1 else None
        found = plain(value)
        return str(found).strip() or None if found is not None else None

    def _first_response(self, raw: Mapping[str, Any]) -> datetime | None:
        frf = self._first_response_field()
        if frf is not None and raw.get(frf.id):
            return plain(raw.get(frf.id), "datetime")  # type: ignore[no-any-return]
        reporter = user_id(raw.get("reporter"))
        page = raw.get("comment") or {}
        times = [parse_time(c["created"]) for c in page.get("comments") or ()
                 if c.get("created") and user_id(c.get("author")) != reporter]
        return min(times, default=None)

    # -- writing ----------------------------------------------------------------------------
    def wire(self, field_id: str, value: Any, cloud: bool) -> Any:
        """A value as ``PUT /issue`` takes it for this field's schema."""
        f = self.by_id.get(field_id)
        if value is None or f is None:
            return value
        kind = f.kind
        if kind == "option":
            return {"value": str(value)}
        if kind == "datetime":
            return format_time(value if isinstance(value, datetime) else parse_time(str(value)))
        if kind == "date":
            return value.isoformat()[:10] if isinstance(value, date) else str(value)[:10]
        if kind in ("priority", "issuetype", "resolution"):
            return {"name": str(value)}
        if kind == "user":
            return {"accountId": str(value)} if cloud else {"name": str(value)}
        if kind == "number":
            return value if isinstance(value, int | float) else float(value)
        if kind == "string" and not isinstance(value, str):
            return str(value)
        return value

    def comparable(self, field_id: str, wire_value: Any) -> Any:
        """A value as read or as sent, reduced so the two compare equal when Jira agrees."""
        f = self.by_id.get(field_id)
        return plain(wire_value, f.kind if f else "any")


def plain(value: Any, kind: str = "any") -> Any:
    """A field's JSON as a plain value: options, statuses and the like by name, times as
    aware datetimes, empty text as ``None``."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, dict):
        keys = {"project": ("key", "name"), "user": ("emailAddress", "displayName", "accountId",
                                                    "name")}.get(kind, ("value", "name", "key"))
        for key in keys:
            if value.get(key) not in (None, ""):
                return value[key]
        return value
    if kind == "datetime" and isinstance(value, str):
        return parse_time(value)
    if kind == "datetime" and isinstance(value, datetime):
        return parse_time(format_time(value))
    return value


def user_id(user: Any) -> str | None:
    if not isinstance(user, Mapping):
        return None
    return user.get("accountId") or user.get("key") or user.get("name")


def status_history(raw: Mapping[str, Any], histories: Sequence[Mapping[str, Any]]
                   ) -> list[dict[str, str]]:
    """``[{"at", "status"}]`` oldest first, from the creation status on."""
    changes: list[tuple[datetime, int, str | None, str | None]] = []
    for h in histories:
        order = int(h["id"]) if str(h.get("id", "")).isdigit() else 0
        for item in h.get("items") or ():
            if item.get("fieldId", item.get("field")) == "status":
                changes.append((parse_time(h["created"]), order, item.get("fromString"),
                                item.get("toString")))
    changes.sort(key=lambda c: (c[0], c[1]))
    current = plain(raw.get("status"))
    first = changes[0][2] if changes else current
    created = raw.get("created")
    out = []
    if created and first:
        out.append({"at": parse_time(created).isoformat(), "status": str(first)})
    out += [{"at": at.isoformat(), "status": str(to)} for at, _, _, to in changes if to]
    return out
