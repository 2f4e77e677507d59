"""Graph tests: the identity and Graph emulators on the sandbox clock, connectors on them
(real msal, plain requests, HTTPS), and the remote side for the storage contract.

(The sandbox fixtures are imported: pytest refuses ``pytest_plugins`` below the top level.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.microsoft_graph import GraphConnector
from core.clock import FakeClock
from sandbox.fixtures import *  # noqa: F401,F403

FRAGMENT = 320 * 1024
LARGE = 1024 * 1024 + 300 * 1024  # over 1 MiB and the test threshold: 5 fragments


@pytest.fixture
def graph_settings(graph_sandbox: Any, microsoft_identity: Any) -> dict[str, Any]:
    client_id, secret = microsoft_identity.client_credentials()
    return {"type": "microsoft_graph", "graph_url": graph_sandbox.graph_url,
            "auth": {"tenant_id": microsoft_identity.tenant_id, "client_id": client_id,
                     "client_secret": secret, "authority_host": microsoft_identity.base_url},
            "site": {"hostname": "contoso.sharepoint.com", "path": "/sites/contracts",
                     "library": "Documents"},
            "root_folder": "Archive", "ca_bundle": graph_sandbox.server.ca_bundle,
            "timeout": 20, "upload_fragment_bytes": FRAGMENT,
            "session_above_bytes": 512 * 1024}


@pytest.fixture
def make_graph(graph_settings: dict[str, Any], sandbox_clock: FakeClock
               ) -> Callable[..., GraphConnector]:
    def make(**overrides: Any) -> GraphConnector:
        return GraphConnector(name="sharepoint", settings={**graph_settings, **overrides},
                              clock=sandbox_clock)
    return make


class GraphRemote:
    """What a person could do in the SharePoint library, for the storage contract."""

    can_trash = False  # a Graph DELETE is the recycle bin: delta reports it as deleted
    large_size = LARGE

    def __init__(self, emu: Any, clock: FakeClock) -> None:
        self.emu, self.clock = emu, clock
        self.store = emu.store

    def _item(self, remote_id: str) -> Any:
        return self.store.item(self.emu.drive.id, remote_id)

    def trash(self, remote_id: str) -> None:
        self.delete(remote_id)

    def delete(self, remote_id: str) -> None:
        with self.store.lock:
            self.store.delete(self._item(remote_id))

    def rename(self, remote_id: str, name: str) -> None:
        with self.store.lock:
            self.store.update(self._item(remote_id), name, None)

    def move_to_new_folder(self, remote_id: str, folder_name: str) -> None:
        with self.store.lock:
            root = self.store.items[self.emu.drive.root_id]
            folder, _ = self.store.create_folder(root, folder_name, "replace")
            self.store.update(self._item(remote_id), None, folder)

    def replace_content(self, remote_id: str, content: bytes) -> None:
        with self.store.lock:
            item = self._item(remote_id)
            self.store.put_file(self.store.items[item.parent_id], item.name, content,
                                item.mime, "replace")

    def file_count(self) -> int:
        return len(self.emu.files())

    def folder_paths(self) -> list[str]:
        return [self.emu.path(i) for i in self.emu.live() if i.is_folder]

    def upload_calls(self) -> int:
        return self.emu.calls.count(r"PUT /upload/.*") + self.emu.calls.count(
            r"PUT /v1.0/drives/.*/content")

    def fail_one_upload_chunk(self) -> None:
        self.emu.add_fault(pattern=r"^PUT /upload/", status=503, after=1, times=1,
                           retry_after=1)

    def rate_limit_next_read(self, retry_after: float) -> None:
        self.emu.add_fault(pattern=r"^GET /v1.0/drives/", status=429, times=1,
                           retry_after=retry_after)

    def expire_cursors(self) -> None:
        self.emu.expire_delta_tokens()


@pytest.fixture
def graph_remote(graph_sandbox: Any, sandbox_clock: FakeClock) -> GraphRemote:
    return GraphRemote(graph_sandbox, sandbox_clock)
