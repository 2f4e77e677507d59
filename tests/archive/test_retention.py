"""Retention: past-retention documents purged only on --apply; nothing within retention, ever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.archive import purge
from core.archive.models import ArchivedCopy, PurgedDocument
from core.archive.retention import PurgeCandidate
from core.models import AuditEvent, Document
from tests.archive.conftest import seed


def test_dry_run_lists_apply_removes_copies_and_bytes(hub, drive, cycle, archive_mapping,
                                                      tmp_path):
    ids = seed(hub, tmp_path)
    cycle()
    assert purge.plan(hub, [archive_mapping]) == []  # nothing is past retention yet
    hub.clock.advance(timedelta(days=60))  # certificates: 30 days after the contract ended
    planned = purge.plan(hub, [archive_mapping])
    assert [c.document_id for c in planned] == [ids["C-0 certificate"]]
    assert len(drive.files()) == 4  # a plan removes nothing
    blobs = hub.blobs()
    cert_sha = planned[0].sha256
    assert blobs.path(cert_sha).exists()

    done = purge.apply(hub, [archive_mapping], {"drive": cycle.connector}, blobs)

    assert [(o.candidate.document_id, o.done) for o in done] == [(ids["C-0 certificate"], True)]
    assert len(drive.files()) == 3
    assert not blobs.path(cert_sha).exists()
    with hub.session() as s:
        copy = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-0 certificate"]))
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "document.purged"))
        executed = s.get(Document, ids["C-0 executed"])
        assert blobs.path(executed.sha256).exists()
        assert s.get(PurgedDocument, ids["C-0 certificate"]) is not None
    assert copy.state == "removed"
    assert event.payload["copies_removed"] == [f"drive:{copy.remote_id}"]
    again = cycle()  # the purged copy is neither re-archived nor "restored"
    assert (again.uploaded, again.guard.restored, again.guard.lost) == (0, 0, 0)
    assert purge.plan(hub, [archive_mapping]) == []


def test_nothing_within_retention_is_removed_even_if_asked(hub, drive, cycle, archive_mapping,
                                                           tmp_path):
    ids = seed(hub, tmp_path)
    cycle()
    with hub.session() as s:
        doc = s.get(Document, ids["C-1 executed"])
        copy = s.scalar(select(ArchivedCopy).where(ArchivedCopy.document_id == doc.id))
        forged = PurgeCandidate(doc.id, "C-1", "executed", 1, doc.sha256,
                                hub.clock.now() - timedelta(days=1),
                                (("drive", copy.remote_id),))
    outcome = purge._purge_one(hub, forged, [archive_mapping], {"drive": cycle.connector},
                               hub.blobs(), {doc.id: forged})
    assert (outcome.done, outcome.note) == (False, "within retention: kept")
    assert len(drive.files()) == 4 and hub.blobs().path(doc.sha256).exists()


def test_executed_documents_are_retained_without_any_archive_mapping(hub, tmp_path):
    seed(hub, tmp_path)
    hub.clock.advance(timedelta(days=365 * 6))
    assert purge.plan(hub, []) == []  # executed: 7 years by default; others: not retained
    hub.clock.advance(timedelta(days=365 * 2))
    assert {c.kind for c in purge.plan(hub, [])} == {"executed"}


def test_a_copy_on_an_unconfigured_connection_keeps_the_document(hub, drive, cycle,
                                                                 archive_mapping, tmp_path):
    seed(hub, tmp_path)
    cycle()
    hub.clock.advance(timedelta(days=60))
    done = purge.apply(hub, [archive_mapping], {}, hub.blobs())
    assert [o.done for o in done] == [False]
    assert "not configured" in done[0].note
    assert len(drive.files()) == 4
