"""``contracthub init`` and ``contracthub db upgrade``."""

from __future__ import annotations

from pathlib import Path

import typer

from core.cli.app import UserError, app, console, hub_from
from core.config import INIT_TEMPLATE, config_path
from core.db import current_revision, upgrade

db = typer.Typer(help="The contract store.", no_args_is_help=True)
app.add_typer(db, name="db")


@app.command()
def init(ctx: typer.Context,
         force: bool = typer.Option(False, help="Overwrite an existing config file.")) -> None:
    """Write a commented contracthub.yaml and create the store."""
    path: Path = config_path(ctx.obj.get("config"))
    if path.exists() and not force:
        raise UserError(f"{path} already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(INIT_TEMPLATE, encoding="utf-8")
    ctx.obj["config"] = path
    hub = hub_from(ctx, auto_migrate=True)
    console.print(f"wrote {path}; store ready at {hub.engine.url.render_as_string()}")


@db.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the store's migrations (also creates a new store)."""
    from core.config import load_config
    from core.db import make_engine

    cfg = load_config(ctx.obj.get("config"))
    engine = make_engine(cfg.store_url)
    upgrade(engine)
    console.print(f"store at revision {current_revision(engine)}")
