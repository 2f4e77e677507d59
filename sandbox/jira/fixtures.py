"""pytest fixtures for the Jira emulator.

Load with ``pytest_plugins = ["sandbox.jira.fixtures"]`` in the top-level
``tests/conftest.py``, or ``from sandbox.jira.fixtures import *`` in a nested
conftest (pytest refuses ``pytest_plugins`` below the top level).

- ``jira_clock``: the suite's ``clock`` fixture when it is a ``FakeClock`` (so
  the hub and the emulator agree on time), else a new ``FakeClock``
  (2026-03-02 09:00 UTC). Fault delays sleep on it.
- ``jira_cloud``: a started ``JiraEmulator(mode="cloud")`` with fresh state
  (function scope), stopped afterwards.
- ``jira_dc``: the same in Data Center mode.
- ``jira_cloud_client`` / ``jira_dc_client``: real ``jira.JIRA`` clients on
  them (basic auth, ``max_retries=0``, the sandbox CA pinned).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.clock import FakeClock
from sandbox.jira.client import jira_client
from sandbox.jira.emulator import JiraEmulator


@pytest.fixture
def jira_clock(request: pytest.FixtureRequest) -> FakeClock:
    try:
        shared = request.getfixturevalue("clock")
    except pytest.FixtureLookupError:
        shared = None
    if isinstance(shared, FakeClock):
        return shared
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def _started(mode: str, clock: FakeClock) -> Iterator[JiraEmulator]:
    emu = JiraEmulator(mode=mode, clock=clock, sleep=clock.sleep)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def jira_cloud(jira_clock: FakeClock) -> Iterator[JiraEmulator]:
    yield from _started("cloud", jira_clock)


@pytest.fixture
def jira_dc(jira_clock: FakeClock) -> Iterator[JiraEmulator]:
    yield from _started("datacenter", jira_clock)


@pytest.fixture
def jira_cloud_client(jira_cloud: JiraEmulator) -> Iterator[Any]:
    client = jira_client(jira_cloud)
    yield client
    client.close()


@pytest.fixture
def jira_dc_client(jira_dc: JiraEmulator) -> Iterator[Any]:
    client = jira_client(jira_dc)
    yield client
    client.close()
