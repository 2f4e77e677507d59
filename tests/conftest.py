"""Shared fixtures: a fresh store per test on SQLite and on PostgreSQL, a fake clock.

PostgreSQL tests need a server at 127.0.0.1:5432 (trust auth). Each test gets
its own database, dropped afterwards. Without a server they skip with the
reason -- unless CONTRACTHUB_REQUIRE_POSTGRES=1 (set by .ci/run), where a
missing server fails the run instead of hiding it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.clock import FakeClock
from core.config import HubConfig
from core.db import open_store, session_factory
from core.hub import Hub

PG_ADMIN = os.environ.get("CONTRACTHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"),
                             connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: not usable here
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}"


_PG_PROBLEM = _pg_available()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database, dropped after the test."""
    if _PG_PROBLEM:
        if os.environ.get("CONTRACTHUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    import psycopg

    name = f"ch_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def hub(store_url: str, clock: FakeClock, tmp_path) -> Iterator[Hub]:
    engine = open_store(store_url, auto_migrate=True)
    cfg = HubConfig(path=tmp_path / "contracthub.yaml", store={"url": store_url})
    yield Hub(cfg, engine, session_factory(engine), clock)
    engine.dispose()


@pytest.fixture
def sqlite_hub(tmp_path, clock: FakeClock) -> Iterator[Hub]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    cfg = HubConfig(path=tmp_path / "contracthub.yaml", store={"url": url})
    yield Hub(cfg, engine, session_factory(engine), clock)
    engine.dispose()
