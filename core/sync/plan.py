"""What a cycle did (counts) or would do (a dry-run plan with field-level diffs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    pulled: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    pushed: int = 0
    conflicts: int = 0
    dead_lettered: int = 0
    api_calls: int = 0


@dataclass
class PlannedChange:
    direction: str  # in (to the store) | out (to the remote)
    action: str  # create | update | delete | conflict | dead-letter
    key: str
    diff: dict[str, Any]
    extra: str = ""


@dataclass
class Plan:
    """Collected during a dry run: every change the cycle would make, nothing written."""

    sync: str
    changes: list[PlannedChange] = field(default_factory=list)

    def note(self, direction: str, action: str, key: str, diff: dict[str, Any],
             extra: str = "") -> None:
        self.changes.append(PlannedChange(direction, action, key, diff, extra))

    def totals(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for c in self.changes:
            out[(c.direction, c.action)] = out.get((c.direction, c.action), 0) + 1
        return out
