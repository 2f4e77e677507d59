"""The archive mapping file: what to archive where, and how long it must stay.

::

    version: 1
    archive:
      connection: drive                    # a storage connection in contracthub.yaml
      path: "Contracts/{customer.name}/{contract.number}/{contract.number}-v{version}.{ext}"
      kinds: [executed, certificate]       # document kinds archived (default: executed)
      retention:
        default: 7y                        # 7y, 18m, 90d; counted from the later of the
        by_kind:                           # document's date and the contract's end date
          certificate: 10y

Every mistake is reported as ``FILE:LINE:COLUMN: field: message (hint)``, all
at once (``MappingError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.archive.paths import template_problems
from core.documents import KINDS
from core.mapping.problems import MappingError, Problem, render_path
from core.mapping.yamlsource import locate, parse_yaml

_PERIOD = re.compile(r"^(\d{1,4})\s*([ymd])$")
TOP_KEYS = {"version", "archive"}
ARCHIVE_KEYS = {"connection", "path", "kinds", "retention"}
RETENTION_KEYS = {"default", "by_kind"}


@dataclass(frozen=True)
class Period:
    """A retention period in whole years, months or days."""

    amount: int
    unit: str  # y | m | d

    def after(self, start: datetime) -> datetime:
        if self.unit == "d":
            return start + timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        index = start.month - 1 + months
        year, month = start.year + index // 12, index % 12 + 1
        for day in (start.day, 30, 29, 28):
            try:
                return start.replace(year=year, month=month, day=day)
            except ValueError:
                continue
        raise AssertionError("unreachable")

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class ArchiveMapping:
    source: Path
    connection: str
    path: str
    kinds: tuple[str, ...] = ("executed",)
    retention: Period = Period(7, "y")
    retention_by_kind: dict[str, Period] = field(default_factory=dict)

    def period_for(self, kind: str) -> Period:
        return self.retention_by_kind.get(kind, self.retention)


def parse_period(text: Any) -> Period | None:
    m = _PERIOD.match(str(text).strip().lower()) if isinstance(text, str | int) else None
    return Period(int(m.group(1)), m.group(2)) if m else None


def is_archive_mapping(path: Path) -> bool:
    """Whether a mapping file is an archive mapping (a top-level ``archive:`` key)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return is_archive_text(text)


def is_archive_text(text: str) -> bool:
    """Whether a mapping's text is an archive mapping (a top-level ``archive:`` key)."""
    return any(line.startswith("archive:") for line in text.splitlines())


def load_archive_mapping(path: Path) -> ArchiveMapping:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError([Problem(str(path), 1, 1, "(file)", f"cannot read: "
                                    f"{exc.strerror or exc}")]) from None
    src = parse_yaml(text)
    problems: list[Problem] = []

    def add(where: tuple[Any, ...], message: str, hint: str = "", key: bool = False) -> None:
        line, col = locate(src.locations, where, key=key)
        problems.append(Problem(str(path), line, col, render_path(where), message, hint))

    for where, line, col, message, hint in src.problems:
        problems.append(Problem(str(path), line, col, render_path(where), message, hint))
    if problems:
        raise MappingError(problems)
    data = src.data if isinstance(src.data, dict) else {}
    if not isinstance(src.data, dict):
        add((), "an archive mapping is a YAML mapping", "start with version: 1 and archive:")
        raise MappingError(problems)
    for k in sorted(set(data) - TOP_KEYS, key=str):
        add((k,), f"unknown key {k!r}", "an archive mapping has version and archive", key=True)
    if data.get("version") != 1:
        add(("version",), "version must be 1", "add version: 1 at the top")
    arch = data.get("archive")
    if not isinstance(arch, dict):
        add(("archive",), "archive must be a mapping",
            "give connection, path, kinds and retention under archive:")
        raise MappingError(problems)
    for k in sorted(set(arch) - ARCHIVE_KEYS, key=str):
        add(("archive", k), f"unknown key {k!r}",
            f"known: {', '.join(sorted(ARCHIVE_KEYS))}", key=True)
    connection = arch.get("connection")
    if not isinstance(connection, str) or not connection.strip():
        add(("archive", "connection"), "connection must name a storage connection",
            "like connection: drive")
    template = arch.get("path")
    if not isinstance(template, str) or not template.strip():
        add(("archive", "path"), "path must be a path template",
            "like Contracts/{customer.name}/{contract.number}/{contract.number}-v{version}.pdf")
    else:
        for message, hint in template_problems(template):
            add(("archive", "path"), message, hint)
    kinds = arch.get("kinds", ["executed"])
    if not isinstance(kinds, list) or not kinds:
        add(("archive", "kinds"), "kinds must be a non-empty list", "like [executed]")
        kinds = []
    for i, kind in enumerate(kinds):
        if kind not in KINDS:
            add(("archive", "kinds", i), f"unknown document kind {kind!r}",
                f"use {', '.join(KINDS)}")
    default, by_kind = _retention(arch.get("retention", {}), add)
    if problems:
        raise MappingError(problems)
    return ArchiveMapping(source=Path(path), connection=str(connection), path=str(template),
                          kinds=tuple(kinds), retention=default, retention_by_kind=by_kind)


