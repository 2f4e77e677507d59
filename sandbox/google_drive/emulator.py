"""``DriveEmulator``: a stateful Google Drive v3 API for tests and the sandbox.

Usage::

    emu = DriveEmulator(clock=fake_clock)
    with emu:
        key = emu.write_key_file(tmp_path / "key.json")   # token_uri -> the emulator
        settings = {"api_endpoint": emu.base_url + "/", "key_file": str(key),
                    "ca_bundle": emu.ca_bundle}
    emu.add_fault(pattern=r"GET /drive/v3/files$", status=429, retry_after=7, times=1)
    emu.calls.count("POST /upload/drive/v3/files")
    emu.trash(file_id); emu.replace_content(file_id, b"...")   # tampering, as a user would

``.app`` is the WSGI app wrapped in ``FaultyApp`` (faults fire before
authentication).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.faults import CallLog, FaultRule, FaultyApp
from sandbox.google_drive.app import DriveApp
from sandbox.google_drive.auth import TOKEN_PATH, ServiceAccount
from sandbox.google_drive.errors import error_body
from sandbox.google_drive.store import FOLDER, ROOT_ID, DriveFile, DriveStore
from sandbox.server import Served, as_clock


class DriveEmulator(Served):
    """One Drive (My Drive of one service account)."""

    served_as = "google_drive"

    def __init__(self, clock: Any = None, token_lifetime: float = 3600) -> None:
        self.now = as_clock(clock)
        self.store = DriveStore(self.now)
        self.account = ServiceAccount(self.now, token_lifetime)
        self.api = DriveApp(self.store, self.account)
        sleep = clock.sleep if hasattr(clock, "sleep") else None
        self.faults = FaultyApp(self.api, default_body=error_body, sleep=sleep)

    # serving ------------------------------------------------------------------
    @property
    def app(self) -> FaultyApp:
        return self.faults

    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    @property
    def token_uri(self) -> str:
        return self.base_url + TOKEN_PATH

    def key_file(self) -> dict[str, Any]:
        return self.account.key_file(self.token_uri)

    def write_key_file(self, path: Path) -> Path:
        return self.account.write_key_file(Path(path), self.token_uri)

    def add_fault(self, **kwargs: Any) -> FaultRule:
        return self.faults.add_rule(**kwargs)

    # inspection -----------------------------------------------------------------
    def files(self, *, include_trashed: bool = False) -> list[DriveFile]:
        with self.store.lock:
            return [f for f in self.store.live_files()
                    if (include_trashed or not f.trashed) and f.mime_type != FOLDER]

    def folders(self, *, include_trashed: bool = False) -> list[DriveFile]:
        with self.store.lock:
            return [f for f in self.store.live_files()
                    if (include_trashed or not f.trashed) and f.mime_type == FOLDER]

    def path_of(self, file_id: str) -> str:
        """``Contracts/Acme/C-1/C-1-v1.pdf`` from the root, following first parents."""
        with self.store.lock:
            names, f = [], self.store.files.get(file_id)
            while f is not None and f.id != ROOT_ID:
                names.append(f.name)
                f = self.store.files.get(f.parents[0]) if f.parents else None
            return "/".join(reversed(names))

    def folder(self, name: str, parent: str = "root") -> DriveFile:
        """Create a folder directly (seeding, as a user would)."""
        return self.store.create({"name": name, "mimeType": FOLDER, "parents": [parent]}, None)

    # tampering, as a user of the Drive UI would ------------------------------
    def trash(self, file_id: str) -> None:
        self.store.update(file_id, {"trashed": True})

    def delete(self, file_id: str) -> None:
        self.store.delete(file_id)

    def rename(self, file_id: str, name: str) -> None:
        self.store.update(file_id, {"name": name})

    def move(self, file_id: str, folder_id: str) -> None:
        f = self.store.get(file_id)
        self.store.update(file_id, {}, add_parents=folder_id, remove_parents=",".join(f.parents))

    def replace_content(self, file_id: str, content: bytes) -> None:
        self.store.update(file_id, {}, content=content)
