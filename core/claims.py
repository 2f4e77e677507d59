"""Who may run which sync: claims through the store itself.

PostgreSQL: each cycle holds a session-level advisory lock on its sync
(``pg_try_advisory_lock``) on a dedicated connection for as long as it runs.
Several daemons schedule every sync; whichever gets the lock runs it, the
others skip that turn. A daemon that dies (even SIGKILL) loses its
connection and with it its locks, so another picks the sync up at its next
turn -- no lease to expire, no clock to trust.

SQLite: one daemon per store. The first takes an exclusive ``flock`` on
``<store>.daemon.lock``; a second refuses to start with a clear message.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text


class DaemonRefused(Exception):
    """This daemon cannot run against this store (another one holds it)."""


def lock_key(sync: str) -> int:
    """A stable signed 64-bit key for a sync name."""
    return int.from_bytes(hashlib.sha256(f"contracthub:{sync}".encode()).digest()[:8], "big",
                          signed=True)


class Claims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lockfile: IO[str] | None = None

    def start(self) -> None:
        """Take the store for this daemon (SQLite only; PostgreSQL shares)."""
        if self.postgres:
            return
        db = self.engine.url.database
        if not db or db == ":memory:":
            return
        path = Path(db + ".daemon.lock")
        f = path.open("a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise DaemonRefused(
                f"another daemon ({holder}) is already running on the SQLite store {db}; "
                "SQLite supports one daemon -- use PostgreSQL to run several") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        self._lockfile = f

    def stop(self) -> None:
        if self._lockfile is not None:
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_UN)
            self._lockfile.close()
            self._lockfile = None

    @contextmanager
    def claim(self, sync: str) -> Iterator[bool]:
        """Yields True while this process holds ``sync``, False if another does."""
        if not self.postgres:
            yield True
            return
        key = lock_key(sync)
        with self.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
