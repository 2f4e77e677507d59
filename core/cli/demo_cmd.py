"""``contracthub demo``: the whole hub against the local emulators, in one command."""

from __future__ import annotations

from pathlib import Path

import typer

from core.cli.app import app, console


@app.command()
def demo(
    folder: Path = typer.Option(Path("demo"), "--dir", help="Where the demo hub is written."),
    keep_running: bool = typer.Option(False, "--keep-running",
                                      help="Leave the emulators and the daemon running."),
    customers: int = typer.Option(50, min=1), contracts: int = typer.Option(120, min=1),
    tickets: int = typer.Option(300, min=0),
) -> None:
    """Start the emulators, load a sample book, sync until converged, show the result."""
    from core.demo.run import DemoSize, run_demo

    if contracts < customers:
        raise typer.BadParameter("needs at least one contract per customer",
                                 param_hint="--contracts")
    raise typer.Exit(run_demo(folder, DemoSize(customers, contracts, tickets), console,
                              keep_running=keep_running))
