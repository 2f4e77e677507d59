"""The ``contracthub sandbox`` launcher for Dynamics 365: a Dataverse org and its sign-in.

Starts the Microsoft identity emulator with the sandbox's fixed, published
credentials (``sandbox.launch.SANDBOX_*``: accepted by nothing else) and a
Dataverse org that accepts its tokens, and says how ``contracthub.yaml``
reaches them (the ``dynamics`` connection and its two shipped syncs).
"""

from __future__ import annotations

from typing import Any


def launch_dynamics(clock: Any) -> Any:
    from sandbox.dataverse.emulator import DataverseEmulator
    from sandbox.launch import SANDBOX_CLIENT_ID, SANDBOX_SECRET, SANDBOX_TENANT, Running
    from sandbox.microsoft_identity import IdentityEmulator

    identity = IdentityEmulator(clock=clock, tenant_id=SANDBOX_TENANT,
                                client_id=SANDBOX_CLIENT_ID,
                                client_secret=SANDBOX_SECRET).start()
    try:
        emu = DataverseEmulator(clock, validate=identity.validate).start()
    except BaseException:
        identity.stop()
        raise
    identity.add_resource(emu.org_url)
    emu.identity = identity  # stopped with the org
    return Running("dynamics", emu, {
        "type": "dynamics", "org_url": emu.org_url, "api_version": "9.2",
        "auth": {"tenant_id": SANDBOX_TENANT, "client_id": SANDBOX_CLIENT_ID,
                 "client_secret": SANDBOX_SECRET, "authority_host": identity.base_url}},
        [("dyn_accounts", "dynamics_accounts.yaml"),
         ("dyn_contracts", "dynamics_contracts.yaml")], emu.org_url)
