"""``contracthub sandbox``: start every emulator and write a config that reaches them."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer
import yaml

from core.cli.app import app


@app.command()
def sandbox(
    folder: Path = typer.Option(Path("sandbox-hub"), "--dir",
                                help="Where to write contracthub.yaml and sandbox-ca.pem."),
    only: list[str] = typer.Option([], "--only", help="Start only these emulators."),
) -> None:
    """Run the local emulators (HTTPS on 127.0.0.1) until Ctrl-C; print their connections."""
    from sandbox.launch import start_sandbox, write_config

    try:
        box = start_sandbox(only=only or None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with box:
        path = write_config(box, folder)
        block = {"connections": box.connections(str(folder / "sandbox-ca.pem"))}
        # plain echo, not rich: the block must stay valid YAML at any terminal width
        typer.echo(yaml.safe_dump(block, sort_keys=False))
        for name, url in box.urls().items():
            typer.echo(f"{name:<12} {url}")
        typer.echo(f"\nwrote {path}; in another terminal:\n"
                   f"  contracthub --config {path} sync\n"
                   "Ctrl-C stops the emulators (their data lives in memory).")
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    typer.echo("sandbox stopped")
