"""Fault rules, the call log, and the HTTPS server they run behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from sandbox.faults import FaultRule, FaultyApp
from sandbox.fixtures import sandbox_requests_session
from sandbox.server import EmulatorServer


@Request.application
def hello(request: Request) -> Response:
    return Response(json.dumps({"path": request.path}), content_type="application/json")


def make(**kwargs: Any) -> tuple[FaultyApp, Client, list[float]]:
    sleeps: list[float] = []
    app = FaultyApp(hello, sleep=sleeps.append, **kwargs)
    return app, Client(app), sleeps


def test_every_call_is_logged_and_counted() -> None:
    app, client, _ = make()
    client.get("/services/data/v60.0/query/?q=x")
    client.get("/services/data/v60.0/query")
    client.post("/other")
    assert app.calls.count("GET /services/data/v60.0/query") == 2
    assert app.calls.count("GET /services/data/v60.0/query/") == 2
    assert app.calls.count(r"(GET|POST) /.*") == 3
    assert app.calls.count("POST /other") == 1
    assert app.calls.all()[0].query == "q=x"
    assert app.calls.statuses() == [200, 200, 200]
    app.reset_log()
    assert len(app.calls) == 0


def test_rule_fires_after_n_calls_for_a_number_of_times() -> None:
    app, client, _ = make()
    app.add_rule(FaultRule(r"^GET /api", 429, retry_after=3, after=2, times=2))
    answers = [client.get("/api/x") for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429, 200, 200]
    assert answers[2].headers["Retry-After"] == "3"
    assert client.post("/api/x").status_code == 200  # method is part of the pattern
    faulted = [c.faulted for c in app.calls.all()]
    assert faulted == [False, False, True, True, False, False, False]


def test_default_body_comes_from_the_emulator() -> None:
    app, client, _ = make(default_body=lambda status: [{"errorCode": f"E{status}"}])
    app.add_rule(pattern="GET", status=503)
    answer = client.get("/x")
    assert answer.status_code == 503
    assert answer.json == [{"errorCode": "E503"}]


def test_explicit_bodies_json_and_raw() -> None:
    app, client, _ = make()
    app.add_rule(pattern="/json", status=500, body={"oops": True}, headers={"X-A": "1"})
    app.add_rule(pattern="/raw", status=200, body=b"{not json")
    answer = client.get("/json")
    assert (answer.status_code, answer.json, answer.headers["X-A"]) == (500, {"oops": True}, "1")
    assert client.get("/raw").data == b"{not json"


def test_seeded_probability_is_reproducible() -> None:
    def pattern(seed: int) -> list[int]:
        app, client, _ = make()
        app.add_rule(pattern="GET", status=500, probability=0.3, seed=seed)
        return [client.get("/x").status_code for _ in range(40)]

    first = pattern(7)
    assert first == pattern(7)
    assert 0 < first.count(500) < 40
    assert first != pattern(8)


def test_delay_uses_the_injected_sleep_and_can_pass_through() -> None:
    app, client, sleeps = make()
    app.add_rule(pattern="/slow", status=None, delay=30, times=1)
    assert client.get("/slow").status_code == 200
    assert client.get("/slow").status_code == 200
    assert sleeps == [30]


def test_clear_rules() -> None:
    app, client, _ = make()
    app.add_rule(pattern=".", status=500)
    app.clear_rules()
    assert client.get("/x").status_code == 200


def test_rule_rejects_bad_probability() -> None:
    with pytest.raises(ValueError):
        FaultRule("x", 500, probability=1.5)


def test_https_server_serves_with_the_sandbox_ca() -> None:
    app = FaultyApp(hello)
    with EmulatorServer(app, "hello") as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        session = sandbox_requests_session(server.ca_bundle)
        assert session.get(server.base_url + "/ping").json() == {"path": "/ping"}
        # a client that does not trust the sandbox CA refuses the certificate
        plain = requests.Session()
        plain.trust_env = False
        with pytest.raises(requests.exceptions.SSLError):
            plain.get(server.base_url + "/ping", timeout=5)
        localhost = server.base_url.replace("127.0.0.1", "localhost")
        assert session.get(localhost + "/ping").status_code == 200
    assert not server.running


def test_rules_count_calls_independently() -> None:
    app, client, _ = make()
    app.add_rule(pattern="GET", status=500, times=1)
    second = app.add_rule(pattern="GET", status=503, after=1, times=1)
    assert [client.get("/x").status_code for _ in range(3)] == [500, 503, 200]
    assert (second.seen, second.fired) == (3, 1)
