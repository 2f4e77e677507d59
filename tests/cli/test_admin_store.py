"""core.sync.admin on the store (SQLite and PostgreSQL): status, dead letters, conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.memory import MemoryRemote
from core.config import SyncSettings
from core.models import AuditEvent, Customer
from core.sync import admin
from core.sync.engine import run_cycle
from core.sync_models import Conflict, DeadLetter, OutboxEntry
from tests.factories import customer
from tests.sync.conftest import ACCOUNTS, make_job

MANUAL = ACCOUNTS.replace("conflict_policy: store_wins", "conflict_policy: manual")


@pytest.fixture
def remote(clock) -> MemoryRemote:
    return MemoryRemote(clock)


@pytest.fixture
def job(remote):
    return make_job(MANUAL, remote)


def cycle(hub, job, **kw):
    result = run_cycle(hub, job, **kw)
    assert result.status == "ok", result.error
    return result


def seed(hub, *names):
    with hub.session() as s, s.begin():
        for n in names:
            customer(s, n)


def rid_of(remote, name):
    return next(rid for rid, f in remote.all("Account").items() if f["Name"] == name)


def make_conflicts(hub, remote, job):
    """Two held conflicts on domain: Alpha (local A1 / remote A2), Beta (B1 / B2)."""
    seed(hub, "Alpha", "Beta")
    cycle(hub, job)
    hub.clock.advance(60)
    for name in ("Alpha", "Beta"):
        remote.edit("Account", rid_of(remote, name), Domain__c=f"{name[0]}2")
    with hub.session() as s, s.begin():
        for c in s.scalars(select(Customer)):
            c.domain = f"{c.name[0]}1"
    hub.clock.advance(120)
    r = cycle(hub, job)
    assert r.counts.conflicts == 2
    return {c["local_id"]: c for c in admin.list_conflicts(hub)}


def test_status_of_an_empty_store_lists_the_configured_syncs(hub):
    hub.config.syncs = [SyncSettings(name="mem_accounts", connection="mem", mapping="m.yaml")]
    data = admin.status(hub)
    assert data == {"syncs": [{"name": "mem_accounts", "configured": True, "last_run": None,
                               "outbox": 0, "dead_letters": 0, "conflicts": 0,
                               "remote_deleted": 0}],
                    "dead_letters": {"open": 0, "first": []},
                    "conflicts": {"pending": 0, "first": []},
                    "tickets_without_entitlement": {"count": 0, "first": []}}


def test_status_summarises_runs_backlog_dead_letters_conflicts_and_flags(hub, remote, job):
    conflicts = make_conflicts(hub, remote, job)
    remote.reject = lambda obj, fields: "no" if fields.get("Name") == "Gamma" else None
    seed(hub, "Gamma", "Delta")
    remote.delete("Account", rid_of(remote, "Alpha"))
    hub.clock.advance(60)
    cycle(hub, job, force_sweep=True)
    with hub.session() as s, s.begin():
        s.scalar(select(Customer).where(Customer.name == "Delta")).owner = "x"  # backlog
    data = admin.status(hub)
    [sync] = data["syncs"]
    assert sync["name"] == "mem_accounts" and sync["configured"] is False
    assert (sync["outbox"], sync["dead_letters"], sync["conflicts"], sync["remote_deleted"]) \
        == (1, 1, 2, 1)
    run = sync["last_run"]
    assert run["status"] == "ok" and run["dead_lettered"] == 1 and run["pushed"] == 1
    assert run["started_at"] == hub.clock.now().isoformat() and run["api_calls"] >= 2
    [dl] = data["dead_letters"]["first"]
    assert data["dead_letters"]["open"] == 1 and dl["error"] == "Account: no"
    assert data["conflicts"]["pending"] == 2
    assert [c["id"] for c in data["conflicts"]["first"]] == sorted(
        c["id"] for c in conflicts.values())


def test_dead_letters_are_listed_then_replayed_when_due(hub, remote, job):
    remote.reject = lambda obj, fields: "validation failed" if fields.get("Name") == "Bad" \
        else None
    seed(hub, "Good", "Bad")
    cycle(hub, job)
    [dl] = admin.list_dead_letters(hub)
    assert (dl["direction"], dl["error_code"], dl["attempts"]) == ("out", "REJECTED", 1)
    assert admin.list_dead_letters(hub, sync="other") == []
    for ids, all_open, message in [([], False, "name the dead letters to replay"),
                                   ([dl["id"], 999], False, "no dead letter with id 999")]:
        with pytest.raises(admin.AdminError, match=message):
            admin.dead_letters_to_replay(hub, ids, all_open=all_open)
    assert [d["id"] for d in admin.dead_letters_to_replay(hub, all_open=True)] == [dl["id"]]

    remote.reject = None  # fixed in the remote system
    cycle(hub, job)  # not due yet (backoff): nothing happens
    assert len(admin.list_dead_letters(hub)) == 1
    assert admin.mark_due(hub, [dl["id"]]) == 1
    with hub.session() as s:
        row = s.get(DeadLetter, dl["id"])
        assert row.next_retry_at == hub.clock.now() and row.resolved_at is None
    cycle(hub, job)
    assert admin.list_dead_letters(hub) == []
    [done] = admin.list_dead_letters(hub, include_resolved=True)
    assert done["resolved_at"] == hub.clock.now().isoformat()
    assert "Bad" in {f["Name"] for f in remote.all("Account").values()}
    with pytest.raises(admin.AdminError, match="already resolved"):
        admin.dead_letters_to_replay(hub, [dl["id"]])


def test_resolve_take_remote_writes_the_store_and_audits(hub, remote, job):
    conflicts = make_conflicts(hub, remote, job)
    alpha = next(c for c in conflicts.values() if c["local"] == "A1")
    writes = remote.calls.counts["write"]
    done = admin.resolve_conflict(hub, alpha["id"], "remote")
    assert (done["outcome"], done["value"]) == ("remote", "A2")
    with hub.session() as s:
        assert s.get(Customer, int(alpha["local_id"])).domain == "A2"
        row = s.get(Conflict, alpha["id"])
        assert row.resolved_at == hub.clock.now()
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "sync.conflict_resolved"))
        assert (ev.entity, ev.entity_id, ev.actor) == ("customer", alpha["local_id"], "admin")
        assert ev.payload["take"] == "remote" and ev.payload["value"] == "A2"
        assert ev.payload["conflict"] == alpha["id"] and ev.payload["field"] == "domain"
    hub.clock.advance(60)
    cycle(hub, job)  # the store now agrees with the remote: nothing to write for Alpha
    assert remote.get("Account", rid_of(remote, "Alpha"))["Domain__c"] == "A2"
    assert remote.calls.counts["write"] == writes
    with pytest.raises(admin.AdminError, match=f"conflict {alpha['id']} is already resolved"):
        admin.resolve_conflict(hub, alpha["id"], "local")


def test_resolve_take_local_queues_a_push(hub, remote, job):
    conflicts = make_conflicts(hub, remote, job)
    beta = next(c for c in conflicts.values() if c["local"] == "B1")
    admin.resolve_conflict(hub, beta["id"], "local")
    with hub.session() as s:
        assert s.get(Customer, int(beta["local_id"])).domain == "B1"
        queued = s.scalars(select(OutboxEntry.local_id).where(
            OutboxEntry.sync == "mem_accounts")).all()
        assert queued == [beta["local_id"]]
    hub.clock.advance(60)
    cycle(hub, job)
    assert remote.get("Account", rid_of(remote, "Beta"))["Domain__c"] == "B1"
    hub.clock.advance(120)
    r = cycle(hub, job)  # the echo of that push does not bring the conflict back
    assert r.counts.conflicts == 0 and r.counts.updated == 0
    assert [c["local"] for c in admin.list_conflicts(hub)] == ["A1"]
    assert sorted(c["outcome"] for c in admin.list_conflicts(hub, include_resolved=True)) == [
        "local", "pending"]


def test_resolve_errors(hub, remote, job):
    conflicts = make_conflicts(hub, remote, job)
    some = next(iter(conflicts.values()))
    with pytest.raises(admin.AdminError, match="no conflict with id 999"):
        admin.resolve_conflict(hub, 999, "remote")
    with pytest.raises(admin.AdminError, match="must be local or remote"):
        admin.resolve_conflict(hub, some["id"], "both")
    with hub.session() as s, s.begin():
        s.delete(s.get(Customer, int(some["local_id"])))
    with pytest.raises(admin.AdminError, match="no longer exists"):
        admin.resolve_conflict(hub, some["id"], "remote")


def test_a_refused_deletion_is_not_replayable(hub):
    from core.sync.state import dead_letter

    with hub.session() as s, s.begin():
        dl = dead_letter(s, sync="mem_accounts", direction="in", key="ACC9",
                         record={"deleted": "ACC9"}, code="DELETE_REFUSED", retry=False,
                         error="Account ACC9 was deleted remotely, but local customer 1 "
                               "cannot be", now=hub.clock.now())
        s.flush()
        refused = dl.id
    with pytest.raises(admin.AdminError, match=f"dead letter {refused} cannot be replayed: "
                                                "Account ACC9 was deleted remotely"):
        admin.dead_letters_to_replay(hub, [refused])
    assert admin.dead_letters_to_replay(hub, all_open=True) == []
    assert [d["id"] for d in admin.list_dead_letters(hub)] == [refused]
