"""The archive engine with the SharePoint connector (SQLite and PostgreSQL hubs): each
executed document lands once in its folder, a second run uploads nothing, and
deletion, renaming, moving and overwriting in the library are undone and reported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.archive.engine import ArchiveResult, archive_cycle
from core.archive.mapping import ArchiveMapping, load_archive_mapping
from core.archive.models import ArchivedCopy, ArchiveIncident
from core.hub import Hub
from tests.archive.conftest import pdf_bytes, seed

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
FOLDER = "Archive/Contracts/Acme_ Widgets _ EU"


@pytest.fixture
def cycle(hub: Hub, make_graph: Callable[..., Any]) -> Callable[[], ArchiveResult]:
    mapping: ArchiveMapping = load_archive_mapping(MAPPINGS / "sharepoint_archive.yaml")
    conn = make_graph()
    return lambda: archive_cycle(hub, "sharepoint", conn, mapping)


def test_shipped_mapping_archives_once_and_second_run_uploads_nothing(
        hub: Hub, graph_sandbox: Any, cycle: Callable[[], ArchiveResult],
        tmp_path: Path) -> None:
    seed(hub, tmp_path)
    first = cycle()
    assert (first.uploaded, first.found, first.failed) == (4, 0, [])
    files = graph_sandbox.files()
    assert sorted(files) == [f"{FOLDER}/C-0/C-0-certificate-v1.pdf",
                             f"{FOLDER}/C-0/C-0-executed-v1.pdf",
                             f"{FOLDER}/C-1/C-1-executed-v1.pdf",
                             f"{FOLDER}/C-2/C-2-executed-v1.pdf"]
    assert files[f"{FOLDER}/C-1/C-1-executed-v1.pdf"] == pdf_bytes("C-1", "executed")
    uploads = graph_sandbox.calls.count(r"PUT /v1.0/drives/.*/content")
    second = cycle()
    assert (second.uploaded, second.guard.restored) == (0, 0)
    assert graph_sandbox.calls.count(r"PUT /v1.0/drives/.*/content") == uploads == 4


def test_tampering_in_the_library_is_restored_and_reported(
        hub: Hub, graph_sandbox: Any, graph_remote: Any, cycle: Callable[[], ArchiveResult],
        tmp_path: Path) -> None:
    ids = seed(hub, tmp_path, contracts=4)
    cycle()
    with hub.session() as s:
        copy = {c.document_id: c for c in s.scalars(select(ArchivedCopy))}
    docs = [ids[f"C-{n} executed"] for n in range(4)]
    graph_remote.delete(copy[docs[0]].remote_id)
    graph_remote.rename(copy[docs[1]].remote_id, "old-contract.pdf")
    graph_remote.move_to_new_folder(copy[docs[2]].remote_id, "Elsewhere")
    graph_remote.replace_content(copy[docs[3]].remote_id, b"%PDF-1.7 forged")
    hub.clock.advance(timedelta(days=3))

    result = cycle()

    assert result.guard.restored == 4 and result.guard.lost == 0
    files = graph_sandbox.files()
    for n in range(4):
        assert files[f"{FOLDER}/C-{n}/C-{n}-executed-v1.pdf"] == pdf_bytes(f"C-{n}",
                                                                           "executed")
    with hub.session() as s:
        incidents = list(s.scalars(select(ArchiveIncident)))
        restored = {c.document_id: c for c in s.scalars(select(ArchivedCopy))}
    assert sorted(i.what for i in incidents) == ["content", "deleted", "moved", "renamed"]
    # an overwritten copy is put right in place: the same item keeps its id
    assert restored[docs[3]].remote_id == copy[docs[3]].remote_id
    after = cycle()
    assert (after.uploaded, after.guard.restored) == (0, 0)


def test_expired_delta_link_falls_back_to_checking_every_copy(
        hub: Hub, graph_sandbox: Any, graph_remote: Any, cycle: Callable[[], ArchiveResult],
        tmp_path: Path) -> None:
    ids = seed(hub, tmp_path)
    cycle()
    with hub.session() as s:
        victim = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-2 executed"]))
    graph_remote.replace_content(victim.remote_id, b"%PDF-1.7 other")
    graph_sandbox.expire_delta_tokens()
    result = cycle()
    assert result.full_check and result.guard.restored == 1 and result.guard.checked == 4
    assert cycle().full_check is False
