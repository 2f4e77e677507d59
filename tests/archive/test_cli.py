"""The archive from the command line: `sync drive-archive`, `status`, `retention purge`."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.archive.job import ArchiveJob
from core.clock import FakeClock
from core.hub import open_hub
from core.sync.engine import run_cycle
from core.sync.jobs import build_jobs
from tests.archive.conftest import seed
from tests.cli.conftest import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub_dir(tmp_path: Path, drive) -> Path:
    return make_hub_dir(tmp_path, drive)


def make_hub_dir(tmp_path: Path, drive, seeded_at: FakeClock | None = None,
                 end: date = date(2026, 3, 31)) -> Path:
    drive.write_key_file(tmp_path / "key.json")
    shutil.copy(ROOT / "mappings" / "drive_archive.yaml", tmp_path / "drive_archive.yaml")
    (tmp_path / "contracthub.yaml").write_text(f"""\
store: {{url: "sqlite:///hub.db"}}
actor: tester
connections:
  drive:
    type: google_drive
    key_file: key.json
    root_folder: Archive
    api_endpoint: "{drive.base_url}/"
    ca_bundle: "{drive.ca_bundle}"
syncs:
  - {{name: drive-archive, connection: drive, mapping: drive_archive.yaml, every: 10m}}
""")
    hub = open_hub(tmp_path / "contracthub.yaml", clock=seeded_at)
    (tmp_path / "files").mkdir()
    seed(hub, tmp_path / "files", end=end)
    hub.engine.dispose()
    return tmp_path


def ok(cwd: Path, *args: str) -> str:
    r = run(cwd, *args)
    assert r.returncode == 0, f"{args}: {r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r.stdout


def test_sync_archives_then_restores_and_status_reports(hub_dir, drive):
    planned = ok(hub_dir, "sync", "drive-archive", "--dry-run")
    assert "drive-archive: ok (dry run)" in planned and "pushed 4" in planned
    assert drive.files() == []
    out = ok(hub_dir, "sync", "drive-archive")
    assert "drive-archive: ok" in out and "pushed 4" in out
    assert len(drive.files()) == 4
    again = ok(hub_dir, "sync", "drive-archive")
    assert "pushed 0" in again and len(drive.files()) == 4
    victim = next(f for f in drive.files() if f.name == "C-1-executed-v1.pdf")
    drive.delete(victim.id)
    restored = ok(hub_dir, "sync", "drive-archive")
    assert "updated 1" in restored
    assert any(f.name == "C-1-executed-v1.pdf" for f in drive.files())
    status = ok(hub_dir, "status")
    assert "drive-archive: last run" in status
    assert "archive: copies drive archived 3, drive restored 1" in status
    assert "C-1 executed v1 deleted -> restored at Contracts/" in status
    assert "nothing is past its retention period" in ok(hub_dir, "retention", "purge")
    assert "nothing is past" in ok(hub_dir, "retention", "purge", "--apply")


def test_a_broken_archive_mapping_is_one_clear_error(hub_dir):
    (hub_dir / "drive_archive.yaml").write_text(
        "version: 1\narchive:\n  connection: drive\n  path: 'C/{contract.nubmer}.pdf'\n")
    r = run(hub_dir, "sync", "drive-archive")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "drive_archive.yaml:4:9: archive.path: unknown placeholder {contract.nubmer}" \
        in r.stderr
    r = run(hub_dir, "retention", "purge")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "unknown placeholder" in r.stderr


def test_the_daemon_path_builds_and_runs_an_archive_job(hub_dir, drive):
    """build_jobs + run_cycle, as scheduler.py calls them."""
    hub = open_hub(hub_dir / "contracthub.yaml")
    try:
        [job] = build_jobs(hub)
        assert isinstance(job, ArchiveJob) and job.connector.kind == "storage"
        result = run_cycle(hub, job)
        assert (result.status, result.counts.pushed) == ("ok", 4)
        assert result.counts.api_calls > 0
    finally:
        hub.engine.dispose()
    assert len(drive.files()) == 4


def test_retention_purge_dry_run_then_apply(tmp_path, drive):
    """Documents signed in 2015 under contracts that ended in 2014: past 7 and 10 years."""
    where = make_hub_dir(tmp_path, drive, FakeClock(datetime(2015, 1, 10, tzinfo=UTC)),
                         end=date(2014, 12, 31))
    ok(where, "sync", "drive-archive")
    assert len(drive.files()) == 4
    planned = ok(where, "retention", "purge")
    assert "4 document(s) past retention; run with --apply" in planned
    assert "C-0 certificate v1 (retained until 2025-01-10; drive:" in planned
    assert len(drive.files()) == 4 and (where / "blobs").exists()
    applied = ok(where, "retention", "purge", "--apply")
    assert applied.count(": purged") == 4
    assert drive.files() == []
    left = [p for p in (where / "blobs").rglob("*") if p.is_file()]
    assert len(left) == 1  # the draft: drafts have no retention and are not purged
    assert "nothing is past its retention period" in ok(where, "retention", "purge")
    assert "pushed 0" in ok(where, "sync", "drive-archive")  # purged: not archived again
