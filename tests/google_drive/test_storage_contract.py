"""The Google Drive connector passes the storage contract, through the real
google-api-python-client over HTTPS against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.archive.storage_contract import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_storage_contract(check: Callable[..., None], make_drive: Any, drive_remote: Any) -> None:
    check(make_drive, drive_remote)
