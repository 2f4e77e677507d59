"""The SharePoint sandbox launcher: its settings reach the emulators through the
registered connector, and stopping it stops its sign-in too."""

from __future__ import annotations

from typing import Any

from connectors.base import load_connector
from sandbox import tls
from sandbox.microsoft_graph.launch import launch_sharepoint


def test_launched_sharepoint_takes_an_archive(sandbox_clock: Any) -> None:
    running = launch_sharepoint(sandbox_clock)
    try:
        settings = {**running.settings, "ca_bundle": tls.ca_bundle_path()}
        conn = load_connector(settings["type"], name="sharepoint", settings=settings,
                              clock=sandbox_clock)
        stored = conn.put("Contracts/C-1/C-1-v1.pdf", b"%PDF-1.7", {
            "contracthub_document": "1", "sha256": "x"})
        assert stored.path == "Contracts/C-1/C-1-v1.pdf"
        assert running.emulator.files() == {
            "ContractHub Archive/Contracts/C-1/C-1-v1.pdf": b"%PDF-1.7"}
        assert running.syncs == [("sp_archive", "sharepoint_archive.yaml")]
    finally:
        running.stop()
    assert running.emulator.server is None and running.emulator.identity.server is None
