"""The records the store keeps: issues, comments, remote links, change history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.jira.workflow import Project


@dataclass
class Comment:
    id: str
    body: str
    author: str  # account id
    created: datetime
    updated: datetime


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    payload: dict[str, Any]  # object, application, relationship, globalId as sent


@dataclass
class ChangeItem:
    """One changed field of a history entry (``field`` is the field's name for
    custom fields, the id for system ones, as Jira writes it)."""

    field: str
    field_id: str
    fieldtype: str
    from_id: str | None
    from_string: str | None
    to_id: str | None
    to_string: str | None

    def wire(self) -> dict[str, Any]:
        return {"field": self.field, "fieldtype": self.fieldtype, "fieldId": self.field_id,
                "from": self.from_id, "fromString": self.from_string, "to": self.to_id,
                "toString": self.to_string}


@dataclass
class History:
    id: str
    author: str
    created: datetime
    items: list[ChangeItem]


@dataclass
class Issue:
    """An issue: ``values`` maps field ids to internal values (see ``values``),
    including ``status``, ``created``, ``updated`` and ``resolutiondate``."""

    id: str
    key: str
    project: Project
    values: dict[str, Any]
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])

    @property
    def created(self) -> datetime:
        return self.values["created"]  # type: ignore[no-any-return]

    @property
    def updated(self) -> datetime:
        return self.values["updated"]  # type: ignore[no-any-return]

    @property
    def status(self) -> str:
        return str(self.values["status"])

    def get(self, field_id: str) -> Any:
        return self.values.get(field_id)

    def status_history(self) -> list[tuple[datetime, str | None, str | None]]:
        """(when, from status name, to status name) for every status change, oldest first."""
        out = []
        for history in self.histories:
            for item in history.items:
                if item.field_id == "status":
                    out.append((history.created, item.from_string, item.to_string))
        return out
