"""Reading connection settings: one place for the checks every connector repeats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ConfigError


def number_setting(where: str, raw: Mapping[str, Any], key: str, default: float, *,
                   low: float | None = None, high: float | None = None) -> float:
    """``raw[key]`` as a number in ``[low, high]``; a ConfigError naming the key otherwise."""
    value = raw.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} must be a number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ConfigError(f"{where}: {key} must be between {low} and {high}")
    return number
