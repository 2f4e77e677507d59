"""archive_cycle against the Drive emulator: each executed document once, in its
folder; re-running uploads nothing; tampering is undone, audited and reported."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from core.archive.job import ArchiveJob
from core.archive.models import ArchivedCopy, ArchiveIncident
from core.archive.status import archive_lines, archive_status
from core.documents import add_document
from core.models import AuditEvent, Document
from tests.archive.conftest import pdf_bytes, seed

UPLOADS = r"POST /upload/drive/v3/files"


def live_by_path(drive):
    return {drive.path_of(f.id): f for f in drive.files()}


def test_each_archived_document_lands_once_in_its_folder(hub, drive, cycle, tmp_path):
    seed(hub, tmp_path)
    result = cycle()
    assert (result.uploaded, result.found, result.failed) == (4, 0, [])
    files = live_by_path(drive)
    assert sorted(files) == [
        "Archive/Contracts/Acme_ Widgets _ EU/C-0/C-0-certificate-v1.pdf",
        "Archive/Contracts/Acme_ Widgets _ EU/C-0/C-0-executed-v1.pdf",
        "Archive/Contracts/Acme_ Widgets _ EU/C-1/C-1-executed-v1.pdf",
        "Archive/Contracts/Acme_ Widgets _ EU/C-2/C-2-executed-v1.pdf",
    ]
    f = files["Archive/Contracts/Acme_ Widgets _ EU/C-1/C-1-executed-v1.pdf"]
    assert f.content == pdf_bytes("C-1", "executed")
    assert f.app_properties["sha256"] == hashlib.sha256(f.content).hexdigest()
    with hub.session() as s:
        copies = list(s.scalars(select(ArchivedCopy)))
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action
                                                         == "document.archived")))
    assert len(copies) == 4 and {c.state for c in copies} == {"archived"}
    assert len(events) == 4


def test_second_run_uploads_nothing(hub, drive, cycle, tmp_path):
    seed(hub, tmp_path)
    cycle()
    uploads = drive.calls.count(UPLOADS)
    second = cycle()
    assert (second.uploaded, second.guard.restored) == (0, 0)
    assert drive.calls.count(UPLOADS) == uploads == 4
    assert len(drive.files()) == 4


def test_lost_records_are_found_by_properties_not_uploaded_again(hub, drive, cycle, tmp_path):
    """A crash after the upload, before the commit: the next run finds the copies."""
    seed(hub, tmp_path)
    cycle()
    with hub.session() as s, s.begin():
        for c in s.scalars(select(ArchivedCopy)):
            s.delete(c)
    again = cycle()
    assert (again.uploaded, again.found) == (0, 4)
    assert drive.calls.count(UPLOADS) == 4 and len(drive.files()) == 4


def test_tampering_within_retention_is_restored_audited_and_reported(hub, drive, cycle,
                                                                    tmp_path):
    ids = seed(hub, tmp_path, contracts=5)
    cycle()
    with hub.session() as s:
        copy = {c.document_id: c for c in s.scalars(select(ArchivedCopy))}
    docs = [ids[f"C-{n} executed"] for n in range(5)]
    drive.trash(copy[docs[0]].remote_id)
    drive.delete(copy[docs[1]].remote_id)
    drive.rename(copy[docs[2]].remote_id, "old-contract.pdf")
    drive.move(copy[docs[3]].remote_id, drive.folder("Elsewhere").id)
    drive.replace_content(copy[docs[4]].remote_id, b"%PDF-1.7 forged")
    hub.clock.advance(timedelta(days=3))

    result = cycle()

    assert result.guard.restored == 5 and result.guard.lost == 0
    files = live_by_path(drive)
    for n in range(5):
        path = f"Archive/Contracts/Acme_ Widgets _ EU/C-{n}/C-{n}-executed-v1.pdf"
        live = [f for p, f in files.items() if p == path]
        assert live and live[-1].content == pdf_bytes(f"C-{n}", "executed"), path
    with hub.session() as s:
        restored = {c.document_id: c for c in s.scalars(select(ArchivedCopy))}
        incidents = list(s.scalars(select(ArchiveIncident).order_by(ArchiveIncident.id)))
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action
                                                         == "document.restored")))
    assert sorted(i.what for i in incidents) == ["content", "deleted", "moved", "renamed",
                                                 "trashed"]
    assert {i.action for i in incidents} == {"restored"}
    for d in docs:
        assert restored[d].state == "restored" and restored[d].remote_id != copy[d].remote_id
    assert sorted(e.payload["what"] for e in events) == sorted(i.what for i in incidents)
    lines = archive_lines(archive_status(hub))
    assert "incidents in the last 30 days: 5" in lines[0]
    assert any("C-1 executed v1 deleted -> restored" in line for line in lines)
    # a further cycle finds nothing more to do
    after = cycle()
    assert (after.uploaded, after.guard.restored) == (0, 0)


def test_past_retention_is_recorded_not_restored(hub, drive, cycle, tmp_path):
    ids = seed(hub, tmp_path)
    cycle()
    with hub.session() as s:
        cert = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-0 certificate"]))
    hub.clock.advance(timedelta(days=90))  # certificates: 30 days after the contract ends
    drive.delete(cert.remote_id)
    uploads = drive.calls.count(UPLOADS)
    result = cycle()
    assert (result.guard.restored, result.guard.lost) == (0, 1)
    assert drive.calls.count(UPLOADS) == uploads
    with hub.session() as s:
        row = s.get(ArchivedCopy, cert.id)
        incident = s.scalar(select(ArchiveIncident))
        lost = s.scalar(select(AuditEvent).where(AuditEvent.action == "document.archive_lost"))
    assert row.state == "lost" and incident.action == "past_retention"
    assert lost is not None and lost.payload["what"] == "deleted"
    assert any("NOT restored" in line for line in archive_lines(archive_status(hub)))


def test_refused_cursor_falls_back_to_checking_every_copy(hub, drive, cycle, tmp_path):
    ids = seed(hub, tmp_path)
    cycle()
    with hub.session() as s:
        victim = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-2 executed"]))
    drive.replace_content(victim.remote_id, b"%PDF-1.7 other")
    drive.store.expire_tokens()
    result = cycle()
    assert result.full_check and result.guard.restored == 1
    assert result.guard.checked == 4
    assert cycle().full_check is False  # the fresh cursor was kept


def test_rate_limits_wait_what_drive_asks(hub, drive, cycle, tmp_path, clock):
    seed(hub, tmp_path, contracts=1)
    drive.add_fault(pattern=r"^POST /upload/drive/v3/files", status=429, retry_after=30,
                    times=1)
    drive.add_fault(pattern=r"^GET /drive/v3/files$", status=403, retry_after=12, times=1,
                    after=2)
    result = cycle()
    assert result.uploaded == 2 and result.failed == []
    assert 30 in clock.sleeps and 12 in clock.sleeps
    assert drive.calls.statuses(r"POST /upload/drive/v3/files").count(429) == 1
    assert len(drive.files()) == 2


def test_a_deleted_folder_tree_is_recreated_for_the_restore(hub, drive, cycle, tmp_path):
    seed(hub, tmp_path)
    cycle()
    folder = next(f for f in drive.folders() if f.name == "C-1")
    drive.delete(folder.id)  # the folder and the executed copy in it
    result = cycle()  # the connector's folder cache still names the deleted folder
    assert result.guard.restored == 1
    paths = [drive.path_of(f.id) for f in drive.folders()]
    assert paths.count("Archive/Contracts/Acme_ Widgets _ EU/C-1") == 1
    assert "Archive/Contracts/Acme_ Widgets _ EU/C-1/C-1-executed-v1.pdf" in \
        [drive.path_of(f.id) for f in drive.files()]


def test_bytes_missing_from_the_store_are_reported_not_invented(hub, drive, cycle, tmp_path):
    ids = seed(hub, tmp_path)
    cycle()
    with hub.session() as s:
        copy = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-2 executed"]))
        sha = s.get(Document, ids["C-2 executed"]).sha256
    hub.blobs().path(sha).write_bytes(b"tampered on disk")
    drive.trash(copy.remote_id)
    result = cycle()
    assert (result.guard.restored, result.guard.lost) == (0, 1)
    with hub.session() as s:
        incident = s.scalar(select(ArchiveIncident))
    assert incident.action == "restore_failed" and "no longer matches" in incident.detail["error"]
    assert any("bytes are missing or altered" in line
               for line in archive_lines(archive_status(hub)))


def test_a_folder_the_credentials_cannot_write_fails_the_run_clearly(hub, drive, make_drive,
                                                                     archive_mapping, tmp_path):
    seed(hub, tmp_path, contracts=1)
    drive.add_fault(pattern=r"^POST /upload/drive/v3/files", status=403, body={"error": {
        "code": 403, "message": "The user does not have sufficient permissions for this file.",
        "errors": [{"domain": "global", "reason": "insufficientFilePermissions",
                    "message": "no"}]}})
    job = ArchiveJob("drive-archive", archive_mapping, make_drive())
    result = job.run_cycle(hub)
    assert result.status == "failed"
    assert "403 insufficientFilePermissions to files.create" in result.error
    with hub.session() as s:
        assert s.scalars(select(ArchivedCopy)).all() == []


def test_a_large_upload_that_never_completes_is_not_recorded(hub, drive, make_drive,
                                                             archive_mapping, tmp_path):
    seed(hub, tmp_path, contracts=1)
    big = pdf_bytes("C-0", "executed", 2) + bytes(700 * 1024)
    (tmp_path / "v2.pdf").write_bytes(big)
    with hub.session() as s, s.begin():
        doc, _ = add_document(s, hub.blobs(), "C-0", tmp_path / "v2.pdf", kind="executed",
                              actor="legal", now=hub.clock.now())
        v2 = doc.id
    conn = make_drive(resumable_above_bytes=256 * 1024)
    drive.add_fault(pattern=r"^PUT /upload/drive/v3/files", status=503, after=1)
    result = ArchiveJob("drive-archive", archive_mapping, conn).run_cycle(hub)
    assert result.status == "failed"
    with hub.session() as s:
        assert s.scalar(select(ArchivedCopy).where(ArchivedCopy.document_id == v2)) is None
    drive.faults.clear_rules()
    retry = ArchiveJob("drive-archive", archive_mapping, conn).run_cycle(hub)
    assert retry.status == "ok" and retry.counts.pushed == 1
    stored = [f for f in drive.files()
              if f.app_properties.get("contracthub_document") == str(v2)]
    assert len(stored) == 1 and stored[0].content == big
    assert drive.path_of(stored[0].id).endswith("C-0/C-0-executed-v2.pdf")


def test_a_copy_with_our_properties_but_other_bytes_is_not_taken_for_ours(hub, drive, cycle,
                                                                          tmp_path):
    """After the records are lost, a content-replaced file still carries the document's
    properties: find() sees it, its sha256 says it is not the document."""
    ids = seed(hub, tmp_path, contracts=1)
    cycle()
    with hub.session() as s, s.begin():
        copy = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-0 executed"]))
        forged_id = copy.remote_id
        for c in s.scalars(select(ArchivedCopy)):
            s.delete(c)
    drive.replace_content(forged_id, b"%PDF-1.7 forged")
    again = cycle()
    assert (again.uploaded, again.found) == (1, 1)
    with hub.session() as s:
        now = s.scalar(select(ArchivedCopy).where(
            ArchivedCopy.document_id == ids["C-0 executed"]))
    assert now.remote_id != forged_id
    assert drive.store.get(now.remote_id).content == pdf_bytes("C-0", "executed")
