"""The OneDrive/SharePoint connector passes the storage contract, through real msal and
requests over HTTPS against the identity and Graph emulators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.archive.storage_contract import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_storage_contract(check: Callable[..., None], make_graph: Any, graph_remote: Any) -> None:
    check(make_graph, graph_remote)
