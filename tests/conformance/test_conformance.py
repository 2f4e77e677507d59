"""The connector conformance suite: every connector passes these, the memory one first.

Paging until done, cursor resume, idempotent re-writes, per-record errors,
deletions, and the protocol's shapes.
"""

from __future__ import annotations

from connectors.base import Connector, ObjectSpec, Page, WriteOp
from tests.conformance.harness import Harness


def read_all(h: Harness, cursor=None) -> tuple[list[Page], dict | None]:
    pages = list(h.connector.read_changes(h.object, cursor, h.fields))
    return pages, (dict(pages[-1].cursor) if pages else cursor)


def ids(pages: list[Page]) -> list[str]:
    return [r.id for p in pages for r in p.records]


def test_it_is_a_connector_that_describes_its_object(harness: Harness):
    assert isinstance(harness.connector, Connector)
    harness.connector.check()
    spec = harness.connector.describe(harness.object)
    assert isinstance(spec, ObjectSpec)
    for f in harness.fields:
        assert spec.field(f) is not None, f
    if harness.key_field:
        assert spec.field(harness.key_field).external_id


def test_paging_until_done_returns_every_record_once(harness: Harness):
    created = {harness.remote_create(harness.make_fields(i)) for i in range(45)}
    harness.set_page_size(10)
    harness.advance(600)
    pages, _ = read_all(harness)
    seen = ids(pages)
    assert len(pages) >= 5
    assert set(seen) == created and len(seen) == len(created)
    for p in pages:
        assert p.cursor.get("v") is not None  # cursors carry their format version


def test_cursor_resume_reads_only_what_changed(harness: Harness):
    for i in range(5):
        harness.remote_create(harness.make_fields(i))
    harness.advance(600)
    _, cursor = read_all(harness)
    harness.advance(600)
    new = harness.remote_create(harness.make_fields(99))
    harness.advance(600)
    pages, cursor2 = read_all(harness, cursor)
    assert new in ids(pages)
    harness.advance(600)
    pages, _ = read_all(harness, cursor2)
    assert new not in ids(pages)  # read once the lag window has passed, not forever


def test_rewriting_the_same_batch_is_idempotent(harness: Harness):
    ops = [WriteOp(key=str(1000 + i), fields=harness.make_fields(i)) for i in range(7)]
    first = harness.connector.write(harness.object, harness.key_field, ops)
    assert all(r.ok for r in first) and [r.key for r in first] == [o.key for o in ops]
    assert all(r.created for r in first)
    count = harness.remote_count()
    again = harness.connector.write(harness.object, harness.key_field, ops)
    assert harness.remote_count() == count  # no duplicates
    assert [r.remote_id for r in again] == [r.remote_id for r in first]
    assert not any(r.created for r in again)


def test_per_record_errors_do_not_fail_the_batch(harness: Harness):
    ops = [WriteOp(key="2000", fields=harness.make_fields(0)),
           WriteOp(key="2001", fields={**harness.make_fields(1), **harness.bad_fields}),
           WriteOp(key="2002", fields=harness.make_fields(2))]
    results = harness.connector.write(harness.object, harness.key_field, ops)
    assert [r.key for r in results] == ["2000", "2001", "2002"]
    assert results[0].ok and results[2].ok
    assert not results[1].ok and results[1].error.code and results[1].error.message


def test_deletions_are_seen_by_a_complete_sweep(harness: Harness):
    keep = harness.remote_create(harness.make_fields(1))
    gone = harness.remote_create(harness.make_fields(2))
    harness.remote_delete(gone)
    live = harness.connector.sweep_ids(harness.object)
    assert keep in live and gone not in live


def test_versions_change_on_every_write(harness: Harness):
    [r1] = harness.connector.write(harness.object, harness.key_field,
                                   [WriteOp(key="3000", fields=harness.make_fields(0))])
    harness.advance(1)
    [r2] = harness.connector.write(harness.object, harness.key_field,
                                   [WriteOp(key="3000", fields=harness.make_fields(0),
                                            remote_id=r1.remote_id)])
    assert r1.version and r2.version and r1.version != r2.version
