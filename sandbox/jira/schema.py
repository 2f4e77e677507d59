"""The emulated site's fields: system fields and ``customfield_NNNNN`` fields.

Promises:
- ``FieldDef.wire()`` is one entry of ``GET /rest/api/{2,3}/field``: ``id``,
  ``key``, ``name``, ``custom``, ``orderable``, ``navigable``, ``searchable``,
  ``clauseNames`` (``["cf[NNNNN]", "Name"]`` for custom fields) and ``schema``
  (``{type, system}`` or ``{type, custom, customId}``);
- custom field names need not be unique: the default set holds two "Tier";
- ``FieldCatalog.resolve_clause(name)`` finds the fields a JQL clause name
  means (by id, ``cf[N]``, or case-insensitive name); ambiguity is the
  caller's to report.

Custom field kinds: ``string`` (text field), ``datetime``, ``option``
(single select, options listed), ``number``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CF_TYPES = {
    "string": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "datetime": ("datetime", "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
    "option": ("option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    "number": ("number", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
}
_CF_ID = re.compile(r"^customfield_(\d+)$")
_CF_CLAUSE = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)


@dataclass(frozen=True)
class Option:
    id: str
    value: str


@dataclass(frozen=True)
class FieldDef:
    """One field. ``kind`` drives validation, rendering and JQL operators."""

    id: str
    name: str
    kind: str
    custom: bool = False
    settable: bool = True
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True
    in_issue: bool = True  # appears under an issue's ``fields``
    aliases: tuple[str, ...] = ()
    schema_type: str | None = None
    options: tuple[Option, ...] = ()

    @property
    def custom_id(self) -> int | None:
        match = _CF_ID.match(self.id)
        return int(match.group(1)) if match else None

    @property
    def clause_names(self) -> list[str]:
        if self.custom:
            return [f"cf[{self.custom_id}]", self.name]
        return [self.id, *self.aliases]

    def wire(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self.id, "key": self.id, "name": self.name, "untranslatedName": self.name,
            "custom": self.custom, "orderable": self.orderable, "navigable": self.navigable,
            "searchable": self.searchable, "clauseNames": self.clause_names,
        }
        if self.custom:
            json_type, custom_type = CF_TYPES[self.kind]
            entry["schema"] = {"type": json_type, "custom": custom_type,
                               "customId": self.custom_id}
        elif self.schema_type is not None:
            entry["schema"] = {"type": self.schema_type, "system": self.id}
        return entry

    def option(self, ref: str, by: str = "value") -> Option | None:
        for opt in self.options:
            if (by == "id" and opt.id == str(ref)) or (
                    by == "value" and opt.value.lower() == str(ref).lower()):
                return opt
        return None


SYSTEM_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("summary", "Summary", "summary", schema_type="string"),
    FieldDef("description", "Description", "text", orderable=False, schema_type="string"),
    FieldDef("status", "Status", "status", settable=False, schema_type="status"),
    FieldDef("statusCategory", "Status Category", "statuscategory", settable=False,
             in_issue=False, orderable=False),
    FieldDef("issuetype", "Issue Type", "issuetype", settable=False, aliases=("type",),
             schema_type="issuetype"),
    FieldDef("project", "Project", "project", settable=False, schema_type="project"),
    FieldDef("issuekey", "Key", "key", settable=False, in_issue=False,
             aliases=("id", "issue", "issuekey", "key")),
    FieldDef("priority", "Priority", "priority", schema_type="priority"),
    FieldDef("resolution", "Resolution", "resolution", settable=False,
             schema_type="resolution"),
    FieldDef("reporter", "Reporter", "user", schema_type="user"),
    FieldDef("assignee", "Assignee", "user", schema_type="user"),
    FieldDef("labels", "Labels", "labels", schema_type="array"),
    FieldDef("created", "Created", "datetime", settable=False, aliases=("createdDate",),
             schema_type="datetime"),
    FieldDef("updated", "Updated", "datetime", settable=False, aliases=("updatedDate",),
             schema_type="datetime"),
    FieldDef("resolutiondate", "Resolved", "datetime", settable=False, aliases=("resolved",),
             schema_type="datetime"),
    FieldDef("comment", "Comment", "comments", settable=False, navigable=False,
             orderable=False, schema_type="comments-page"),
)

#: (numeric id, name, kind, options) of the default custom fields.
DEFAULT_CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"id": 10010, "name": "Organization", "type": "string"},
    {"id": 10011, "name": "Support Tier", "type": "option",
     "options": ["Basic", "Standard", "Premium", "Enterprise"]},
    {"id": 10012, "name": "Tier", "type": "string"},
    {"id": 10013, "name": "Tier", "type": "option", "options": ["Bronze", "Silver", "Gold"]},
    {"id": 10014, "name": "Coverage", "type": "string"},
    {"id": 10015, "name": "First Response Due", "type": "datetime"},
    {"id": 10016, "name": "Resolution Due", "type": "datetime"},
    {"id": 10017, "name": "SLA Breached", "type": "option", "options": ["Yes", "No"]},
    {"id": 10018, "name": "Contract Number", "type": "string"},
    {"id": 10019, "name": "Severity", "type": "option",
     "options": ["sev1", "sev2", "sev3", "sev4"]},
    {"id": 10020, "name": "First Response At", "type": "datetime"},
)


def custom_field(spec: Mapping[str, Any] | FieldDef, first_option_id: int) -> FieldDef:
    """A custom ``FieldDef`` from ``{"id": 10010 | "customfield_10010", "name", "type",
    "options"?}``; option ids are numbered from ``first_option_id``."""
    if isinstance(spec, FieldDef):
        return spec
    raw_id = str(spec["id"])
    field_id = raw_id if raw_id.startswith("customfield_") else f"customfield_{int(raw_id)}"
    if not _CF_ID.match(field_id):
        raise ValueError(f"custom field id must be customfield_NNNNN, not {raw_id!r}")
    kind = str(spec.get("type", "string"))
    if kind not in CF_TYPES:
        raise ValueError(f"custom field type must be one of {sorted(CF_TYPES)}, not {kind!r}")
    options = tuple(Option(str(first_option_id + i), str(v))
                    for i, v in enumerate(spec.get("options") or ()))
    if kind == "option" and not options:
        raise ValueError(f"option field {field_id} needs options")
    return FieldDef(field_id, str(spec["name"]), kind, custom=True, options=options)


@dataclass
class FieldCatalog:
    """All fields of the site, in ``/field`` order (system first)."""

    fields: list[FieldDef] = field(default_factory=list)

    @classmethod
    def build(cls, custom: Iterable[Mapping[str, Any] | FieldDef] | None = None
              ) -> FieldCatalog:
        specs = list(DEFAULT_CUSTOM_FIELDS if custom is None else custom)
        customs: list[FieldDef] = []
        next_option = 10100
        for spec in specs:
            made = custom_field(spec, next_option)
            next_option += 100
            customs.append(made)
        ids = [f.id for f in customs]
        if len(set(ids)) != len(ids):
            raise ValueError("custom field ids must be unique")
        return cls(list(SYSTEM_FIELDS) + customs)

    def by_id(self, field_id: str) -> FieldDef | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None

    def issue_fields(self) -> list[FieldDef]:
        return [f for f in self.fields if f.in_issue]

    def resolve_clause(self, name: str) -> list[FieldDef]:
        """Every field a JQL clause name can mean: ``cf[N]``, a system clause
        name, or a custom field's name (case-insensitive). ``customfield_N`` is
        not a JQL name (Jira refuses it too)."""
        match = _CF_CLAUSE.match(name)
        if match:
            found = self.by_id(f"customfield_{match.group(1)}")
            return [found] if found and found.custom else []
        lowered = name.lower()
        for f in self.fields:
            if not f.custom and any(c.lower() == lowered for c in f.clause_names):
                return [f]
        return [f for f in self.fields if f.custom and f.name.lower() == lowered]
