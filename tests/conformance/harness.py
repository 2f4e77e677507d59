"""What the conformance suite needs from each connector under test.

A harness wraps one connector pointed at its (emulated) remote, plus the
remote-side actions a person would take there. Each connector module adds a
harness factory to ``HARNESSES`` in ``tests/conformance/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.base import Connector


@dataclass
class Harness:
    connector: Connector
    object: str
    key_field: str | None
    fields: list[str]
    make_fields: Callable[[int], dict[str, Any]]
    """Valid writable fields for the i-th test record."""
    bad_fields: dict[str, Any]
    """Fields the remote refuses for one record (an unknown field, a bad value)."""
    remote_create: Callable[[dict[str, Any]], str]
    remote_delete: Callable[[str], None]
    advance: Callable[[float], None]
    """Move the remote's clock (and the hub's) forward by seconds."""
    set_page_size: Callable[[int], None]
    remote_count: Callable[[], int]
    read_calls: Callable[[], int] | None = None
