"""The storage-connector contract: behaviour every ``StorageConnector`` must show.

A connector module proves itself by running every check in ``CHECKS`` against
its emulator::

    from tests.archive.storage_contract import CHECKS, StorageRemote

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_contract(check, my_connector_factory, my_remote):
        check(my_connector_factory, my_remote)

``make(**overrides)`` returns a NEW connector each call (the concurrency
check needs two). A connector made with ``make()`` must switch to its
resumable/session upload above ``remote.large_size`` bytes.
``StorageRemote`` is what a person could do on the remote side (the
emulator), plus counters.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import pytest

from connectors.base import RateLimited
from connectors.storage import CursorExpired, StorageChange, StorageConnector, StoredFile

MakeConnector = Callable[..., StorageConnector]


class StorageRemote(Protocol):
    clock: Any
    """The FakeClock the connector sleeps on (its ``sleeps`` list is read)."""
    large_size: int
    """A size (bytes) above the connector's resumable/session threshold, over 1 MiB."""
    can_trash: bool

    def trash(self, remote_id: str) -> None: ...
    def delete(self, remote_id: str) -> None: ...
    def rename(self, remote_id: str, name: str) -> None: ...
    def move_to_new_folder(self, remote_id: str, folder_name: str) -> None: ...
    def replace_content(self, remote_id: str, content: bytes) -> None: ...
    def file_count(self) -> int:
        """Live (not trashed) files, folders excluded."""
    def folder_paths(self) -> list[str]:
        """The path of every live folder (duplicates listed twice)."""
    def upload_calls(self) -> int:
        """Requests that carried file bytes so far."""
    def fail_one_upload_chunk(self) -> None:
        """The next chunk/fragment request after the first answers 503 once."""
    def rate_limit_next_read(self, retry_after: float) -> None:
        """The next read (list/get) answers the vendor's rate-limit status once."""
    def expire_cursors(self) -> None:
        """Every change cursor handed out so far is refused from now on."""


def props(doc: int | str, content: bytes) -> dict[str, str]:
    return {"contracthub_document": str(doc), "sha256": hashlib.sha256(content).hexdigest()}


def pdf(n: int, size: int = 0) -> bytes:
    body = f"%PDF-1.7 contract document {n}\n".encode()
    if size > len(body):
        body += bytes((i * 7 + n) % 251 for i in range(size - len(body)))
    return body


def all_changes(conn: StorageConnector, cursor: Any) -> tuple[list[StorageChange], Any]:
    changes: list[StorageChange] = []
    for page in conn.changes(cursor):
        changes.extend(page.changes)
        cursor = page.cursor
    return changes, cursor


def last_state(changes: Iterable[StorageChange], remote_id: str) -> StorageChange:
    mine = [c for c in changes if c.remote_id == remote_id]
    assert mine, f"no change reported for {remote_id}"
    return mine[-1]


