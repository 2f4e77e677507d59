"""One rich table for benchmark rows: dicts whose keys are the columns (blank where absent)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

TEXT = ("benchmark", "case", "figures", "note")


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def print_rows(title: str, rows: list[dict[str, Any]], console: Console | None = None) -> None:
    table = Table(title=title)
    cols = columns_of(rows)
    for c in cols:
        table.add_column(c, justify="left" if c in TEXT else "right")
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in cols))
    if console is None:
        console = Console()
        if not console.is_terminal:  # a file or a pipe: no wrapping at 80 columns
            console = Console(width=200)
    console.print(table)
