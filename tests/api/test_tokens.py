"""API tokens: stored hashed only, roles, revocation, the ``tokens`` commands."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from core.cli import serve_cmd  # noqa: F401  (registers `serve` and `tokens` on the app)
from core.cli.app import UserError, app
from core.hub import Hub
from core.models import ApiToken, AuditEvent
from core.tokens import (
    TokenError,
    authenticate,
    create_token,
    hash_token,
    list_tokens,
    revoke_token,
    role_allows,
)
from tests.api.conftest import Seeded, TestClient, auth


def all_rows_as_text(hub: Hub) -> str:
    """Every value of every table, as text."""
    out = []
    with hub.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_only_the_hash_is_stored(seeded: Seeded) -> None:
    dump = all_rows_as_text(seeded.hub)
    for token in seeded.tokens.values():
        assert token not in dump
        assert token[len("chub_"):] not in dump
        assert token[len("chub_"):][-20:] not in dump
        assert hashlib.sha256(token.encode()).hexdigest() in dump  # the hash is what is kept


def test_token_shape_and_prefix(hub: Hub) -> None:
    with hub.session() as s, s.begin():
        token, info = create_token(s, name="ui", role="agent", at=hub.clock.now(), actor="t")
    assert token.startswith("chub_") and len(token) == 48 and token[5:].isalnum()
    assert info.prefix == token[:9] and info.active
    with hub.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "ui"))
        assert row is not None and row.token_hash == hash_token(token)
        assert authenticate(s, token).name == "ui"  # type: ignore[union-attr]
        assert authenticate(s, token[:-1] + ("a" if token[-1] != "a" else "b")) is None
        assert authenticate(s, "") is None and authenticate(s, None) is None


def test_roles_nest() -> None:
    assert role_allows("admin", "agent") and role_allows("admin", "viewer")
    assert role_allows("agent", "viewer") and not role_allows("agent", "admin")
    assert not role_allows("viewer", "agent") and not role_allows("nobody", "viewer")


def test_create_revoke_rules_and_audit(hub: Hub) -> None:
    now = hub.clock.now()
    with hub.session() as s, s.begin():
        token, _ = create_token(s, name="ops", role="admin", at=now, actor="alice")
        with pytest.raises(TokenError, match="unknown role 'root'"):
            create_token(s, name="x", role="root", at=now, actor="alice")
        with pytest.raises(TokenError, match="must be 1-120"):
            create_token(s, name="no spaces", role="viewer", at=now, actor="alice")
        with pytest.raises(TokenError, match="already used by an active token"):
            create_token(s, name="ops", role="viewer", at=now, actor="alice")
    with hub.session() as s, s.begin():
        revoke_token(s, "ops", at=now, actor="alice")
        with pytest.raises(TokenError, match="already revoked"):
            revoke_token(s, "ops", at=now, actor="alice")
        with pytest.raises(TokenError, match="no token named 'nope'"):
            revoke_token(s, "nope", at=now, actor="alice")
        with pytest.raises(TokenError, match="already used by a revoked token"):
            create_token(s, name="ops", role="viewer", at=now, actor="alice")
    with hub.session() as s:
        assert authenticate(s, token) is None
        assert [t.name for t in list_tokens(s, include_revoked=False)] == []
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.entity_id, e.actor) for e in events] == [
        ("token.created", "ops", "alice"), ("token.revoked", "ops", "alice")]
    assert token not in json.dumps([e.payload for e in events])


def test_revoked_token_stops_at_once(client: TestClient, seeded: Seeded) -> None:
    token = seeded.tokens["agent"]
    assert client.get("/v1/contracts", headers=auth(token)).status_code == 200
    with seeded.hub.session() as s, s.begin():
        revoke_token(s, "agent-token", at=seeded.hub.clock.now(), actor="tester")
    r = client.get("/v1/contracts", headers=auth(token))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_never_reach_logs_or_errors(client: TestClient, seeded: Seeded,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for name, token in seeded.tokens.items():
        for path in ("/v1/contracts", "/v1/mappings/validate", "/v1/contracts/NOPE"):
            r = client.get(path, headers=auth(token))
            texts.append(r.text)
        texts.append(client.get("/v1/status", headers=auth(token + "x")).text)
        texts.append(client.get("/v1/status", headers={"Authorization": token}).text)
        del name
    joined = "\n".join(texts) + caplog.text
    for token in seeded.tokens.values():
        assert token not in joined


# -- the CLI ------------------------------------------------------------------------
CONFIG = 'store: {url: "sqlite:///hub.db"}\nactor: ops-lead\n'


@pytest.fixture
def cli(tmp_path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTRACTHUB_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(app, list(args))
        return r.exit_code, r.stdout, r.stderr

    return run


def test_tokens_cli(cli) -> None:  # noqa: ANN001
    code, out, err = cli("tokens", "create", "--role", "agent", "--name", "ticket-ui")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("chub_") and "\n" not in token  # printed once, alone on stdout
    assert "shown only this once" in err
    code, out, _ = cli("tokens", "list", "--json")
    listed = json.loads(out)
    assert [(t["name"], t["role"], t["active"], t["created_by"]) for t in listed] == [
        ("ticket-ui", "agent", True, "ops-lead")]
    assert token not in out and listed[0]["prefix"] == token[:9]
    code, out, _ = cli("tokens", "list")
    assert code == 0 and token not in out and "ticket-ui" in out
    code, out, _ = cli("tokens", "revoke", "ticket-ui")
    assert code == 0 and "revoked" in out
    code, out, _ = cli("tokens", "list", "--active", "--json")
    assert json.loads(out) == []


def test_tokens_cli_user_errors(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad requests are user errors: one line naming the problem (exit 1 from main())."""
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTRACTHUB_CONFIG", raising=False)
    runner = CliRunner()
    for args, words in [(["create", "--role", "root", "--name", "x"], "unknown role 'root'"),
                        (["create", "--role", "agent", "--name", "a b"], "must be 1-120"),
                        (["revoke", "nobody"], "no token named 'nobody'")]:
        r = runner.invoke(app, ["tokens", *args])
        assert isinstance(r.exception, UserError), r.output
        assert words in str(r.exception)
