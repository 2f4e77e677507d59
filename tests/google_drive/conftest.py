"""A started Drive emulator, a service-account key for it, and connectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.google_drive import GoogleDriveConnector
from core.clock import FakeClock
from sandbox.google_drive import DriveEmulator

SMALL_CHUNK = 256 * 1024
LARGE = 1024 * 1024 + 300 * 1024  # over 1 MiB, over the test threshold, 6 chunks


@pytest.fixture
def drive_clock(request: pytest.FixtureRequest) -> FakeClock:
    if "clock" in request.fixturenames:
        return request.getfixturevalue("clock")
    return FakeClock()


@pytest.fixture
def drive(drive_clock: FakeClock) -> Iterator[DriveEmulator]:
    emu = DriveEmulator(clock=drive_clock)
    with emu:
        yield emu


@pytest.fixture
def drive_settings(drive: DriveEmulator, tmp_path: Path) -> dict[str, Any]:
    key = drive.write_key_file(tmp_path / "drive-key.json")
    return {"type": "google_drive", "api_endpoint": drive.base_url + "/", "key_file": str(key),
            "ca_bundle": drive.ca_bundle, "root_folder": "Archive", "timeout": 20,
            "upload_chunk_bytes": SMALL_CHUNK, "resumable_above_bytes": 512 * 1024}


@pytest.fixture
def make_drive(drive_settings: dict[str, Any], drive_clock: FakeClock
               ) -> Callable[..., GoogleDriveConnector]:
    def make(**overrides: Any) -> GoogleDriveConnector:
        return GoogleDriveConnector(name="drive", settings={**drive_settings, **overrides},
                                    clock=drive_clock)
    return make


class DriveRemote:
    """What a person could do in Drive, for the storage contract."""

    can_trash = True
    large_size = LARGE

    def __init__(self, emu: DriveEmulator, clock: FakeClock) -> None:
        self.emu, self.clock = emu, clock

    def trash(self, remote_id: str) -> None:
        self.emu.trash(remote_id)

    def delete(self, remote_id: str) -> None:
        self.emu.delete(remote_id)

    def rename(self, remote_id: str, name: str) -> None:
        self.emu.rename(remote_id, name)

    def move_to_new_folder(self, remote_id: str, folder_name: str) -> None:
        self.emu.move(remote_id, self.emu.folder(folder_name).id)

    def replace_content(self, remote_id: str, content: bytes) -> None:
        self.emu.replace_content(remote_id, content)

    def file_count(self) -> int:
        return len(self.emu.files())

    def folder_paths(self) -> list[str]:
        return [self.emu.path_of(f.id) for f in self.emu.folders()]

    def upload_calls(self) -> int:
        return self.emu.calls.count(r"(POST|PUT|PATCH) /upload/drive/v3/files.*")

    def fail_one_upload_chunk(self) -> None:
        self.emu.add_fault(pattern=r"^PUT /upload/drive/v3/files", status=503, after=1, times=1)

    def rate_limit_next_read(self, retry_after: float) -> None:
        # the first rule answers 403 userRateLimitExceeded, as Drive does for per-user quota
        self.emu.add_fault(pattern=r"^GET /drive/v3/files", status=403, times=1,
                           retry_after=retry_after)

    def expire_cursors(self) -> None:
        self.emu.store.expire_tokens()


@pytest.fixture
def drive_remote(drive: DriveEmulator, drive_clock: FakeClock) -> DriveRemote:
    return DriveRemote(drive, drive_clock)
