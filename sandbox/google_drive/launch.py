"""The ``contracthub sandbox`` launcher for Google Drive.

Starts the Drive emulator, writes its service-account key file (a throwaway
key, accepted by nothing but this emulator) into a private temporary folder
removed at exit, and says how ``contracthub.yaml`` reaches it: the ``drive``
connection and the shipped ``drive_archive.yaml`` archive. Ready for one
``LAUNCHERS`` entry in ``sandbox/launch.py``::

    def _drive(clock):
        from sandbox.google_drive.launch import launch_drive
        return launch_drive(clock)
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any


def launch_drive(clock: Any) -> Any:
    from sandbox.google_drive import DriveEmulator
    from sandbox.launch import Running

    emu = DriveEmulator(clock=clock)
    emu.start()
    folder = Path(tempfile.mkdtemp(prefix="contracthub-sandbox-drive-"))
    atexit.register(shutil.rmtree, folder, True)
    key = emu.write_key_file(folder / "drive-service-account.json")
    return Running("drive", emu, {
        "type": "google_drive", "api_endpoint": emu.base_url + "/", "key_file": str(key),
        "root_folder": "ContractHub Archive"},
        [("drive-archive", "drive_archive.yaml")], emu.base_url)
