"""Reading from the emulator: cursor ties, late commits, deletions, the id sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import RateLimited, StopSync
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.cursor import ReadCursor
from tests.salesforce.conftest import DATA, sf_settings

FIELDS = ["Name", "BillingCity", "ContractHub_Id__c"]


def read(conn: SalesforceConnector, cursor=None, obj="Account"):
    pages = list(conn.read_changes(obj, cursor, FIELDS))
    return pages, (dict(pages[-1].cursor) if pages else cursor)


def ids(pages) -> list[str]:
    return [r.id for p in pages for r in p.records]


def seed_accounts(emu, n: int, **fields) -> list[str]:
    return [emu.store.insert("Account", {"Name": f"Account {i:04d}", **fields})
            for i in range(n)]


def test_many_records_sharing_one_stamp_are_read_once_across_page_boundaries(
        salesforce_sandbox, clock):
    emu = salesforce_sandbox
    created = seed_accounts(emu, 450)  # the clock is frozen: one SystemModstamp for all
    conn = SalesforceConnector(name="sf", settings=sf_settings(emu, page_size=200), clock=clock)
    clock.advance(600)
    pages = list(conn.read_changes("Account", None, FIELDS))
    assert ids(pages) == sorted(created) and len(set(ids(pages))) == 450
    assert emu.calls.count(f"GET {DATA}/query") == 1
    assert emu.calls.count(f"GET {DATA}/query/.*") == 2  # nextRecordsUrl, 200 a page
    # a crash after the first page: resuming from its cursor (a tie at the boundary)
    resumed = list(conn.read_changes("Account", pages[0].cursor, FIELDS))
    assert ids(resumed) == sorted(created)[200:]
    # and after everything: nothing again
    assert ids(list(conn.read_changes("Account", pages[-1].cursor, FIELDS))) == []


def test_pages_smaller_than_a_query_batch_split_one_answer(connector, salesforce_sandbox, clock):
    seed_accounts(salesforce_sandbox, 45)
    connector.page_size = 10
    clock.advance(600)
    pages, _ = read(connector)
    assert [len(p.records) for p in pages] == [10, 10, 10, 10, 5]
    assert salesforce_sandbox.calls.count(f"GET {DATA}/query") == 1  # still one API call


def test_a_late_commit_inside_the_lag_window_is_still_read(connector, salesforce_sandbox, clock):
    emu = salesforce_sandbox
    seed_accounts(emu, 3)
    clock.advance(30)  # records 30 s old: inside the 60 s lag
    pages, cursor = read(connector)
    assert len(ids(pages)) == 3
    assert ReadCursor.decode(cursor).ts == clock.now() - timedelta(seconds=60)  # capped
    late = emu.store.insert("Account", {"Name": "Late", "SystemModstamp": clock.now()
                                        - timedelta(seconds=45)})
    clock.advance(5)
    pages, cursor = read(connector, cursor)
    assert late in ids(pages)
    versions = {r.id: r.version for p in pages for r in p.records}
    again, _ = read(connector, cursor)
    # re-reads inside the window carry the same versions: the engine skips them
    assert {r.id: r.version for p in again for r in p.records}.items() >= versions.items()


def test_versions_change_with_the_values_even_within_one_stamp(connector, salesforce_sandbox,
                                                              clock):
    rid = salesforce_sandbox.store.insert("Account", {"Name": "Acme"})
    [before] = [r for p in read(connector)[0] for r in p.records]
    salesforce_sandbox.store.update("Account", rid, {"BillingCity": "York"})  # same instant
    [after] = [r for p in read(connector)[0] for r in p.records]
    assert before.version != after.version and after.fields["BillingCity"] == "York"
    assert after.version.startswith("2026-03-02T09:00:00.000+0000#")


def test_deletions_come_from_get_deleted_once_a_minute_has_passed(connector, salesforce_sandbox,
                                                                  clock):
    emu = salesforce_sandbox
    keep, gone = seed_accounts(emu, 2)
    clock.advance(90)
    _, cursor = read(connector)
    assert "del" in cursor
    emu.store.delete("Account", gone)
    pages, cursor2 = read(connector, cursor)  # same minute: nothing to ask yet
    assert not [d for p in pages for d in p.deletions]
    assert emu.calls.count(f"GET {DATA}/sobjects/Account/deleted") == 0
    clock.advance(120)
    pages, cursor3 = read(connector, cursor2)
    assert [d.id for p in pages for d in p.deletions] == [gone]
    assert emu.calls.count(f"GET {DATA}/sobjects/Account/deleted") == 1
    clock.advance(120)
    pages, _ = read(connector, cursor3)
    assert not [d for p in pages for d in p.deletions]  # reported once
    assert keep in connector.sweep_ids("Account") and gone not in connector.sweep_ids("Account")


def test_a_first_read_cut_short_still_reports_deletions_from_its_start(
        connector, salesforce_sandbox, clock):
    emu = salesforce_sandbox
    created = seed_accounts(emu, 30)
    connector.page_size = 10
    clock.advance(90)
    first = next(iter(connector.read_changes("Account", None, FIELDS)))  # then a crash
    assert "del" in first.cursor
    emu.store.delete("Account", first.records[0].id)  # linked by the committed page
    clock.advance(120)
    pages, _ = read(connector, first.cursor)
    assert ids(pages) == sorted(created)[10:]
    assert [d.id for p in pages for d in p.deletions] == [first.records[0].id]


def test_a_window_too_old_for_get_deleted_is_left_to_the_sweep(connector, salesforce_sandbox,
                                                              clock):
    emu = salesforce_sandbox
    _, gone = seed_accounts(emu, 2)
    clock.advance(90)
    _, cursor = read(connector)
    emu.store.delete("Account", gone)
    clock.advance(timedelta(days=16))  # past the 15-day recycle bin
    pages, cursor2 = read(connector, cursor)
    assert not [d for p in pages for d in p.deletions]  # nothing guessed
    assert cursor2["del_gap"] == ReadCursor.decode(cursor).deleted_since.isoformat()
    assert emu.calls.statuses(f"GET {DATA}/sobjects/Account/deleted") == [400]
    assert gone not in connector.sweep_ids("Account")
    clock.advance(120)
    read(connector, cursor2)  # the new window is fine
    assert emu.calls.statuses(f"GET {DATA}/sobjects/Account/deleted")[-1] == 200


def test_the_id_sweep_reads_every_page_or_raises(connector, salesforce_sandbox):
    emu = salesforce_sandbox
    created = set(seed_accounts(emu, 2100))
    assert connector.sweep_ids("Account") == created
    assert emu.calls.count(f"GET {DATA}/query/.*") == 1  # 2,000 a page
    emu.add_fault(pattern=r"GET .*/query/", status=503, retry_after=9, times=1)
    with pytest.raises(RateLimited) as caught:
        connector.sweep_ids("Account")
    assert caught.value.retry_after == 9


def test_an_unknown_cursor_format_reads_everything_again(connector, salesforce_sandbox, clock):
    seed_accounts(salesforce_sandbox, 3)
    for cursor in ({"v": 99, "whatever": 1}, {"v": 1, "ts": "yesterday", "id": "x"}):
        pages, _ = read(connector, cursor)
        assert len(ids(pages)) == 3


def test_a_refused_query_is_a_config_error_naming_the_connection(connector):
    from connectors.base import ConfigError

    with pytest.raises(ConfigError, match=r"connection 'salesforce': reading Account was "
                                          r"refused \(INVALID_FIELD: .*No_Such__c"):
        list(connector.read_changes("Account", None, ["No_Such__c"]))


def test_the_budget_share_stops_reading_before_the_wall(connector, salesforce_sandbox, clock):
    emu = salesforce_sandbox
    seed_accounts(emu, 3)
    connector.check()
    emu.budget.set_used(int(emu.budget.daily_limit * 0.85))
    connector.describe("Account")  # this answer reports the usage
    with pytest.raises(StopSync, match=r"daily API budget at 12751/15000 \(stop at 80%\)"):
        read(connector)
    clock.advance(timedelta(hours=24, seconds=1))  # the rolling window has freed up
    pages, _ = read(connector)
    assert len(ids(pages)) == 3


@pytest.mark.parametrize("obj, fields", [("Account WHERE Name != null", ["Name"]),
                                         ("Account", ["Name FROM User"])])
def test_names_that_are_not_names_never_reach_a_query(connector, salesforce_sandbox, obj,
                                                      fields):
    from connectors.base import ConfigError

    with pytest.raises(ConfigError, match="is not an object or field name"):
        list(connector.read_changes(obj, None, fields))
    assert salesforce_sandbox.calls.count(f"GET {DATA}/query") == 0
