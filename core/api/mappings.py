"""``POST /v1/mappings/validate`` and ``POST /v1/mappings/preview`` (admin only).

Validate checks a mapping's text: the schema and structure, then -- when its
connection is configured -- its meaning against the remote object's fields.
That last step asks the connector to *describe* the object (one metadata
call to the remote system).

Preview is a dry run of a configured sync (``run_cycle(dry_run=True)``),
with its configured mapping or a changed one sent in the body: it **reads
the remote system** (that is what a preview is) and writes nothing anywhere;
the answer counts the changes per direction and action and shows the first
ones field by field. These two are the only endpoints that reach a remote
system; every other answer comes from the store.

Both are audited (``api.mapping_validated``, ``api.sync_previewed``; actor =
the token's name).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from fastapi import APIRouter, HTTPException

from connectors.base import ConfigError, ConnectorError, load_connector
from core import audit
from core.api.auth import AUTH_RESPONSES, Admin, Caller
from core.api.schemas import (
    ErrorOut,
    PreviewIn,
    PreviewOut,
    ProblemsOut,
    ValidateIn,
    ValidateOut,
)
from core.clock import SystemClock
from core.config import ConfigFileError, HubConfig
from core.mapping import (
    MappingError,
    Problem,
    check_mapping,
    load_mapping_text,
    resolve_mapping,
)
from core.sync.engine import SyncJob, run_cycle
from core.sync.jobs import load_checked_mapping, make_connector, parse_every
from core.sync.local import LOCAL_FIELDS

router = APIRouter(tags=["mappings"])


def problem_dict(p: Problem) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "column": p.column, "field": p.field_path,
            "message": p.message, "hint": p.hint, "text": str(p)}


def problems_body(problems: list[Problem], detail: str) -> dict[str, Any]:
    return {"detail": detail, "problems": [str(p) for p in problems],
            "details": [problem_dict(p) for p in problems]}


def _archive_check(cfg: HubConfig, text: str, filename: str, connection: str | None
                   ) -> tuple[list[Problem], str] | None:
    """An archive mapping (top-level ``archive:``) is checked as such, or None."""
    import tempfile
    from pathlib import Path

    from core.archive.mapping import check_archive_file, is_archive_text

    if not is_archive_text(text):
        return None
    with tempfile.TemporaryDirectory() as tmp:  # the archive checks read a file
        path = Path(tmp) / Path(filename).name
        path.write_text(text, encoding="utf-8")
        problems, detail = check_archive_file(str(path), connection, cfg.connections)
    return [dataclasses.replace(p, path=filename) for p in problems], detail


def check_text(cfg: HubConfig, text: str, filename: str, connection: str | None,
               clock: Any = None) -> tuple[list[Problem], str]:
    """The problems of a mapping's text, and what was checked."""
    archive = _archive_check(cfg, text, filename, connection)
    if archive is not None:
        return archive
    try:
        mapping = load_mapping_text(text, filename)
    except MappingError as exc:
        return exc.problems, "schema and structure (the mapping did not load)"

    def at(path: tuple[str, ...], message: str, hint: str = "") -> Problem:
        line, column = mapping.where(path)
        return Problem(filename, line, column, ".".join(path), message, hint)

    if connection is not None and mapping.connection != connection:
        return [at(("connection",), f"connection is {mapping.connection!r} but the check "
                   f"asked for {connection!r}", f"use connection: {connection}")], \
            "schema and structure"
    name = mapping.connection
    if name not in cfg.connections:
        known = ", ".join(sorted(cfg.connections)) or "none"
        return [], (f"schema and structure only: connection {name!r} is not configured "
                    f"(configured: {known})")
    settings = {**cfg.connections[name], "_config_folder": str(cfg.folder)}
    try:
        connector = load_connector(settings["type"], name=name, settings=settings,
                                   clock=clock or SystemClock())
        spec = connector.describe(mapping.remote_object)
    except ConfigError as exc:
        return [at(("remote_object",), exc.user_message,
                   f"check connection {name!r} and the remote object name")], \
            "schema and structure"
    except ConnectorError as exc:
        return [at(("connection",), f"cannot describe {mapping.remote_object} through "
                   f"connection {name!r}: {exc.user_message}",
                   "check the connection, then validate again")], "schema and structure"
    problems = sorted(set(check_mapping(mapping, spec,
                                        LOCAL_FIELDS.get(mapping.local_entity, {}))))
    return problems, f"schema, structure and {mapping.remote_object} on connection {name!r}"


@router.post("/v1/mappings/validate", response_model=ValidateOut,
             summary="Validate a mapping (admin)",
             responses={**AUTH_RESPONSES,
                        404: {"model": ErrorOut, "description": "unknown connection"}})
