"""The ``contracthub sandbox`` launcher for SharePoint: a Graph drive and its sign-in.

Starts the Microsoft identity emulator with the sandbox's fixed, published
credentials (``sandbox.launch.SANDBOX_*``: accepted by nothing else) and a Graph
emulator trusting its tokens (site ``/sites/contracts``, library ``Documents``),
and says how ``contracthub.yaml`` reaches them: the ``sharepoint`` connection and
the shipped ``sharepoint_archive.yaml`` archive.
"""

from __future__ import annotations

from typing import Any


def launch_sharepoint(clock: Any) -> Any:
    from sandbox.launch import SANDBOX_CLIENT_ID, SANDBOX_SECRET, SANDBOX_TENANT, Running
    from sandbox.microsoft_graph.emulator import SITE_HOST, GraphEmulator
    from sandbox.microsoft_identity import IdentityEmulator

    identity = IdentityEmulator(clock=clock, tenant_id=SANDBOX_TENANT,
                                client_id=SANDBOX_CLIENT_ID,
                                client_secret=SANDBOX_SECRET).start()
    try:
        emu = GraphEmulator(identity, clock=clock, stop_identity=True).start()
    except BaseException:
        identity.stop()
        raise
    return Running("sharepoint", emu, {
        "type": "microsoft_graph", "graph_url": emu.graph_url,
        "auth": {"tenant_id": SANDBOX_TENANT, "client_id": SANDBOX_CLIENT_ID,
                 "client_secret": SANDBOX_SECRET, "authority_host": identity.base_url},
        "site": {"hostname": SITE_HOST, "path": "/sites/contracts", "library": "Documents"},
        "root_folder": "ContractHub Archive"},
        [("sp_archive", "sharepoint_archive.yaml")], emu.graph_url)
