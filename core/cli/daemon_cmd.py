"""``contracthub daemon``: run every configured sync on its schedule until stopped."""

from __future__ import annotations

import typer

from core.cli.app import app
from core.config import config_path


@app.command()
def daemon(ctx: typer.Context,
           log_format: str = typer.Option("text", help="text or json (one line per cycle)."),
           metrics_port: int | None = typer.Option(
               None, help="Serve /metrics and /healthz on 127.0.0.1:PORT (0: any free port).")
           ) -> None:
    """Run the sync daemon (SIGTERM/SIGINT stop gracefully, SIGHUP reloads)."""
    import scheduler

    if log_format not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--log-format")
    raise typer.Exit(scheduler.main(str(config_path(ctx.obj.get("config"))), log_format,
                                    metrics_port))
