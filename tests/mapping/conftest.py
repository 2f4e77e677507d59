"""Fixtures for the mapping tests (the data itself lives in ``fakes``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fakes import HERE, FakeLinks


@pytest.fixture
def links() -> FakeLinks:
    return FakeLinks({"customer": {"7": "001A000001"}, "contract": {"3": "800A000003"}})


@pytest.fixture
def good_path() -> Path:
    return HERE / "good" / "salesforce_contracts.yaml"
