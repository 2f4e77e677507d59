"""Idempotency at the size the issue names: 200 documents archived twice make 200 files."""

from __future__ import annotations

import os
import time

from core.archive.engine import archive_cycle
from core.documents import add_document
from tests.factories import contract, customer

DOCS = int(os.environ.get("CONTRACTHUB_ARCHIVE_SCALE", "200"))


def test_two_hundred_documents_twice_make_two_hundred_files(sqlite_hub, drive, make_drive,
                                                           archive_mapping, tmp_path):
    """SQLite only: this measures the archive and Drive, not the store."""
    hub, conn = sqlite_hub, make_drive()

    def cycle():
        return archive_cycle(hub, "drive", conn, archive_mapping)
    blobs = hub.blobs()
    with hub.session() as s, s.begin():
        customers = [customer(s, f"Customer {n}") for n in range(10)]
        for n in range(DOCS):
            contract(s, customers[n % 10], f"K-{n:03d}")
            f = tmp_path / f"K-{n:03d}.pdf"
            f.write_bytes(f"%PDF-1.7 executed K-{n:03d}".encode())
            add_document(s, blobs, f"K-{n:03d}", f, kind="executed", actor="legal",
                         now=hub.clock.now())
    started = time.monotonic()
    first = cycle()
    first_seconds = time.monotonic() - started
    requests_first = len(drive.calls)
    second = cycle()
    requests_second = len(drive.calls) - requests_first
    assert (first.uploaded, second.uploaded) == (DOCS, 0)
    assert len(drive.files()) == DOCS
    assert drive.calls.count(r"POST /upload/drive/v3/files") == DOCS
    paths = [drive.path_of(f.id) for f in drive.folders()]
    assert len(paths) == len(set(paths)) == 2 + 10 + DOCS  # Archive, Contracts, customers
    assert requests_second <= 3  # a quiet re-run: the changes feed, nothing per document
    print(f"\narchive of {DOCS} documents: {first_seconds:.1f}s, {requests_first} requests; "
          f"re-run {requests_second} requests")
