"""Roles: who may do what, denied by default, read from the config's users."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigFileError, HubConfig, load_config
from core.lifecycle import roles
from core.lifecycle.roles import ACTIONS, ROLES, PermissionDenied, require, role_of

CFG = HubConfig(users={"lee": "legal", "sam": "support", "val": "viewer", "ada": "admin",
                       "fin": "finance"})


def test_roles_are_the_five_of_the_issue() -> None:
    assert ROLES == ("admin", "legal", "finance", "support", "viewer")
    assert all(set(allowed) <= set(ROLES) for allowed in ACTIONS.values())


def test_role_comes_from_users_and_an_unlisted_person_has_none() -> None:
    assert role_of(CFG, "lee") == "legal"
    assert role_of(CFG, "mallory") is None
    # a hub without users: is run by its actor alone, as admin; nobody else has a role
    assert role_of(HubConfig(), "admin") == "admin"
    assert role_of(HubConfig(), "mallory") is None
    assert role_of(HubConfig(actor="ops", users={"lee": "legal"}), "ops") is None


@pytest.mark.parametrize("actor,allowed", [("lee", True), ("ada", True), ("sam", False),
                                           ("fin", False), ("val", False), ("mallory", False)])
def test_only_legal_or_admin_may_publish_a_template(actor: str, allowed: bool) -> None:
    if allowed:
        require(CFG, actor, "templates.publish")
    else:
        with pytest.raises(PermissionDenied) as exc:
            require(CFG, actor, "templates.publish")
        assert str(exc.value).startswith(f"{actor} (role ")
        assert "may not templates.publish; allowed: admin, legal" in str(exc.value)


def test_an_action_missing_from_the_table_is_denied_even_to_admin() -> None:
    with pytest.raises(PermissionDenied, match="may not contracts.shred; allowed: nobody"):
        require(CFG, "ada", "contracts.shred")


def test_a_viewer_may_look_but_not_change() -> None:
    require(CFG, "val", "approvals.list")
    require(CFG, "val", "templates.list")
    for action in ("contracts.draft", "contracts.submit", "contracts.approve",
                   "contracts.reject", "contracts.bulk", "templates.publish"):
        with pytest.raises(PermissionDenied):
            require(CFG, "val", action)


def test_an_unlisted_person_is_told_why() -> None:
    with pytest.raises(PermissionDenied, match=r"mallory \(role none: not listed under users"):
        require(CFG, "mallory", "templates.list")


def test_actions_table_is_extensible_by_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(roles.ACTIONS, "sign.send", frozenset({"admin", "legal"}))
    require(CFG, "lee", "sign.send")
    with pytest.raises(PermissionDenied):
        require(CFG, "sam", "sign.send")


def test_config_rejects_an_unknown_role_naming_the_user(tmp_path: Path) -> None:
    p = tmp_path / "contracthub.yaml"
    p.write_text("users: {bob: superuser}\n")
    with pytest.raises(ConfigFileError, match=r"users\.bob"):
        load_config(p)
    p.write_text("users: {bob: legal}\n")
    assert load_config(p).users == {"bob": "legal"}
