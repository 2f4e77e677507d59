"""The Drive connector's settings, error table and token handling, over real HTTPS."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import trustme

from connectors.base import ConfigError, RetryLater, StopSync
from connectors.google_drive import GoogleDriveConnector
from connectors.google_drive.errors import NotFound
from tests.archive.storage_contract import pdf, props


def test_settings_errors_name_the_key_never_the_value(drive_settings, tmp_path, drive_clock):
    def make(**over):
        return GoogleDriveConnector(name="drive", settings={**drive_settings, **over},
                                    clock=drive_clock)
    with pytest.raises(ConfigError, match="key_file .* does not exist"):
        make(key_file=str(tmp_path / "nope.json"))
    with pytest.raises(ConfigError, match="upload_chunk_bytes must be a multiple of 262144"):
        make(upload_chunk_bytes=300000)
    with pytest.raises(ConfigError, match="unknown setting 'folder'"):
        make(folder="x")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"type": "service_account", "private_key": "SECRET-PEM"}))
    with pytest.raises(ConfigError) as err:
        make(key_file=str(broken))
    assert "not a service-account JSON key" in str(err.value)
    assert "SECRET" not in str(err.value)


def test_root_folder_by_name_is_created_once_and_by_id_is_used(make_drive, drive):
    first = make_drive()
    first.check()
    make_drive().check()
    roots = [f for f in drive.folders() if f.name == "Archive"]
    assert len(roots) == 1
    by_id = make_drive(root_folder=roots[0].id)
    stored = by_id.put("X/y.pdf", pdf(1), props(1, pdf(1)))
    assert drive.path_of(stored.remote_id) == "Archive/X/y.pdf"


def test_wrong_ca_is_stop_sync_naming_ca_bundle(drive_settings, drive_clock, tmp_path):
    other = tmp_path / "other-ca.pem"
    other.write_bytes(trustme.CA().cert_pem.bytes())
    conn = GoogleDriveConnector(name="drive", settings={**drive_settings,
                                                       "ca_bundle": str(other)},
                                clock=drive_clock)
    with pytest.raises(StopSync, match="ca_bundle"):
        conn.check()


def test_refused_credentials_stop_the_sync_without_retrying(make_drive, drive):
    conn = make_drive()
    conn.check()
    drive.faults.reset_log()
    drive.add_fault(pattern=r"^GET /drive/v3/files", status=401)
    with pytest.raises(StopSync) as err:
        conn.find({"contracthub_document": "1"})
    assert "ya29" not in str(err.value)
    # google-auth refreshes (up to twice) on a 401; the hub then stops, no retry policy
    assert drive.calls.count(r"GET /drive/v3/files") == 3
    assert drive.calls.count(r"POST /token") == 2


def test_forbidden_is_stop_sync_but_5xx_is_retried(make_drive, drive, drive_clock):
    conn = make_drive()
    conn.check()
    drive.add_fault(pattern=r"^GET /drive/v3/files$", status=500, times=2)
    assert conn.find({"contracthub_document": "1"}) is None
    assert drive.calls.statuses(r"GET /drive/v3/files").count(500) == 2
    drive.add_fault(pattern=r"^GET /drive/v3/files$", status=403,
                    body={"error": {"code": 403, "message": "The user does not have "
                                    "sufficient permissions for this file.",
                                    "errors": [{"domain": "global",
                                                "reason": "insufficientFilePermissions",
                                                "message": "no"}]}})
    with pytest.raises(StopSync, match="insufficientFilePermissions"):
        conn.find({"contracthub_document": "1"})


def test_server_errors_that_persist_end_in_retry_later(make_drive, drive):
    conn = make_drive()
    conn.check()
    drive.add_fault(pattern=r"^GET /drive/v3/files$", status=503)
    with pytest.raises(RetryLater):
        conn.find({"contracthub_document": "1"})
    assert drive.calls.statuses(r"GET /drive/v3/files").count(503) == 6  # the policy's attempts


def test_expired_access_token_is_refreshed_transparently(make_drive, drive, drive_clock):
    conn = make_drive()
    stored = conn.put("A/b.pdf", pdf(1), props(1, pdf(1)))
    issued = drive.account.issued
    drive_clock.advance(timedelta(hours=2))  # past the token's lifetime on Drive's clock
    assert conn.get(stored.remote_id) is not None
    assert drive.account.issued == issued + 1


def test_missing_file_is_none_for_get_and_not_found_for_fetch(make_drive):
    conn = make_drive()
    conn.check()
    assert conn.get("0" * 28) is None
    with pytest.raises(NotFound):
        conn.fetch("0" * 28)


def test_a_create_whose_answer_was_lost_is_not_made_twice(make_drive, drive):
    """Drive created the file but the answer never arrived (a 503 after the fact):
    the retry finds the file by its properties instead of uploading again."""
    inner = drive.faults.app
    lost = {"left": 1}

    def answer_lost(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith("/upload") \
                and lost["left"]:
            lost["left"] -= 1
            b"".join(inner(environ, lambda *a, **k: None))  # Drive does the work...
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": {"code": 503, "message": "Backend Error", "errors": []}}']
        return inner(environ, start_response)

    conn = make_drive()
    conn.check()
    drive.faults.app = answer_lost
    try:
        stored = conn.put("A/lost.pdf", pdf(3), props(3, pdf(3)))
    finally:
        drive.faults.app = inner
    assert [f.id for f in drive.files()] == [stored.remote_id]


def test_the_sandbox_launcher_gives_a_working_connection(drive_clock):
    from sandbox.google_drive.launch import launch_drive

    running = launch_drive(drive_clock)
    try:
        settings = {**running.settings, "ca_bundle": running.emulator.ca_bundle}
        conn = GoogleDriveConnector(name=running.name, settings=settings, clock=drive_clock)
        conn.check()
        assert [f.name for f in running.emulator.folders()] == ["ContractHub Archive"]
        assert running.syncs == [("drive-archive", "drive_archive.yaml")]
    finally:
        running.stop()
