"""The engine with the Salesforce connector under faults: throttling, the daily limit wall,
an access token expiring mid-run. Everything converges, nothing is duplicated, and no
retry comes earlier than the server asked."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from core.models import Contract, Customer
from core.sync.engine import run_cycle
from core.sync_models import Link, OutboxEntry
from sandbox.faults import FaultRule
from tests.salesforce.conftest import DATA, cycle, seed, sync_all

KEY = "ContractHub_Id__c"
TOKEN = "POST /services/oauth2/token"


def assert_converged(hub, emu) -> None:
    with hub.session() as s:
        customers = s.scalar(select(func.count()).select_from(Customer))
        contracts = s.scalar(select(func.count()).select_from(Contract))
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
        links = s.scalar(select(func.count()).select_from(Link).where(
            Link.remote_id.is_not(None)))
    accounts, sf_contracts = emu.store.all("Account"), emu.store.all("Contract")
    assert (len(accounts), len(sf_contracts)) == (customers, contracts)  # no duplicates
    for rows in (accounts, sf_contracts):
        keys = Counter(r[KEY] for r in rows)
        assert None not in keys and set(keys.values()) <= {1}
    assert links == customers + contracts


def test_throttled_calls_are_retried_no_sooner_than_retry_after(sf_hub, jobs,
                                                                salesforce_sandbox, clock):
    emu = salesforce_sandbox
    every_call = r"^[A-Z]+ /services/(data|oauth2)/"
    for status, wait, share, rng in ((429, 7, 0.2, 11), (503, 2, 0.125, 12)):  # ~30% of calls
        emu.faults.add_rule(FaultRule(every_call, status=status, retry_after=wait,
                                      probability=share, seed=rng))
    seed(sf_hub, 25, 2)
    results = []
    for _ in range(3):  # a run that used up its retries fails; the next one carries on
        for name in ("sf_accounts", "sf_contracts"):
            results.append(run_cycle(sf_hub, jobs[name]))
        clock.advance(600)
        with sf_hub.session() as s, s.begin():  # and meanwhile the hub keeps editing
            s.scalar(select(Contract).order_by(Contract.id.desc())).tier = "enterprise"
    faulted = [c for c in emu.calls.all() if c.faulted]
    assert len(faulted) >= 0.25 * len(emu.calls.all())
    assert "failed" in [r.status for r in results]  # retries ran out once: no harm done
    emu.faults.clear_rules()  # the storm passes
    sync_all(sf_hub, jobs, rounds=2, advance=600)
    assert_converged(sf_hub, emu)
    assert Counter(c.status for c in faulted).keys() == {429, 503}
    # every wait was exactly what the server asked: never sooner, never a guess
    assert clock.sleeps and set(clock.sleeps) <= {7.0, 2.0}
    assert len(clock.sleeps) <= len(faulted)


def test_the_daily_limit_wall_fails_the_run_clearly_and_the_next_day_converges(
        sf_hub, jobs, salesforce_sandbox, clock):
    emu = salesforce_sandbox
    seed(sf_hub, 10, 2)
    cycle(sf_hub, jobs["sf_accounts"])
    emu.budget.set_used(emu.budget.daily_limit)  # another integration spent the org's day
    wall = run_cycle(sf_hub, jobs["sf_contracts"])
    assert wall.status == "failed"
    assert "daily API request limit is used up (REQUEST_LIMIT_EXCEEDED)" in wall.error
    assert emu.calls.statuses(f"GET {DATA}/query")[-1] == 403
    assert not clock.sleeps  # a wall is not retried
    again = run_cycle(sf_hub, jobs["sf_contracts"])  # still the same day: refused up front
    assert again.status == "failed" and "daily API budget at 15000/15000" in again.error
    clock.advance(timedelta(hours=24, minutes=1))  # the rolling window has moved on
    sync_all(sf_hub, jobs, rounds=2)
    assert_converged(sf_hub, emu)


def test_an_access_token_expiring_mid_run_is_refreshed_once(sf_hub, jobs, salesforce_sandbox):
    emu = salesforce_sandbox
    seed(sf_hub, 201, 0)
    expired: list[str] = []

    def expire_after_first_batch(step: str) -> None:
        if step == "after_push_commit" and not expired:
            emu.expire_all_tokens()
            expired.append(step)

    r = cycle(sf_hub, jobs["sf_accounts"], step=expire_after_first_batch)
    assert r.counts.pushed == 201
    assert emu.calls.count(TOKEN) == 2
    upserts = emu.calls.statuses(f"PATCH {DATA}/composite/sobjects/Account/{KEY}")
    assert upserts == [200, 401, 200]
    assert_converged(sf_hub, emu)
