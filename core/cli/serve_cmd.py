"""``contracthub serve`` (the HTTP API in uvicorn) and ``contracthub tokens create|list|revoke``.

``serve`` checks the store first (a PostgreSQL store that is behind stops
here with the command to run), then starts uvicorn with ``--workers``
processes, each running ``core.api.app_from_config`` on the same config.

``tokens create`` prints the new token once, on stdout, alone on its line (so
``TOKEN=$(contracthub tokens create ...)`` works); the store keeps only its
hash. Creating and revoking are audited with the config's ``actor``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from core.cli.app import UserError, app, console, err_console, hub_from, print_json
from core.tokens import ROLES, TokenError, create_token, list_tokens, revoke_token

tokens = typer.Typer(help="API tokens for `contracthub serve` (roles: viewer, agent, admin).",
                     no_args_is_help=True)
app.add_typer(tokens, name="tokens")


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@app.command("serve")
def serve(ctx: typer.Context,
          host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8080, "--port", help="Port to listen on."),
          workers: int = typer.Option(0, "--workers", min=0,
                                      help="Worker processes [default: one per CPU, at most 8]."),
          access_log: bool = typer.Option(True, "--access-log/--no-access-log",
                                          help="Log one line per request (never the token)."),
          log_level: str = typer.Option("info", "--log-level",
                                        help="uvicorn log level: critical, error, warning, "
                                             "info, debug.")) -> None:
    """Serve the entitlement and admin HTTP API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    hub = hub_from(ctx)  # a broken config or a store that is behind stops here, clearly
    hub.engine.dispose()
    config = ctx.obj.get("config") if ctx.obj else None
    if config is not None:  # the workers read the same file
        os.environ["CONTRACTHUB_CONFIG"] = str(config.resolve())
    n = workers or default_workers()
    err_console.print(f"contracthub API on http://{host}:{port} ({n} worker(s)); "
                      f"OpenAPI at /docs", markup=False, highlight=False)
    uvicorn.run("core.api:app_from_config", factory=True, host=host, port=port, workers=n,
                access_log=access_log, log_level=log_level, server_header=False)


@tokens.command("create")
def tokens_create(ctx: typer.Context,
                  role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
                  name: Annotated[str, typer.Option("--name", help="Who or what uses it "
                                                    "(the audit actor), e.g. ticket-ui.")],
                  as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Make a token; it is printed once and cannot be shown again."""
    hub = hub_from(ctx)
    try:
        with hub.session() as s, s.begin():
            token, info = create_token(s, name=name, role=role, at=hub.clock.now(),
                                       actor=hub.config.actor)
    except TokenError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json({**info.to_dict(), "token": token})
        return
    sys.stdout.write(token + "\n")
    err_console.print(f"token {info.name!r} ({info.role}) created: it is shown only this "
                      "once; store it now", markup=False, highlight=False)


@tokens.command("list")
def tokens_list(ctx: typer.Context,
                include_revoked: bool = typer.Option(True, "--all/--active",
                                                     help="Include revoked tokens."),
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Tokens by name: role, visible prefix, when made and by whom, revoked or not."""
    hub = hub_from(ctx)
    with hub.session() as s:
        rows = list_tokens(s, include_revoked=include_revoked)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("name", "role", "prefix", "created", "by", "revoked")
    for r in rows:
        table.add_row(r.name, r.role, r.prefix + "...", f"{r.created_at:%Y-%m-%d %H:%M}Z",
                      r.created_by, f"{r.revoked_at:%Y-%m-%d %H:%M}Z" if r.revoked_at else "")
    console.print(table)
    console.print(f"{len(rows)} token(s)", markup=False, highlight=False)


@tokens.command("revoke")
def tokens_revoke(ctx: typer.Context,
                  name: Annotated[str, typer.Argument(metavar="NAME", help="The token's name.")]
                  ) -> None:
    """Revoke a token: it stops working at once."""
    hub = hub_from(ctx)
    try:
        with hub.session() as s, s.begin():
            info = revoke_token(s, name, at=hub.clock.now(), actor=hub.config.actor)
    except TokenError as exc:
        raise UserError(str(exc)) from None
    console.print(f"token {info.name!r} ({info.role}, {info.prefix}...) revoked",
                  markup=False, highlight=False)
