"""The engine with the Dynamics connector under faults: a throttling storm, the
service-protection window, a stale etag, a token expiring mid-run. Everything converges,
nothing is duplicated, and no retry comes earlier than the server asked."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from core.models import Contract, Customer
from core.sync.engine import run_cycle
from core.sync.jobs import build_jobs
from core.sync_models import DeadLetter, Link, OutboxEntry
from sandbox.dataverse.schema import TIERS
from sandbox.faults import FaultRule
from tests.dynamics.conftest import (
    API,
    DYN_SYNCS,
    KEY,
    cycle,
    dynamics_connection,
    hub_with,
    row,
    seed,
    sync_all,
)

TOKEN = r"POST /.*/oauth2/v2.0/token"


def assert_converged(hub, emu) -> None:
    with hub.session() as s:
        customers = s.scalar(select(func.count()).select_from(Customer))
        contracts = s.scalar(select(func.count()).select_from(Contract))
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
        links = s.scalar(select(func.count()).select_from(Link).where(
            Link.remote_id.is_not(None)))
        assert not s.scalars(select(DeadLetter).where(DeadLetter.resolved_at.is_(None))).all()
    accounts, rows = emu.store.all("account"), emu.store.all("chub_supportcontract")
    assert (len(accounts), len(rows)) == (customers, contracts)  # no duplicates
    for table in (accounts, rows):
        keys = Counter(r[KEY] for r in table)
        assert None not in keys and set(keys.values()) <= {1}
    assert links == customers + contracts


def test_a_throttling_storm_is_waited_out_exactly_as_asked(dyn_hub, jobs, dataverse_sandbox,
                                                           clock):
    emu = dataverse_sandbox
    every_call = rf"^[A-Z]+ {API}/(accounts|chub_supportcontracts|\$batch)"
    for status, wait, share, rng in ((429, 7, 0.2, 11), (503, 2, 0.125, 12)):  # ~30% of calls
        emu.faults.add_rule(FaultRule(every_call, status=status, retry_after=wait,
                                      probability=share, seed=rng))
    seed(dyn_hub, 25, 2)
    for _ in range(3):
        for name in ("dyn_accounts", "dyn_contracts"):
            run_cycle(dyn_hub, jobs[name])
        clock.advance(600)
        with dyn_hub.session() as s, s.begin():  # and meanwhile the hub keeps editing
            s.scalar(select(Contract).order_by(Contract.id.desc())).tier = "enterprise"
    faulted = [c for c in emu.calls.all() if c.faulted]
    assert len(faulted) >= 0.25 * len(emu.calls.matching(every_call + ".*"))
    emu.faults.clear_rules()  # the storm passes
    sync_all(dyn_hub, jobs, rounds=2, advance=600)
    assert_converged(dyn_hub, emu)
    assert Counter(c.status for c in faulted).keys() == {429, 503}
    # every wait was exactly what the server asked: never sooner, never a guess
    assert clock.sleeps and set(clock.sleeps) <= {7.0, 2.0}
    assert len(clock.sleeps) <= len(faulted)


def test_the_connection_slows_down_before_the_service_protection_wall(
        hub, dataverse_sandbox, tmp_path, clock):
    emu = dataverse_sandbox
    emu.limits.limit = 60  # this org's window: 60 requests in 300 s (and a row a page,
    # so that reading 80 rows alone takes more than one window's requests)
    secret = emu.identity.client_credentials()[1]
    paced_hub = hub_with(hub, tmp_path, emu.ca_bundle,
                         {"dynamics": dynamics_connection(emu, request_limit=60,
                                                          budget_share=0.75, page_size=1)},
                         DYN_SYNCS, {"DYNAMICS_CLIENT_SECRET": secret})
    jobs = {j.name: j for j in build_jobs(paced_hub)}
    seed(paced_hub, 40, 1)
    sync_all(paced_hub, jobs, rounds=2, advance=0)
    assert 429 not in emu.calls.statuses()  # never hit the wall...
    # ...because past 75% of the window each call first waited 300 s / what was left
    assert clock.sleeps and all(w in {300 / n for n in range(1, 16)} for w in clock.sleeps)
    assert len(emu.store.all("account")) == 40 and len(emu.store.all(
        "chub_supportcontract")) == 40

    # a wall reached anyway (another integration spent the window) is waited out
    emu.limits.set_used(emu.identity.client_credentials()[0], 60)
    clock.sleeps.clear()
    with paced_hub.session() as s, s.begin():
        s.scalar(select(Customer).order_by(Customer.id)).name = "Renamed"
    cycle(paced_hub, jobs["dyn_accounts"])
    assert emu.calls.statuses()[-3:].count(429) >= 1
    assert 300.0 in clock.sleeps  # Retry-After: the window's oldest request leaves
    assert row(emu, "account", 1)["name"] == "Renamed"


def test_a_stale_etag_is_retried_after_the_pull_merges_the_remote_edit(
        dyn_hub, jobs, dataverse_sandbox, clock):
    emu = dataverse_sandbox
    seed(dyn_hub, 2, 1)
    sync_all(dyn_hub, jobs)
    with dyn_hub.session() as s:
        k = s.scalar(select(Contract).order_by(Contract.id))
    with dyn_hub.session() as s, s.begin():
        s.get(Contract, k.id).tier = "enterprise"
    edited: list[str] = []

    def person_edits(step: str) -> None:  # between the pull and the push
        if step == "after_page_commit" and not edited:
            rid = row(emu, "chub_supportcontract", k.id)["chub_supportcontractid"]
            emu.store.update("chub_supportcontract", rid,
                             {"chub_renewaldate": date(2028, 1, 31)})
            edited.append(rid)

    r = cycle(dyn_hub, jobs["dyn_contracts"], step=person_edits)
    assert r.counts.dead_lettered == 1
    with dyn_hub.session() as s:
        dl = s.scalar(select(DeadLetter))
        assert dl.error_code == "STALE_VERSION" and dl.next_retry_at is not None
    clock.advance(120)  # past the dead letter's first backoff
    sync_all(dyn_hub, jobs, rounds=2)
    r1 = row(emu, "chub_supportcontract", k.id)
    assert (r1["chub_supporttier"], r1["chub_renewaldate"]) == (TIERS["Enterprise"],
                                                                date(2028, 1, 31))
    with dyn_hub.session() as s:
        assert s.get(Contract, k.id).end_date == date(2028, 1, 31)  # nothing overwritten
    assert_converged(dyn_hub, emu)


def test_an_access_token_expiring_mid_run_is_refreshed_once(dyn_hub, jobs, dataverse_sandbox):
    emu = dataverse_sandbox
    seed(dyn_hub, 250, 0)  # two batches
    expired: list[str] = []

    def expire_after_first_batch(step: str) -> None:
        if step == "after_push_commit" and not expired:
            emu.identity.expire_all_tokens()
            expired.append(step)

    r = cycle(dyn_hub, jobs["dyn_accounts"], step=expire_after_first_batch)
    assert r.counts.pushed == 250
    assert emu.identity.calls.count(TOKEN) == 2
    assert emu.calls.statuses().count(401) == 1
    assert_converged(dyn_hub, emu)