def _retention(raw: Any, add: Any) -> tuple[Period, dict[str, Period]]:
    where = ("archive", "retention")
    if not isinstance(raw, dict):
        add(where, "retention must be a mapping", "like {default: 7y, by_kind: {certificate: 10y}}")
        return Period(7, "y"), {}
    for k in sorted(set(raw) - RETENTION_KEYS, key=str):
        add(where + (k,), f"unknown key {k!r}", "retention has default and by_kind", key=True)
    default = parse_period(raw.get("default", "7y"))
    if default is None:
        add(where + ("default",), f"{raw.get('default')!r} is not a period",
            "write years, months or days like 7y, 18m, 90d")
    by_kind: dict[str, Period] = {}
    kinds = raw.get("by_kind", {})
    if not isinstance(kinds, dict):
        add(where + ("by_kind",), "by_kind must map a document kind to a period",
            "like by_kind: {certificate: 10y}")
        kinds = {}
    for kind, text in kinds.items():
        if kind not in KINDS:
            add(where + ("by_kind", kind), f"unknown document kind {kind!r}",
                f"use {', '.join(KINDS)}", key=True)
        period = parse_period(text)
        if period is None:
            add(where + ("by_kind", kind), f"{text!r} is not a period",
                "write years, months or days like 7y, 18m, 90d")
        else:
            by_kind[str(kind)] = period
    return default or Period(7, "y"), by_kind


def check_archive_file(file: str, sync_connection: str | None,
                       connections: dict[str, Any]) -> tuple[list[Problem], str]:
    """``contracthub mappings validate`` for an archive mapping: (problems, what was checked),
    the shape of ``core.cli.mappings_cmd.check_file``."""
    try:
        mapping = load_archive_mapping(Path(file))
    except MappingError as exc:
        return exc.problems, ""
    src = parse_yaml(Path(file).read_text(encoding="utf-8"))
    line, col = locate(src.locations, ("archive", "connection"))

    def at(message: str, hint: str) -> list[Problem]:
        return [Problem(file, line, col, "archive.connection", message, hint)]
    if sync_connection is not None and mapping.connection != sync_connection:
        return at(f"connection is {mapping.connection!r} but the sync using this file uses "
                  f"{sync_connection!r}", f"use connection: {sync_connection}"), ""
    settings = connections.get(mapping.connection)
    if settings is None:
        return at(f"connection {mapping.connection!r} is not configured",
                  f"configured: {', '.join(sorted(connections)) or 'none'}"), ""
    return [], (f"archive of {', '.join(mapping.kinds)} documents to connection "
                f"{mapping.connection!r} ({settings.get('type')})")
