"""A hub (SQLite and PostgreSQL) with executed documents, and a Drive emulator to archive to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.archive.engine import ArchiveResult, archive_cycle
from core.archive.mapping import ArchiveMapping, load_archive_mapping
from core.clock import FakeClock
from core.documents import add_document
from core.hub import Hub
from tests.factories import contract, customer
from tests.google_drive.conftest import (  # noqa: F401 - fixtures
    DriveRemote,
    drive,
    drive_remote,
    drive_settings,
    make_drive,
)

PATH = ("Contracts/{customer.name}/{contract.number}/"
        "{contract.number}-{document.kind}-v{version}.{ext}")
MAPPING = f"""\
version: 1
archive:
  connection: drive
  path: "{PATH}"
  kinds: [executed, certificate]
  retention:
    default: 7y
    by_kind: {{certificate: 30d}}
"""


@pytest.fixture
def drive_clock(clock: FakeClock) -> FakeClock:
    return clock


@pytest.fixture
def archive_mapping(tmp_path: Path) -> ArchiveMapping:
    path = tmp_path / "drive_archive.yaml"
    path.write_text(MAPPING)
    return load_archive_mapping(path)


def pdf_bytes(number: str, kind: str, version: int = 1) -> bytes:
    return f"%PDF-1.7 {number} {kind} v{version}\n".encode() + bytes(range(256)) * 4


def seed(hub: Hub, tmp_path: Path, contracts: int = 3, *, end: date = date(2026, 3, 31)
         ) -> dict[str, int]:
    """Contracts C-0.. each with an executed PDF; C-0 also a certificate and a draft.
    Returns document ids by "C-n kind"."""
    blobs = hub.blobs()
    ids: dict[str, int] = {}
    with hub.session() as s, s.begin():
        cust = customer(s, "Acme: Widgets / EU")
        for n in range(contracts):
            contract(s, cust, f"C-{n}", start_date=date(end.year, 1, 1), end_date=end)
        files = [(f"C-{n}", "executed") for n in range(contracts)] + \
            [("C-0", "certificate"), ("C-0", "draft")]
        for number, kind in files:
            f = tmp_path / f"{number}-{kind}.pdf"
            f.write_bytes(pdf_bytes(number, kind))
            doc, _ = add_document(s, blobs, number, f, kind=kind, actor="legal",
                                  now=hub.clock.now())
            ids[f"{number} {kind}"] = doc.id
    return ids


@pytest.fixture
def cycle(hub: Hub, make_drive: Callable[..., Any],  # noqa: F811 - the fixture
          archive_mapping: ArchiveMapping) -> Callable[[], ArchiveResult]:
    conn = make_drive()

    def run() -> ArchiveResult:
        return archive_cycle(hub, "drive", conn, archive_mapping)
    run.connector = conn  # type: ignore[attr-defined]
    return run
