"""Opening the store: engine, sessions, and migrations on first use.

One store URL decides everything: ``sqlite:///path`` (the default) or
``postgresql+psycopg://...``. A new SQLite file is migrated automatically on
first use; PostgreSQL is migrated explicitly by ``contracthub db upgrade``
(an operator decision on a shared database), and a store that is behind is a
clear error naming the command to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import core.changes  # noqa: F401  (registers the audit/outbox hooks on every Session)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(Exception):
    """The store cannot be used as configured (bad URL, not migrated, unreachable)."""


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise StoreError(f"store url is not a database URL: {redact(url)}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"store url must be sqlite:// or postgresql://, not {parsed.drivername}")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # pysqlite's own transaction handling breaks SAVEPOINTs: take it over.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # noqa: ANN001
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def open_store(url: str, *, auto_migrate: bool | None = None) -> Engine:
    """An engine on a migrated store.

    ``auto_migrate`` defaults to True for SQLite and False for PostgreSQL.
    """
    engine = make_engine(url)
    if auto_migrate is None:
        auto_migrate = engine.dialect.name == "sqlite"
    try:
        current = current_revision(engine)
    except Exception as exc:
        raise StoreError(f"cannot open store {redact(str(engine.url))}: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0]}") from exc
    if current != head_revision():
        if not auto_migrate:
            raise StoreError(f"store {redact(str(engine.url))} is at revision {current or 'none'}, "
                             "not the latest: run `contracthub db upgrade`")
        upgrade(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], **info: object) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any exception."""
    with factory() as session:
        session.info.update(info)
        with session.begin():
            yield session