def validate_mapping(body: ValidateIn, gate: Admin) -> dict[str, Any]:
    """Check a mapping's YAML text. Problems come as `FILE:LINE:COLUMN: field.path: message
    (hint)` strings and structured. Checking the meaning asks the connector to describe
    the remote object (a metadata call to the remote). Audited as `api.mapping_validated`."""
    with gate.open() as caller:
        return _validate(caller, body)


def _validate(caller: Caller, body: ValidateIn) -> dict[str, Any]:
    cfg = caller.hub.config
    if body.connection is not None and body.connection not in cfg.connections:
        raise HTTPException(404, f"no connection named {body.connection!r} in {cfg.path.name}")
    caller.session.commit()  # do not hold a transaction open across the remote call
    problems, checked = check_text(cfg, body.yaml, body.filename, body.connection,
                                  caller.hub.clock)
    s, now = caller.session, caller.hub.clock.now()
    audit.append(s, at=now, actor=caller.actor, action="api.mapping_validated",
                 entity="mapping", entity_id=body.filename[:64],
                 payload={"connection": body.connection, "ok": not problems,
                          "problems": len(problems), "checked": checked,
                          "sha256": hashlib.sha256(body.yaml.encode()).hexdigest()})
    s.commit()
    return {"ok": not problems, "problems": [str(p) for p in problems],
            "details": [problem_dict(p) for p in problems], "checked": checked}


def _preview_job(caller: Caller, body: PreviewIn) -> SyncJob:
    hub, cfg = caller.hub, caller.hub.config
    try:
        settings = cfg.sync(body.sync)
    except ConfigFileError:
        known = ", ".join(s.name for s in cfg.syncs) or "none configured"
        raise HTTPException(404, f"no sync named {body.sync!r} (known: {known})") from None
    connector = make_connector(cfg, settings.connection, hub)
    if body.yaml is None:
        mapping = load_checked_mapping(cfg, settings, connector)
    else:
        shown = f"{body.sync} (preview)"
        mapping = load_mapping_text(body.yaml, shown)
        if mapping.connection != settings.connection:
            line, column = mapping.where(("connection",))
            raise MappingError([Problem(shown, line, column, "connection",
                                        f"connection is {mapping.connection!r} but sync "
                                        f"{body.sync!r} uses {settings.connection!r}",
                                        f"use connection: {settings.connection}")])
        spec = connector.describe(mapping.remote_object)
        problems = check_mapping(mapping, spec, LOCAL_FIELDS.get(mapping.local_entity, {}))
        if problems:
            raise MappingError(problems)
        mapping = resolve_mapping(mapping, spec)
    return SyncJob(settings.name, dataclasses.replace(mapping, name=settings.name), connector,
                   sweep_every=parse_every(settings.sweep_every))


@router.post("/v1/mappings/preview", response_model=PreviewOut,
             summary="Dry-run preview of a configured sync (admin; reads the remote)",
             responses={**AUTH_RESPONSES,
                        404: {"model": ErrorOut, "description": "no such sync"},
                        422: {"model": ProblemsOut, "description": "the mapping is broken"},
                        502: {"model": ErrorOut, "description": "the remote system failed"}})
def preview_sync(body: PreviewIn, gate: Admin) -> dict[str, Any]:
    """What one cycle of the sync would change, with its configured mapping or the one in
    the body -- counts per direction and action, then the first changes field by field.
    **This reads the remote system** (a dry run: nothing is written anywhere). Audited as
    `api.sync_previewed`."""
    with gate.open() as caller:
        return _preview(caller, body)


def _preview(caller: Caller, body: PreviewIn) -> dict[str, Any]:
    caller.session.commit()  # do not hold a transaction open across the remote calls
    job = _preview_job(caller, body)
    result = run_cycle(caller.hub, job, dry_run=True)
    plan = result.plan
    changes = plan.changes if plan is not None else []
    totals: dict[str, dict[str, int]] = {"in": {}, "out": {}}
    for (direction, action), n in (plan.totals().items() if plan is not None else ()):
        totals.setdefault(direction, {})[action] = n
    counts = dataclasses.asdict(result.counts)
    s, now = caller.session, caller.hub.clock.now()
    audit.append(s, at=now, actor=caller.actor, action="api.sync_previewed", entity="sync",
                 entity_id=body.sync,
                 payload={"status": result.status, "changed_mapping": body.yaml is not None,
                          "totals": totals, "counts": counts,
                          "sha256": hashlib.sha256(body.yaml.encode()).hexdigest()
                          if body.yaml is not None else None})
    s.commit()
    return {"sync": result.sync, "status": result.status, "error": result.error,
            "dry_run": True, "counts": counts, "totals": totals,
            "total_changes": len(changes),
            "changes": [{"direction": c.direction, "action": c.action, "key": c.key,
                         "diff": audit.jsonable(c.diff),
                         "extra": c.extra} for c in changes[:body.first]]}
