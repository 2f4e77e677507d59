"""``GraphEmulator``: Microsoft Graph drives (OneDrive for Business / SharePoint) over HTTPS.

Usage::

    identity = IdentityEmulator(clock=clock).start()
    graph = GraphEmulator(identity, clock=clock).start()
    graph.site, graph.drive                  # a site /sites/contracts with library "Documents"
    graph.files()                            # {path: bytes} of the live files
    graph.expire_delta_tokens()              # older delta links answer 410 resyncRequired
    graph.faults.add_rule(pattern="PUT /upload/", status=503, times=1, retry_after=1)

Bearer tokens are checked with ``identity.validate``; ``.calls`` logs every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.faults import CallLog, FaultRule, FaultyApp
from sandbox.microsoft_graph.app import GraphApp
from sandbox.microsoft_graph.errors import fault_body
from sandbox.microsoft_graph.store import Drive, GraphStore, Item, Site
from sandbox.server import Served, as_clock

SITE_HOST = "contoso.sharepoint.com"


class GraphEmulator(Served):
    served_as = "microsoft-graph"

    def __init__(self, identity: Any, clock: Any = None, *, site_name: str = "contracts",
                 library: str = "Documents", delta_page_size: int = 200,
                 sleep: Callable[[float], None] | None = None,
                 stop_identity: bool = False) -> None:
        self.identity = identity
        self.stop_identity = stop_identity  # the launcher's own sign-in goes with it
        self.store = GraphStore(as_clock(clock))
        self.site: Site = self.store.add_site(SITE_HOST, site_name, "Contracts")
        self.drive: Drive = self.store.add_drive(library, self.site.id)
        self.api = GraphApp(self.store, identity.validate, delta_page_size)
        if sleep is None and hasattr(clock, "sleep"):
            sleep = clock.sleep
        self.faults = FaultyApp(self.api, default_body=fault_body, sleep=sleep)

    def stop(self) -> None:
        super().stop()
        if self.stop_identity:
            self.identity.stop()

    @property
    def graph_url(self) -> str:
        """What the connector's ``graph_url`` setting points at."""
        return self.base_url + "/v1.0"

    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    def add_fault(self, **kwargs: Any) -> FaultRule:
        return self.faults.add_rule(**kwargs)

    def add_library(self, name: str, columns: dict[str, bool] | None = None) -> Drive:
        return self.store.add_drive(name, self.site.id, columns)

    def expire_delta_tokens(self, drive: Drive | None = None) -> None:
        with self.store.lock:
            (drive or self.drive).delta_epoch += 1

    # inspection ----------------------------------------------------------------
    def live(self, drive: Drive | None = None) -> list[Item]:
        drive = drive or self.drive
        with self.store.lock:
            return [i for i in self.store.live_items(drive.id) if i.parent_id is not None]

    def path(self, item: Item) -> str:
        with self.store.lock:
            return "/".join(self.store.path_of(item))

    def files(self, drive: Drive | None = None) -> dict[str, bytes]:
        return {self.path(i): i.content for i in self.live(drive) if not i.is_folder}

    def folders(self, drive: Drive | None = None) -> list[str]:
        return sorted(self.path(i) for i in self.live(drive) if i.is_folder)

    def item_at(self, path: str, drive: Drive | None = None) -> Item | None:
        drive = drive or self.drive
        with self.store.lock:
            try:
                return self.store.resolve(self.store.items[drive.root_id], path)
            except Exception:
                return None
