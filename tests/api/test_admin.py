"""Reads (contracts, status, dead letters, conflicts) and the audited admin actions."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import AuditEvent, Customer
from core.sync.engine import run_cycle
from core.sync.jobs import build_jobs
from core.sync_models import DeadLetter, SyncRun
from tests.api.conftest import EXAMPLE_MAPPING, Seeded, TestClient, auth

PROBLEM = re.compile(r"^[^:]+:\d+:\d+: \S+: .+")


def events(seeded: Seeded, action: str) -> list[AuditEvent]:
    with seeded.hub.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)))


# -- reads ---------------------------------------------------------------------------
def test_contracts_filters_and_paging(client: TestClient, seeded: Seeded) -> None:
    h = auth(seeded.tokens["viewer"])
    body = client.get("/v1/contracts", headers=h).json()
    assert body["total"] == 4 and [c["number"] for c in body["items"]] == [
        "C-1", "C-2", "C-3", "G-1"]
    page = client.get("/v1/contracts?limit=2&offset=1", headers=h).json()
    assert page["total"] == 4 and [c["number"] for c in page["items"]] == ["C-2", "C-3"]
    acme = client.get("/v1/contracts?customer=acme.example&status=active", headers=h).json()
    assert [c["number"] for c in acme["items"]] == ["C-1", "C-2"]
    assert acme["items"][0]["sla_plan"] == "Gold" and acme["items"][0]["customer"] == "Acme Corp"
    one = client.get("/v1/contracts/C-2", headers=h).json()
    assert one["incident_cap"] == 5 and one["holiday_calendar"] == "GB-ENG"
    assert client.get("/v1/contracts/NOPE", headers=h).status_code == 404
    bad = client.get("/v1/contracts?status=signed", headers=h)
    assert bad.status_code == 400 and "unknown status 'signed'" in bad.json()["detail"]
    assert client.get("/v1/contracts?customer=Nobody", headers=h).status_code == 404
    assert client.get("/v1/contracts?limit=0", headers=h).status_code == 422


def test_status_dead_letters_conflicts(client: TestClient, seeded: Seeded) -> None:
    h = auth(seeded.tokens["viewer"])
    status = client.get("/v1/status", headers=h).json()
    assert [s["name"] for s in status["syncs"]] == ["accounts"]
    assert status["syncs"][0]["dead_letters"] == 1 and status["syncs"][0]["conflicts"] == 1
    assert status["dead_letters"]["open"] == 1 and status["conflicts"]["pending"] == 1
    dead = client.get("/v1/deadletters", headers=h).json()
    assert dead["total"] == 1 and dead["items"][0]["error"] == "Name: too long"
    assert client.get("/v1/deadletters?sync=other", headers=h).json()["total"] == 0
    conflicts = client.get("/v1/conflicts", headers=h).json()
    assert conflicts["items"][0]["field"] == "billing_city"
    assert conflicts["items"][0]["local"] == "Leeds" and conflicts["items"][0]["remote"] == "Hull"


# -- replay ------------------------------------------------------------------------------
def test_replay_marks_due_audits_and_the_next_cycle_retries(client: TestClient,
                                                            seeded: Seeded) -> None:
    hub, dl = seeded.hub, seeded.dead_letter_id
    r = client.post(f"/v1/deadletters/{dl}/replay", headers=auth(seeded.tokens["admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["sync_configured"] is True
    assert r.json()["dead_letter"]["next_retry_at"] == hub.clock.now().isoformat()
    [ev] = events(seeded, "api.deadletter_replayed")
    assert ev.actor == "admin-token" and ev.entity == "dead_letter" and ev.entity_id == str(dl)
    assert ev.payload["sync"] == "accounts" and ev.payload["record_key"] == "001A"
    # the daemon's next cycle of the sync picks it up
    [job] = build_jobs(hub, ["accounts"])
    assert run_cycle(hub, job).status == "ok"
    with hub.session() as s:
        assert s.scalar(select(Customer).where(Customer.name == "Broken Ltd")) is not None
        assert s.get(DeadLetter, dl).next_retry_at is None  # type: ignore[union-attr]


def test_replay_unknown_or_resolved(client: TestClient, seeded: Seeded) -> None:
    h = auth(seeded.tokens["admin"])
    assert client.post("/v1/deadletters/9999/replay", headers=h).status_code == 404
    with seeded.hub.session() as s, s.begin():
        s.get(DeadLetter, seeded.dead_letter_id).resolved_at = seeded.hub.clock.now()  # type: ignore[union-attr]
    r = client.post(f"/v1/deadletters/{seeded.dead_letter_id}/replay", headers=h)
    assert r.status_code == 409 and "already resolved" in r.json()["detail"]
    assert events(seeded, "api.deadletter_replayed") == []


# -- validate ----------------------------------------------------------------------------
def validate(client: TestClient, seeded: Seeded, **body: object) -> dict:
    r = client.post("/v1/mappings/validate", json=body, headers=auth(seeded.tokens["admin"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_validate_good_mapping_against_the_remote(client: TestClient, seeded: Seeded) -> None:
    body = validate(client, seeded, yaml=EXAMPLE_MAPPING.read_text(), filename="accounts.yaml")
    assert body == {"ok": True, "problems": [], "details": [],
                    "checked": "schema, structure and Account on connection 'memory'"}
    [ev] = events(seeded, "api.mapping_validated")
    assert ev.actor == "admin-token" and ev.payload["ok"] is True


def test_validate_reports_file_line_column(client: TestClient, seeded: Seeded) -> None:
    text = EXAMPLE_MAPPING.read_text().replace("remote: Domain__c", "remote: Domain_c")
    body = validate(client, seeded, yaml=text, filename="accounts.yaml")
    assert body["ok"] is False and body["problems"]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "Domain_c" in t)
    assert any(p.startswith(f"accounts.yaml:{line}:") and "Domain_c" in p
               for p in body["problems"]), body["problems"]
    for p, d in zip(body["problems"], body["details"], strict=True):
        assert PROBLEM.match(p) and d["text"] == p
        assert p.startswith(f"{d['path']}:{d['line']}:{d['column']}: {d['field']}: ")
    broken = validate(client, seeded, yaml="version: 1\nconnection: memory\n  bad: [\n")
    assert broken["ok"] is False and all(PROBLEM.match(p) for p in broken["problems"])
    assert broken["problems"][0].startswith("mapping.yaml:")


def test_validate_connections(client: TestClient, seeded: Seeded) -> None:
    text = EXAMPLE_MAPPING.read_text()
    other = validate(client, seeded, yaml=text.replace("connection: memory",
                                                       "connection: salesforce"))
    assert other["ok"] is True and "not configured" in other["checked"]
    r = client.post("/v1/mappings/validate", json={"yaml": text, "connection": "nope"},
                    headers=auth(seeded.tokens["admin"]))
    assert r.status_code == 404 and "no connection named 'nope'" in r.json()["detail"]
    r = client.post("/v1/mappings/validate", json={"text": text},
                    headers=auth(seeded.tokens["admin"]))
    assert r.status_code == 422  # the body must carry `yaml`


# -- preview -----------------------------------------------------------------------------
def counts(seeded: Seeded) -> tuple[int, int, int, int]:
    with seeded.hub.session() as s:
        return (s.scalar(select(func.count()).select_from(Customer)) or 0,
                s.scalar(select(func.count()).select_from(SyncRun)) or 0,
                len(seeded.remote.all("Account")),
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_preview_is_a_dry_run(client: TestClient, seeded: Seeded) -> None:
    before = counts(seeded)
    r = client.post("/v1/mappings/preview", json={"sync": "accounts", "first": 2},
                    headers=auth(seeded.tokens["admin"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["dry_run"] is True
    assert body["totals"]["in"] == {"create": 1}  # Remote Only Ltd
    assert body["totals"]["out"]["create"] == 2  # Acme Corp, Globex
    assert body["total_changes"] == sum(n for d in body["totals"].values() for n in d.values())
    assert len(body["changes"]) == 2
    assert body["changes"][0] == {"direction": "in", "action": "create", "key": "ACC000001",
                                  "diff": body["changes"][0]["diff"], "extra": ""}
    assert body["changes"][0]["diff"]["name"] == [None, "Remote Only Ltd"]
    assert body["counts"]["pulled"] == 1
    after = counts(seeded)
    assert after[:3] == before[:3]  # nothing written to the store or the remote
    assert after[3] == before[3] + 1  # but the preview itself is audited
    [ev] = events(seeded, "api.sync_previewed")
    assert ev.actor == "admin-token" and ev.payload["changed_mapping"] is False


def test_preview_a_changed_mapping(client: TestClient, seeded: Seeded) -> None:
    h = auth(seeded.tokens["admin"])
    text = EXAMPLE_MAPPING.read_text()
    inbound_only = text.replace("- {local: name, remote: Name}",
                                "- {local: name, remote: Name, direction: in}")
    r = client.post("/v1/mappings/preview", json={"sync": "accounts", "yaml": inbound_only},
                    headers=h)
    assert r.status_code == 200, r.text
    broken = text.replace("remote: BillingCity", "remote: BillingTown")
    r = client.post("/v1/mappings/preview", json={"sync": "accounts", "yaml": broken},
                    headers=h)
    assert r.status_code == 422
    assert any("BillingTown" in p for p in r.json()["problems"])
    assert all(PROBLEM.match(p) for p in r.json()["problems"])
    r = client.post("/v1/mappings/preview", json={"sync": "nope"}, headers=h)
    assert r.status_code == 404 and "no sync named 'nope'" in r.json()["detail"]
