"""What goes wrong with a mapping, said so an admin can fix it.

Two kinds of failure, grouped by what should happen next (STYLE.md, point 3):

- ``MappingError`` — the config itself is wrong: fix it first. It carries one
  ``Problem`` per mistake, each naming the file, line, column and field.
- ``FieldValueError`` — one record's value cannot be converted: the engine
  dead-letters that record and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import ConfigError, SkipRecord

PathPart = str | int
FieldPath = tuple[PathPart, ...]


def render_path(path: Sequence[PathPart]) -> str:
    """``('fields', 2, 'direction')`` -> ``fields[2].direction``; ``()`` -> ``(file)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(file)"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a mapping file.

    ``str(problem)`` is exactly
    ``FILE:LINE:COLUMN: field.path: what is wrong (what would be right)``;
    the parenthesised hint is left out when there is none. Lines and columns
    count from 1 and point at the offending YAML node (the key or the value).
    """

    path: str
    line: int
    column: int
    field_path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.column}: {self.field_path}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class MappingError(ConfigError):
    """A mapping file that cannot be used; ``problems`` lists every mistake found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid mapping")


class FieldValueError(SkipRecord):
    """One value of one record could not be converted by the field's transforms.

    ``field`` is the local field name (the remote one for outbound-only
    fields), ``value`` the value as it was given to the mapping.
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        self.field = field
        self.value = value
        self.message = message
        super().__init__(f"{field}: cannot convert {_short(value)}: {message}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
