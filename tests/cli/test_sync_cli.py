"""``contracthub sync`` end to end against a file-backed memory CRM (crm.json)."""

from __future__ import annotations

import hashlib
import shlex
import shutil
from datetime import UTC, datetime

from tests.cli.conftest import ROOT, run


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_customers_go_out_then_remote_edits_come_back_in(hubdir):
    r = hubdir.ok("sync")
    assert r.stdout.strip() == ("accounts: ok -- pulled 0, created 0, updated 0, deleted 0, "
                                "pushed 4, conflicts 0, dead-lettered 0, API calls 2")
    accounts = hubdir.accounts()
    by_name = {f["Name"]: rid for rid, f in accounts.items()}
    assert sorted(by_name) == ["Acme Corp", "Globex Ltd", "Initech GmbH", "Umbrella KK"]
    acme = accounts[by_name["Acme Corp"]]
    assert acme["Domain__c"] == "acme.example" and acme["ContractHub_Id__c"].isdigit()

    crm = hubdir.crm()  # someone edits the CRM
    crm.edit("Account", by_name["Acme Corp"], BillingCity="Boston", OwnerName="dana")
    crm.create("Account", {"Name": "Newco", "Domain__c": "NewCo.Example "})
    crm.save(hubdir.crm_file)

    r = hubdir.ok("sync", "accounts", "--once")
    counts = hubdir.json("sync")[0]["counts"]
    assert "created 1, updated 1" in r.stdout, r.stdout
    assert counts["created"] == counts["updated"] == counts["pushed"] == 0  # nothing echoes
    rows = dict((n, (c, o, d)) for n, c, o, d in hubdir.sql(
        "SELECT name, billing_city, owner, domain FROM customers"))
    assert rows["Acme Corp"] == ("Boston", "dana", "acme.example")
    assert rows["Newco"] == (None, None, "newco.example")
    # the new customer got the store's id written back to the CRM
    newco = next(f for f in hubdir.accounts().values() if f["Name"] == "Newco")
    assert newco["ContractHub_Id__c"].isdigit()


def test_dry_run_prints_the_plan_and_changes_nothing(hubdir):
    db, before_runs = hubdir.path / "hub.db", hubdir.sql("SELECT count(*) FROM sync_runs")
    store_before = digest(db)
    r = hubdir.ok("sync", "--dry-run")
    out = r.stdout.splitlines()
    assert out[:4] == [
        "accounts: dry run, nothing written -- read 0 Account record(s)",
        "  to the store  (Account -> customer): 0 create, 0 update, 0 delete, 0 conflict",
        "  to the remote (customer -> Account): 4 create, 0 update, 0 delete, 0 conflict",
        "  first 4 of 4 change(s):"]
    assert "    out create customer 1" in out
    assert '        Name: (empty) -> "Acme Corp"' in out
    assert '        Domain__c: (empty) -> "acme.example"' in out
    assert not hubdir.crm_file.exists()  # the remote was not written
    assert digest(db) == store_before and hubdir.sql("SELECT count(*) FROM sync_runs") == \
        before_runs == [(0,)]
    assert hubdir.sql("SELECT count(*) FROM sync_links") == [(0,)]

    hubdir.ok("sync")
    crm = hubdir.crm()
    rid = next(rid for rid, f in crm.all("Account").items() if f["Name"] == "Globex Ltd")
    crm.edit("Account", rid, BillingCity="Leeds")
    crm.save(hubdir.crm_file)
    remote_before, store_before = digest(hubdir.crm_file), digest(db)
    runs = hubdir.sql("SELECT count(*) FROM sync_runs")
    plan = hubdir.json("sync", "--dry-run")[0]["plan"]
    assert plan["totals"]["in"] == {"update": 1}
    [change] = [c for c in plan["changes"] if c["direction"] == "in"]
    assert change == {"direction": "in", "action": "update", "key": rid,
                      "diff": {"billing_city": [None, "Leeds"]}, "extra": ""}
    r = hubdir.ok("sync", "--dry-run")
    assert f"    in  update Account {rid}" in r.stdout
    assert '        billing_city: (empty) -> "Leeds"' in r.stdout
    assert digest(hubdir.crm_file) == remote_before and digest(db) == store_before
    assert hubdir.sql("SELECT count(*) FROM sync_runs") == runs
    assert hubdir.sql("SELECT billing_city FROM customers WHERE name = 'Globex Ltd'") == [(None,)]


def test_a_failed_sync_exits_1_with_its_error(hubdir):
    hubdir.ok("sync")
    crm = hubdir.crm()
    for rid in list(crm.all("Account"))[:3]:  # 3 of 4 vanish: looks like lost permission
        crm.rows["Account"].pop(rid)
    crm.save(hubdir.crm_file)
    r = hubdir.cli("sync", "--sweep")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stdout.startswith("accounts: failed -- ")
    assert r.stderr.startswith("error: sync accounts failed: sync accounts: the id sweep found "
                               "3 of 4 linked Account records missing")
    status = hubdir.json("status")["syncs"][0]
    assert status["last_run"]["status"] == "failed" and status["remote_deleted"] == 0


def test_unknown_sync_name_is_a_user_error(hubdir):
    r = hubdir.cli("sync", "nope")
    assert r.returncode == 1
    assert r.stderr.strip() == ("error: contracthub.yaml: no sync named 'nope' "
                                "(known: accounts)")


def readme_walkthrough() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Sync and mappings"):]
    block = section[section.index("```sh\n") + 6:]
    block = block[:block.index("```")]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_readme_walkthrough_works_as_written_on_a_fresh_checkout(tmp_path):
    """The README's sync commands, run from a copy of the repo's example files."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("*.db", "crm.json*", "blobs"))
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    steps = readme_walkthrough()
    assert [s[0] for s in steps] == ["contracthub"] * 5
    outs = []
    for args in steps:
        r = run(tmp_path, *args[1:])
        assert r.returncode == 0, (args, r.stderr)
        outs.append(r.stdout)
    assert outs[1].strip() == ("mappings/example_accounts.yaml: ok (checked against Account on "
                               "connection 'memory')")
    assert "to the remote (customer -> Account): 4 create" in outs[2]
    assert "crm_accounts: ok -- pulled 0, created 0, updated 0, deleted 0, pushed 4" in outs[3]
    assert outs[4].startswith("crm_accounts: last run ")
    memory = tmp_path / "examples" / "memory"
    assert (memory / "contracthub.db").exists() and (memory / "crm.json").exists()
    ignored = (ROOT / "examples" / "memory" / ".gitignore").read_text().split()
    assert {"contracthub.db", "crm.json"} <= set(ignored)


def test_changes_made_at_one_instant_are_all_read(hubdir):
    hubdir.ok("sync")
    crm = hubdir.crm()
    same = datetime.now(UTC)
    for i in range(3):
        crm.create("Account", {"Name": f"Tie {i}"}, modified=same)
    crm.save(hubdir.crm_file)
    hubdir.ok("sync")
    names = {n for (n,) in hubdir.sql("SELECT name FROM customers")}
    assert {"Tie 0", "Tie 1", "Tie 2"} <= names
