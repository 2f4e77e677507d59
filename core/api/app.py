"""The HTTP API's app factory: ``create_app(hub)``; ``contracthub serve`` runs it in uvicorn.

Errors are one line for a person (``{"detail": "..."}``); an unexpected one
is logged with its traceback and answered with a bare 500, so no internal
detail (and never a token) reaches the caller.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text
from starlette.concurrency import run_in_threadpool

from connectors.base import ConfigError, ConnectorError
from core.api import contracts, entitlements, mappings, syncs
from core.api.auth import read_bind
from core.api.schemas import HealthOut
from core.config import ConfigFileError
from core.db import StoreError, session_factory
from core.hub import Hub, open_hub
from core.mapping import MappingError
from core.sync.admin import AdminError

log = logging.getLogger("contracthub.api")
# Per worker: how many requests run store work at once (the rest wait their turn on the
# event loop, first come first served), and a pooled connection for each. More threads
# than cores only take turns at the GIL, which stretches every request in flight and
# makes the slowest ones very slow; a few keep a core busy while others wait on the store.
THREADS = 8
POOL_SIZE, POOL_OVERFLOW = THREADS, 2

DESCRIPTION = """\
Entitlement lookups and sync administration for contracthub.

**Auth.** Every endpoint except `/healthz` needs `Authorization: Bearer <token>`
(made by `contracthub tokens create --role ROLE --name NAME`). Missing, unknown or
revoked token: 401. Role too low: 403. Roles, each including the ones before it:

| role | may |
| --- | --- |
| `viewer` | read contracts, sync status, dead letters, conflicts |
| `agent` | viewer + look up entitlements |
| `admin` | everything: + replay dead letters, validate mappings, preview syncs |

Every admin action is written to the audit trail with the token's name as actor.

**Where answers come from.** From the store only -- except mapping validation (which
asks the connector to describe the remote object) and the sync preview, which is a dry
run of a sync: it reads the remote system and writes nothing anywhere.
"""

TAGS = [
    {"name": "entitlements", "description": "What a customer may get, and why (agent)."},
    {"name": "contracts", "description": "The contract store (viewer)."},
    {"name": "sync", "description": "Sync runs, dead letters, conflicts."},
    {"name": "mappings", "description": "Validate and preview field mappings (admin)."},
    {"name": "health", "description": "Liveness, no token needed."},
]


def _error(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(MappingError)
    async def _mapping(_: Request, exc: MappingError) -> JSONResponse:
        body = mappings.problems_body(exc.problems, f"{len(exc.problems)} problem(s) in the "
                                                    "mapping")
        return JSONResponse(body, status_code=422)

    @app.exception_handler(ConfigError)
    async def _config(_: Request, exc: ConfigError) -> JSONResponse:
        return _error(422, exc.user_message)

    @app.exception_handler(ConnectorError)
    async def _connector(_: Request, exc: ConnectorError) -> JSONResponse:
        return _error(502, f"the remote system failed: {exc.user_message}")

    @app.exception_handler(ConfigFileError)
    async def _config_file(_: Request, exc: ConfigFileError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(AdminError)
    async def _admin(_: Request, exc: AdminError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path,
                  exc_info=exc)
        return _error(500, "internal error (see the server log)")


def create_app(hub: Hub, *, dispose_on_shutdown: bool = False) -> Any:
    """The API over ``hub``'s store. ``dispose_on_shutdown``: close its engine at the end."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        if dispose_on_shutdown:
            hub.engine.dispose()

    app = FastAPI(title="contracthub API", version="1", description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=lifespan)
    app.state.hub = hub
    app.state.read_bind = read_bind(hub)
    for module in (entitlements, contracts, syncs, mappings):
        app.include_router(module.router)
    _install_handlers(app)

    def _store_ok() -> bool:
        try:
            with hub.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    @app.get("/healthz", response_model=HealthOut, tags=["health"], summary="Liveness",
             responses={503: {"model": HealthOut, "description": "the store is unreachable"}})
    async def healthz() -> Any:
        """No token needed. 200 when the store answers, 503 when it does not."""
        if await run_in_threadpool(_store_ok):
            return {"status": "ok", "store": "ok"}
        return JSONResponse({"status": "unavailable", "store": "unreachable"},
                            status_code=503)

    return app


def serving_hub(hub: Hub) -> Hub:
    """The hub with an engine for serving: on PostgreSQL a larger pool and no ping before
    each checkout (``auth._check_token`` retries a dead connection instead)."""
    if hub.engine.dialect.name != "postgresql":
        return hub
    engine = create_engine(hub.engine.url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                           pool_recycle=3600)
    hub.engine.dispose()
    return dataclasses.replace(hub, engine=engine, sessions=session_factory(engine))


def app_from_config() -> Any:
    """The uvicorn factory ``contracthub serve`` runs in each worker (config from
    ``CONTRACTHUB_CONFIG``, as for every command)."""
    return create_app(serving_hub(open_hub()), dispose_on_shutdown=True)
