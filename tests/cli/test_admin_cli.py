"""``contracthub status``, ``deadletters list|replay`` and ``conflicts list|resolve``, run
as a user runs them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.hub import open_hub
from core.models import Customer


def edit_local(hubdir, **by_name: dict) -> None:
    hub = open_hub(hubdir.path / "contracthub.yaml")
    try:
        with hub.session() as s, s.begin():
            for name, values in by_name.items():
                c = s.scalar(select(Customer).where(Customer.name == name))
                for k, v in values.items():
                    setattr(c, k, v)
    finally:
        hub.engine.dispose()


def rid_of(hubdir, name: str) -> str:
    return next(rid for rid, f in hubdir.accounts().items() if f["Name"] == name)


def test_conflicts_are_listed_and_resolved_both_ways(hubdir):
    mapping = hubdir.path / "accounts.yaml"
    mapping.write_text(mapping.read_text().replace("conflict_policy: store_wins",
                                                   "conflict_policy: manual"))
    hubdir.ok("sync")
    acme, globex = rid_of(hubdir, "Acme Corp"), rid_of(hubdir, "Globex Ltd")
    edit_local(hubdir, **{"Acme Corp": {"billing_country": "US"},
                          "Globex Ltd": {"billing_country": "GB"}})
    crm = hubdir.crm()
    crm.edit("Account", acme, BillingCountry="USA")
    crm.edit("Account", globex, BillingCountry="UK")
    crm.save(hubdir.crm_file)
    r = hubdir.ok("sync")
    assert "conflicts 2" in r.stdout

    status = hubdir.ok("status").stdout
    assert "conflicts: 2 pending" in status
    assert "billing_country: local 'US' vs remote 'USA'" in status
    pending = hubdir.json("conflicts", "list")
    assert [(c["field"], c["local"], c["remote"], c["outcome"]) for c in pending] == [
        ("billing_country", "US", "USA", "pending"), ("billing_country", "GB", "UK", "pending")]
    take_remote, take_local = pending[0]["id"], pending[1]["id"]

    r = hubdir.ok("conflicts", "resolve", str(take_remote), "--take", "remote")
    assert r.stdout.strip() == (f"conflict #{take_remote} resolved: customer 1 billing_country "
                                "= 'USA' (the store now has the remote value)")
    r = hubdir.ok("conflicts", "resolve", str(take_local), "--take", "local")
    assert "queued for sync accounts" in r.stdout
    assert hubdir.sql("SELECT name, billing_country FROM customers WHERE name IN "
                      "('Acme Corp', 'Globex Ltd') ORDER BY name") == [
        ("Acme Corp", "USA"), ("Globex Ltd", "GB")]
    r = hubdir.ok("sync")
    assert "conflicts 0" in r.stdout
    accounts = hubdir.accounts()
    assert accounts[acme]["BillingCountry"] == "USA" and accounts[globex]["BillingCountry"] == "GB"
    assert hubdir.json("conflicts", "list") == []
    resolved = hubdir.json("conflicts", "list", "--all")
    assert [c["outcome"] for c in resolved] == ["remote", "local"]
    events = hubdir.sql("SELECT actor, payload FROM audit_events "
                        "WHERE action = 'sync.conflict_resolved' ORDER BY seq")
    assert len(events) == 2 and {a for a, _ in events} == {"tester"}
    assert '"take": "remote"' in events[0][1] and '"value": "USA"' in events[0][1]
    assert hubdir.ok("audit", "verify").stdout.startswith("audit chain ok")

    for args, message in [
            ((str(take_remote), "--take", "local"),
             f"error: conflict {take_remote} is already resolved (outcome remote)"),
            (("999", "--take", "remote"), "error: no conflict with id 999")]:
        r = hubdir.cli("conflicts", "resolve", *args)
        assert (r.returncode, r.stderr.strip()) == (1, message)
    r = hubdir.cli("conflicts", "resolve", "1", "--take", "both")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_dead_letters_are_shown_and_replayed_after_a_fix(hubdir):
    hubdir.ok("sync")
    hubdir.ok("sync")  # reads our own writes back: the cursor moves past them
    (hubdir.path / "more.csv").write_text("number,customer,kind,start_date\n"
                                          "H-1,Hooli,support,2026-01-01\n")
    hubdir.ok("contracts", "import", "more.csv")
    [(hooli_id,)] = hubdir.sql("SELECT id FROM customers WHERE name = 'Hooli'")
    crm = hubdir.crm()  # two CRM records already claim Hooli, committed "late" (old timestamps)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    dup_a = crm.create("Account", {"Name": "Hooli A", "ContractHub_Id__c": str(hooli_id)},
                       modified=old)
    dup_b = crm.create("Account", {"Name": "Hooli B", "ContractHub_Id__c": str(hooli_id)},
                       modified=old)
    crm.create("Account", {"Domain__c": "nameless.example"})  # cannot become a customer
    crm.save(hubdir.crm_file)
    r = hubdir.ok("sync")
    assert "dead-lettered 2" in r.stdout

    status = hubdir.ok("status").stdout
    assert "dead letters: 2 open" in status
    assert "dead letters 2 open" in status
    letters = hubdir.json("deadletters", "list")
    by_dir = {d["direction"]: d for d in letters}
    out, inbound = by_dir["out"], by_dir["in"]
    assert out["error_code"] == "MULTIPLE_MATCHES" and out["next_retry_at"] is None
    assert dup_a in out["error"] and dup_b in out["error"]
    assert "name" in inbound["error"] and "required" in inbound["error"]
    assert hubdir.json("deadletters", "list", "--sync", "other") == []
    assert "2 dead letter(s)" in hubdir.ok("deadletters", "list").stdout

    crm = hubdir.crm()  # the admin removes the duplicate in the CRM, then replays
    crm.delete("Account", dup_b)
    crm.save(hubdir.crm_file)
    r = hubdir.ok("deadletters", "replay", str(out["id"]), str(inbound["id"]))
    lines = r.stdout.splitlines()
    assert f"dead letter #{out['id']} accounts out {hooli_id}: resolved" in lines[:2]
    assert any(line.startswith(f"dead letter #{inbound['id']} accounts in "
                               f"{inbound['record_key']}: still failing (attempt 2): ")
               for line in lines[:2])
    assert lines[2].startswith("accounts: ok -- ")
    assert hubdir.accounts()[dup_a]["Name"] == "Hooli"  # the upsert found the one left

    for args, message in [
            ((str(out["id"]),), f"error: dead letter {out['id']} is already resolved"),
            (("999",), "error: no dead letter with id 999"),
            ((), "error: name the dead letters to replay (IDs), or use --all")]:
        r = hubdir.cli("deadletters", "replay", *args)
        assert (r.returncode, r.stderr.strip()) == (1, message)
    replayed = hubdir.json("deadletters", "replay", "--all")
    assert [(d["id"], d["attempts"], d["resolved_at"]) for d in replayed] == [
        (inbound["id"], 3, None)]


def test_status_of_a_hub_that_never_synced(hubdir):
    r = hubdir.ok("status")
    assert r.stdout.splitlines() == [
        "accounts: never run",
        "  outbox 0 waiting, dead letters 0 open, conflicts 0 pending, remote-deleted (flagged) 0",
        "dead letters: 0 open", "conflicts: 0 pending"]
    data = hubdir.json("status")
    assert data["syncs"][0]["last_run"] is None and data["dead_letters"]["open"] == 0
