"""Jira emulator tests use the Jira sandbox fixtures (imported: pytest refuses
``pytest_plugins`` in a nested conftest), plus a raw ``requests`` session for
the answers the ``jira`` library hides (headers, status codes, bodies)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from sandbox.jira.emulator import JiraEmulator
from sandbox.jira.fixtures import (  # noqa: F401
    jira_clock,
    jira_cloud,
    jira_cloud_client,
    jira_dc,
    jira_dc_client,
)

RawSession = Callable[..., requests.Session]


@pytest.fixture
def raw_session() -> Iterator[RawSession]:
    """``raw_session(emu, auth="basic"|"pat"|None)``: a session trusting only the
    sandbox CA, ignoring the environment (``trust_env = False``)."""
    made: list[requests.Session] = []

    def build(emu: JiraEmulator, auth: str | None = "basic") -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = emu.ca_bundle
        if auth == "basic":
            session.auth = emu.basic_auth
        elif auth == "pat":
            session.headers["Authorization"] = f"Bearer {emu.pat}"
        made.append(session)
        return session

    yield build
    for session in made:
        session.close()
