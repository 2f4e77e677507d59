"""Start every sandbox emulator at once and say how to reach it from ``contracthub.yaml``.

``start_sandbox()`` serves each emulator over HTTPS on 127.0.0.1 (ephemeral
ports, the process's throwaway CA) and returns a ``Sandbox`` whose
``connections(ca_bundle)`` is a ready ``connections:`` block and whose
``syncs(mappings)`` pairs each connection with its shipped mappings.

The emulators accept fixed, published sandbox credentials (``SANDBOX_*``
below): they are not secrets, nothing but these emulators accepts them, and
writing them into a sandbox config keeps the walk-through to one command.

An emulator is added here by one ``Launcher`` entry: its start function and
the connection settings and syncs that go with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SANDBOX_CLIENT_ID = "contracthub-sandbox"
SANDBOX_SECRET = "sandbox-only-not-a-secret"
SANDBOX_JIRA_EMAIL = "integration@contracthub.example"
SANDBOX_TENANT = "contoso-sandbox"


@dataclass
class Running:
    """One started emulator: the object itself and how the hub talks to it."""

    name: str
    emulator: Any
    settings: dict[str, Any]
    syncs: list[tuple[str, str]]          # (sync name, mapping file name)
    url: str

    def stop(self) -> None:
        self.emulator.stop()


@dataclass
class Sandbox:
    running: dict[str, Running] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.running[name].emulator

    def connections(self, ca_bundle: str) -> dict[str, dict[str, Any]]:
        return {name: {**r.settings, "ca_bundle": ca_bundle} for name, r in self.running.items()}

    def syncs(self, mappings: Path, every: str = "1m") -> list[dict[str, Any]]:
        return [{"name": sync, "connection": name, "mapping": str(mappings / file),
                 "every": every}
                for name, r in self.running.items() for sync, file in r.syncs]

    def urls(self) -> dict[str, str]:
        return {name: r.url for name, r in self.running.items()}

    def stop(self) -> None:
        for r in reversed(list(self.running.values())):
            r.stop()
        self.running.clear()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _salesforce(clock: Any) -> Running:
    from sandbox.salesforce import SalesforceEmulator

    emu = SalesforceEmulator(clock=clock, client_id=SANDBOX_CLIENT_ID,
                             client_secret=SANDBOX_SECRET, daily_limit=1_000_000)
    emu.start()
    return Running("salesforce", emu, {
        "type": "salesforce", "login_url": emu.login_url, "api_version": "60.0",
        "auth": {"method": "client_credentials", "client_id": SANDBOX_CLIENT_ID,
                 "client_secret": SANDBOX_SECRET}},
        [("sf_accounts", "salesforce_accounts.yaml"),
         ("sf_contracts", "salesforce_contracts.yaml")], emu.base_url)


def _jira(clock: Any) -> Running:
    from sandbox.jira.emulator import JiraEmulator

    emu = JiraEmulator(mode="cloud", clock=clock, api_token=SANDBOX_SECRET)
    emu.start()
    email, _ = emu.basic_auth
    return Running("jira", emu, {
        "type": "jira", "url": emu.base_url, "projects": ["SUP"],
        "auth": {"email": email, "api_token": SANDBOX_SECRET},
        "customer_rule": {"field": "Organization"},
        "contract_url": "https://contracthub.example/contracts/{number}"},
        [("jira_tickets", "jira_tickets.yaml")], emu.base_url)


def _dynamics(clock: Any) -> Running:
    from sandbox.dataverse.launch import launch_dynamics

    return launch_dynamics(clock)


def _sharepoint(clock: Any) -> Running:
    from sandbox.microsoft_graph.launch import launch_sharepoint

    return launch_sharepoint(clock)  # type: ignore[no-any-return]


def _drive(clock: Any) -> Running:
    from sandbox.google_drive.launch import launch_drive

    return launch_drive(clock)  # type: ignore[no-any-return]


Launcher = Callable[[Any], Running]
LAUNCHERS: dict[str, Launcher] = {"salesforce": _salesforce, "jira": _jira,
                                  "dynamics": _dynamics, "sharepoint": _sharepoint,
                                  "drive": _drive}


def start_sandbox(clock: Any = None, only: Iterable[str] | None = None) -> Sandbox:
    """Start the chosen emulators (default: all); stops the started ones on failure."""
    names = list(only) if only else list(LAUNCHERS)
    unknown = [n for n in names if n not in LAUNCHERS]
    if unknown:
        raise ValueError(f"unknown emulator {unknown[0]!r} (known: {', '.join(LAUNCHERS)})")
    box = Sandbox()
    try:
        for name in names:
            box.running[name] = LAUNCHERS[name](clock)
    except BaseException:
        box.stop()
        raise
    return box


def shipped_mappings() -> Path:
    """The ``mappings/`` folder that ships with the project."""
    return Path(__file__).resolve().parents[1] / "mappings"


def write_config(box: Sandbox, folder: Path, *, store_url: str = "sqlite:///contracthub.db",
                 every: str = "1m") -> Path:
    """``folder/contracthub.yaml`` reaching every running emulator, next to a copy of
    the sandbox CA (``sandbox-ca.pem``) so the file keeps working on its own."""
    import shutil

    import yaml

    from sandbox import tls

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tls.ca_bundle_path(), folder / "sandbox-ca.pem")
    config = {"store": {"url": store_url, "blobs": "blobs"}, "actor": "admin",
              "connections": box.connections("sandbox-ca.pem"),
              "syncs": box.syncs(shipped_mappings(), every)}
    path = folder / "contracthub.yaml"
    header = ("# Written by `contracthub sandbox`: the emulators listen on these ports only\n"
              "# while that command runs. The credentials are the sandbox's fixed,\n"
              "# published ones (sandbox/launch.py), accepted by nothing else.\n")
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
