"""Google Drive connection settings, read once and checked (errors name the key, never a value).

``key_file`` and ``ca_bundle`` are read relative to the folder of
``contracthub.yaml`` (the engine passes it as ``_config_folder``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import ConfigError
from connectors.settings import number_setting

DEFAULT_ENDPOINT = "https://www.googleapis.com/"
CHUNK_QUANTUM = 256 * 1024
KNOWN_KEYS = {"type", "api_endpoint", "key_file", "root_folder", "ca_bundle", "timeout",
              "upload_chunk_bytes", "resumable_above_bytes", "_config_folder"}


@dataclass(frozen=True)
class DriveSettings:
    name: str
    key_file: Path
    api_endpoint: str = DEFAULT_ENDPOINT
    root_folder: str = "contracthub"
    ca_bundle: str | None = None
    timeout: float = 60.0
    upload_chunk_bytes: int = 8 * 1024 * 1024
    resumable_above_bytes: int = 5 * 1024 * 1024

    @property
    def drive_endpoint(self) -> str:
        """The ``api_endpoint`` the client library wants: the service path included."""
        return self.api_endpoint.rstrip("/") + "/drive/v3/"


def parse_settings(name: str, raw: Mapping[str, Any]) -> DriveSettings:
    where = f"connection {name!r}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS - {'_config_folder'}))})")
    folder = Path(str(raw.get("_config_folder", ".")))
    if not raw.get("key_file"):
        raise ConfigError(f"{where}: key_file (the service account's JSON key) is required")
    key_file = folder / str(raw["key_file"])
    if not key_file.is_file():
        raise ConfigError(f"{where}: key_file {key_file} does not exist")
    endpoint = str(raw.get("api_endpoint", DEFAULT_ENDPOINT))
    if not endpoint.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: api_endpoint must be an https:// URL")
    ca = raw.get("ca_bundle")
    ca_path = str(folder / str(ca)) if ca else None
    if ca_path and not Path(ca_path).is_file():
        raise ConfigError(f"{where}: ca_bundle {ca_path} does not exist")
    chunk = int(number_setting(where, raw, "upload_chunk_bytes", 8 * 1024 * 1024,
                               low=CHUNK_QUANTUM, high=1024 * 1024 * 1024))
    if chunk % CHUNK_QUANTUM:
        raise ConfigError(f"{where}: upload_chunk_bytes must be a multiple of 262144 (256 KiB)")
    root = str(raw.get("root_folder", "contracthub")).strip().strip("/")
    if not root:
        raise ConfigError(f"{where}: root_folder must name a folder (or give a folder id)")
    return DriveSettings(
        name=name, key_file=key_file, api_endpoint=endpoint, root_folder=root,
        ca_bundle=ca_path, timeout=number_setting(where, raw, "timeout", 60.0, low=1, high=600),
        upload_chunk_bytes=chunk,
        resumable_above_bytes=int(number_setting(where, raw, "resumable_above_bytes",
                                                 5 * 1024 * 1024, low=0)))