# ---------------------------------------------------------------------------------
def put_then_find_get_fetch(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    content = pdf(1)
    stored = conn.put("Contracts/Acme Ltd/C-1/C-1-v1.pdf", content, props(1, content))
    assert isinstance(stored, StoredFile)
    assert stored.path == "Contracts/Acme Ltd/C-1/C-1-v1.pdf"
    assert stored.size == len(content) and stored.content_tag
    assert stored.properties["contracthub_document"] == "1"
    found = conn.find(props(1, content))
    assert found is not None and found.remote_id == stored.remote_id
    assert found.path == stored.path
    got = conn.get(stored.remote_id)
    assert got is not None and got.content_tag == stored.content_tag and not got.trashed
    assert conn.fetch(stored.remote_id) == content
    assert conn.find({"contracthub_document": "999"}) is None
    assert conn.find(props(1, b"other bytes")) is None


def folders_are_created_once(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    for n in range(3):
        conn.put(f"Contracts/Beta/C-{n}/C-{n}-v1.pdf", pdf(n), props(n, pdf(n)))
    again = make()  # a fresh connector (no cache) finds the same folders
    again.put("Contracts/Beta/C-0/C-0-v2.pdf", pdf(9), props(9, pdf(9)))
    paths = remote.folder_paths()
    assert len(paths) == len(set(paths)), f"duplicate folders: {sorted(paths)}"
    assert sum(p.endswith("Contracts/Beta") for p in paths) == 1
    assert remote.file_count() == 4


def concurrent_puts_leave_one_folder_per_path(make: MakeConnector,
                                              remote: StorageRemote) -> None:
    conns = [make(), make()]
    for c in conns:
        c.check()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(3):
                k = i * 10 + n
                conns[i].put(f"Contracts/Gamma/C-{n}/C-{n}-from-{i}.pdf", pdf(k), props(k, pdf(k)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    paths = remote.folder_paths()
    assert len(paths) == len(set(paths)), f"duplicate folders: {sorted(paths)}"
    assert remote.file_count() == 6
    for i in range(2):
        for n in range(3):
            k = i * 10 + n
            assert conns[0].find(props(k, pdf(k))) is not None


def large_upload_survives_a_failed_chunk(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    content = pdf(5, remote.large_size)
    remote.fail_one_upload_chunk()
    stored = conn.put("Contracts/Delta/C-5/C-5-v1.pdf", content, props(5, content))
    assert stored.size == len(content)
    assert conn.fetch(stored.remote_id) == content
    assert remote.file_count() == 1
    assert remote.upload_calls() >= 3, "a large file goes up in several requests"


def changes_report_tampering(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    files = {n: conn.put(f"Contracts/Eps/C-{n}/C-{n}-v1.pdf", pdf(n), props(n, pdf(n)))
             for n in range(5)}
    cursor = conn.start_cursor()
    remote.delete(files[0].remote_id)
    remote.rename(files[1].remote_id, "renamed.pdf")
    remote.move_to_new_folder(files[2].remote_id, "Elsewhere")
    remote.replace_content(files[3].remote_id, b"%PDF forged")
    if remote.can_trash:
        remote.trash(files[4].remote_id)
    changes, cursor = all_changes(conn, cursor)
    gone = last_state(changes, files[0].remote_id)
    assert gone.kind == "deleted" and gone.file is None
    renamed = last_state(changes, files[1].remote_id).file
    assert renamed is not None and renamed.path.endswith("/renamed.pdf")
    moved = last_state(changes, files[2].remote_id).file
    assert moved is not None and moved.path != files[2].path
    replaced = last_state(changes, files[3].remote_id).file
    assert replaced is not None and replaced.content_tag != files[3].content_tag
    if remote.can_trash:
        trashed = last_state(changes, files[4].remote_id)
        assert trashed.kind in ("trashed", "deleted")
        assert trashed.file is None or trashed.file.trashed
    assert conn.get(files[0].remote_id) is None
    later, _ = all_changes(conn, cursor)
    assert [c for c in later if c.remote_id in {f.remote_id for f in files.values()}] == []


def expired_cursor_is_refused(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    cursor = conn.start_cursor()
    conn.put("Contracts/Zeta/C-1/C-1-v1.pdf", pdf(1), props(1, pdf(1)))
    remote.expire_cursors()
    with pytest.raises(CursorExpired):
        all_changes(conn, cursor)
    fresh = conn.start_cursor()
    assert all_changes(conn, fresh)[0] == []


def remove_deletes_and_is_idempotent(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    stored = conn.put("Contracts/Eta/C-1/C-1-v1.pdf", pdf(1), props(1, pdf(1)))
    conn.remove(stored.remote_id)
    assert conn.get(stored.remote_id) is None
    conn.remove(stored.remote_id)
    assert remote.file_count() == 0


def rate_limit_waits_what_the_server_asks(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    stored = conn.put("Contracts/Theta/C-1/C-1-v1.pdf", pdf(1), props(1, pdf(1)))
    before = len(remote.clock.sleeps)
    remote.rate_limit_next_read(retry_after=17)
    assert conn.get(stored.remote_id) is not None
    assert 17 in remote.clock.sleeps[before:]


def rate_limit_storm_ends_in_rate_limited(make: MakeConnector, remote: StorageRemote) -> None:
    conn = make()
    for _ in range(10):
        remote.rate_limit_next_read(retry_after=1)
    with pytest.raises(RateLimited):
        conn.find({"contracthub_document": "1"})


CHECKS = [put_then_find_get_fetch, folders_are_created_once,
          concurrent_puts_leave_one_folder_per_path, large_upload_survives_a_failed_chunk,
          changes_report_tampering, expired_cursor_is_refused,
          remove_deletes_and_is_idempotent, rate_limit_waits_what_the_server_asks,
          rate_limit_storm_ends_in_rate_limited]
