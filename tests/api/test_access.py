"""Every endpoint x every kind of caller gives the right status (on SQLite and PostgreSQL).

Callers: no token, a wrong token, a malformed one, another auth scheme, a revoked
token, and one token per role. One seeded store per backend serves the whole matrix.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.api import create_app
from core.clock import FakeClock
from core.config import HubConfig
from core.db import open_store, session_factory
from core.hub import Hub
from core.tokens import new_token
from tests.api.conftest import NOW, PG_ADMIN, Seeded, TestClient, configure, seed


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    needs: str | None  # None: open to all
    body: dict[str, Any] | None = None

    def url(self, seeded: Seeded) -> str:
        return self.path.format(dead_letter_id=seeded.dead_letter_id, number="C-1")

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/v1/entitlements?customer=Acme%20Corp", "agent"),
    Endpoint("GET", "/v1/entitlements?ticket=SUP-1", "agent"),
    Endpoint("GET", "/v1/contracts", "viewer"),
    Endpoint("GET", "/v1/contracts?status=active&customer=acme.example&limit=1", "viewer"),
    Endpoint("GET", "/v1/contracts/{number}", "viewer"),
    Endpoint("GET", "/v1/status", "viewer"),
    Endpoint("GET", "/v1/deadletters", "viewer"),
    Endpoint("GET", "/v1/conflicts", "viewer"),
    Endpoint("POST", "/v1/deadletters/{dead_letter_id}/replay", "admin"),
    Endpoint("POST", "/v1/mappings/validate", "admin",
             {"yaml": "version: 1\nconnection: memory\n"}),
    Endpoint("POST", "/v1/mappings/preview", "admin", {"sync": "accounts"}),
    Endpoint("GET", "/healthz", None),
]
CALLERS = ["none", "wrong", "malformed", "basic", "revoked", "viewer", "agent", "admin"]
RANK = {"viewer": 0, "agent": 1, "admin": 2}


def expected(endpoint: Endpoint, caller: str) -> int:
    if endpoint.needs is None:
        return 200
    if caller not in RANK:
        return 401
    return 200 if RANK[caller] >= RANK[endpoint.needs] else 403


def headers(seeded: Seeded, caller: str) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "wrong":
        return {"Authorization": f"Bearer {new_token()}"}
    if caller == "malformed":
        return {"Authorization": "Bearer not-a-token"}
    if caller == "basic":
        return {"Authorization": f"Basic {seeded.tokens['admin']}"}
    return {"Authorization": f"Bearer {seeded.tokens[caller]}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Seeded, TestClient]]:
    """One seeded store per backend for the whole matrix (the matrix only reads, or
    marks one dead letter due again and again)."""
    folder = tmp_path_factory.mktemp("api")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    else:
        import psycopg

        try:
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
                name = f"ch_test_{uuid.uuid4().hex[:12]}"
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            if os.environ.get("CONTRACTHUB_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}")
        url, drop = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", name
    engine = open_store(url, auto_migrate=True)
    base = Hub(HubConfig(path=folder / "contracthub.yaml", store={"url": url}), engine,
               session_factory(engine), FakeClock(NOW))
    seeded = seed(configure(base, folder))
    try:
        with TestClient(create_app(seeded.hub)) as client:
            yield seeded, client
    finally:
        engine.dispose()
        if drop:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_status_by_caller(shared: tuple[Seeded, TestClient], endpoint: Endpoint,
                          caller: str) -> None:
    seeded, client = shared
    r = client.request(endpoint.method, endpoint.url(seeded), json=endpoint.body,
                       headers=headers(seeded, caller))
    want = expected(endpoint, caller)
    assert r.status_code == want, r.text
    if want == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in r.json()["detail"]
    if want in (401, 403):  # denied before any work: no token ever echoed back
        for token in seeded.tokens.values():
            assert token not in r.text
    if want == 403:
        assert f"needs {endpoint.needs!r}" in r.json()["detail"]


def test_every_endpoint_is_in_the_matrix(shared: tuple[Seeded, TestClient]) -> None:
    """A new route must be added to ENDPOINTS (so its access is tested)."""
    _, client = shared
    spec = client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    tested = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    assert routes == tested
