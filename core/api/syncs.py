"""Sync state: ``/v1/status``, ``/v1/deadletters`` (+ replay), ``/v1/conflicts``.

Reads go through ``core.sync.admin`` (the same functions as the CLI). A
replay marks the dead letter due now, in one transaction with its audit
event (``api.deadletter_replayed``, actor = the token's name); the daemon's
next cycle of that sync retries it. Nothing here calls a remote system.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from core import audit
from core.api.auth import AUTH_RESPONSES, Admin, Caller, Viewer
from core.api.schemas import ConflictPage, DeadLetterPage, ErrorOut, ReplayOut, StatusOut
from core.sync import admin
from core.sync_models import DeadLetter

router = APIRouter(tags=["sync"])


def _page(rows: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {"total": len(rows), "limit": limit, "offset": offset,
            "items": rows[offset:offset + limit]}


@router.get("/v1/status", response_model=StatusOut, summary="Sync status",
            responses=AUTH_RESPONSES)
def get_status(gate: Viewer,
               first: int = Query(5, ge=0, le=100, description="open dead letters and "
                                                               "pending conflicts to list"),
               ) -> dict[str, Any]:
    """Per sync: the last run, outbox backlog, open dead letters, pending conflicts and
    flagged remote deletions; then the first few open dead letters and conflicts."""
    return admin.status(gate.check().hub, first=first)


@router.get("/v1/deadletters", response_model=DeadLetterPage, summary="Dead letters",
            responses=AUTH_RESPONSES)
def list_dead_letters(gate: Viewer,
                      sync: str | None = Query(None, description="only this sync"),
                      include_resolved: bool = Query(False),
                      limit: int = Query(100, ge=1, le=1000),
                      offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """Records a sync could not apply or push, oldest first (open ones unless asked)."""
    rows = admin.list_dead_letters(gate.check().hub, sync=sync,
                                   include_resolved=include_resolved)
    return _page(rows, limit, offset)


@router.post("/v1/deadletters/{dead_letter_id}/replay", response_model=ReplayOut,
             summary="Replay a dead letter (admin)",
             responses={**AUTH_RESPONSES,
                        404: {"model": ErrorOut, "description": "no such dead letter"},
                        409: {"model": ErrorOut, "description": "already resolved"}})
def replay_dead_letter(gate: Admin, dead_letter_id: int) -> dict[str, Any]:
    """Mark the dead letter due now; the daemon's next cycle of its sync retries it.
    Audited as `api.deadletter_replayed`."""
    with gate.open() as caller:
        return _replay(caller, dead_letter_id)


def _replay(caller: Caller, dead_letter_id: int) -> dict[str, Any]:
    s, hub = caller.session, caller.hub
    s.commit()  # end the read that checked the token: the change starts a fresh transaction
    d = s.get(DeadLetter, dead_letter_id)
    if d is None:
        raise HTTPException(404, f"no dead letter with id {dead_letter_id}")
    if d.resolved_at is not None:
        raise HTTPException(409, f"dead letter {dead_letter_id} is already resolved")
    now = hub.clock.now()
    d.next_retry_at = now
    audit.append(s, at=now, actor=caller.actor, action="api.deadletter_replayed",
                 entity="dead_letter", entity_id=d.id,
                 payload={"sync": d.sync, "direction": d.direction,
                          "record_key": d.record_key, "attempts": d.attempts})
    s.commit()
    configured = d.sync in {x.name for x in hub.config.syncs}
    note = (f"due now: the next cycle of sync {d.sync!r} retries it" if configured else
            f"due now, but sync {d.sync!r} is not configured: nothing will retry it")
    return {"dead_letter": admin.dead_letter_dict(d), "sync_configured": configured,
            "note": note}


@router.get("/v1/conflicts", response_model=ConflictPage, summary="Conflicts",
            responses=AUTH_RESPONSES)
def list_conflicts(gate: Viewer,
                   sync: str | None = Query(None, description="only this sync"),
                   include_resolved: bool = Query(False),
                   limit: int = Query(100, ge=1, le=1000),
                   offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """Fields both sides changed, pending a person's decision unless asked for all."""
    rows = admin.list_conflicts(gate.check().hub, include_resolved=include_resolved,
                                sync=sync)
    return _page(rows, limit, offset)
