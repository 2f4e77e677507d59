"""A Google Drive v3 emulator: service-account tokens, files, uploads, changes.

See ``sandbox.google_drive.emulator.DriveEmulator``.
"""

from sandbox.google_drive.emulator import DriveEmulator

__all__ = ["DriveEmulator"]
