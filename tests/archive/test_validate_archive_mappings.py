"""`mappings validate` (CLI and API) checks an archive mapping as an archive mapping."""

from __future__ import annotations

from pathlib import Path

from core.api.mappings import check_text
from core.cli.mappings_cmd import check_file
from core.config import HubConfig

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "drive_archive.yaml"


def cfg(**connections) -> HubConfig:
    return HubConfig(store={"url": "sqlite://"}, connections=connections)


def test_the_shipped_archive_mapping_validates_in_the_cli_and_the_api():
    config = cfg(drive={"type": "google_drive", "key_file": "k.json"})
    problems, detail = check_file(config, str(SHIPPED), "drive")
    assert problems == [] and "archive of executed, certificate documents" in detail
    problems, detail = check_text(config, SHIPPED.read_text(), "drive_archive.yaml", "drive")
    assert problems == [] and "connection 'drive' (google_drive)" in detail


def test_a_wrong_connection_is_named_with_its_line():
    config = cfg(other={"type": "google_drive", "key_file": "k.json"})
    problems, _ = check_text(config, SHIPPED.read_text(), "drive_archive.yaml", None)
    [p] = problems
    assert p.path == "drive_archive.yaml" and p.field_path == "archive.connection"
    assert "'drive' is not configured" in p.message and p.line > 1
