"""Every CLI command is in the access table, and roles are enforced, denied by default."""

from __future__ import annotations

import pytest
import typer

from core.cli import access, app
from core.config import HubConfig
from core.lifecycle.roles import PermissionDenied


def command_paths() -> list[str]:
    def walk(cmd, prefix=()):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, (*prefix, name))
        else:
            yield " ".join(prefix)
    return sorted(walk(typer.main.get_command(app)))


def test_every_command_is_listed_exactly_once():
    paths = command_paths()
    listed = set(access.COMMANDS) | access.SELF_CHECKED | access.NO_STORE
    assert [p for p in paths if p not in listed] == []
    assert set(access.COMMANDS) & access.SELF_CHECKED == set()
    assert listed - set(paths) == set(), "the table names commands that do not exist"
    from core.lifecycle.roles import ACTIONS
    assert set(access.COMMANDS.values()) <= set(ACTIONS), "an action nobody may perform"


def cfg(**kw) -> HubConfig:
    return HubConfig(store={"url": "sqlite://"}, **kw)


@pytest.mark.parametrize(("role", "path", "ok"), [
    ("viewer", "contracts list", True), ("viewer", "entitlement", True),
    ("viewer", "deadletters replay", False), ("viewer", "sync", False),
    ("support", "documents add", True), ("support", "contracts import", False),
    ("legal", "contracts import", True), ("finance", "sla report", True),
    ("admin", "retention purge", True), ("support", "retention purge", False),
    ("admin", "tokens create", True), ("legal", "tokens create", False),
])
def test_roles_decide(role, path, ok):
    config = cfg(actor="pat", users={"pat": role})
    if ok:
        access.check(config, "pat", path)
    else:
        with pytest.raises(PermissionDenied, match=f"pat \\(role {role}\\) may not"):
            access.check(config, "pat", path)


def test_unlisted_people_and_unknown_commands_are_refused():
    config = cfg(actor="pat", users={"ada": "admin"})
    with pytest.raises(PermissionDenied, match="not listed under users"):
        access.check(config, "pat", "contracts list")
    with pytest.raises(PermissionDenied, match="not in the command access table"):
        access.check(cfg(actor="ada", users={"ada": "admin"}), "ada", "frobnicate")


def test_a_hub_without_users_is_run_by_its_actor_alone():
    config = cfg(actor="ops")
    access.check(config, "ops", "sync")                 # the single operator is admin
    with pytest.raises(PermissionDenied):
        access.check(config, "someone-else", "contracts list")


def test_the_cli_refuses_with_one_line(hubdir):
    cfg_file = hubdir.path / "contracthub.yaml"
    cfg_file.write_text(cfg_file.read_text() + "users: {tester: admin, val: viewer}\n")
    r = hubdir.cli("--as", "val", "deadletters", "replay", "--all")
    assert r.returncode == 1
    assert r.stderr.strip() == ("error: val (role viewer) may not sync.repair; allowed: admin")
    assert hubdir.cli("--as", "val", "status").returncode == 0
