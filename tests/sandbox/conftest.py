"""Sandbox tests use the sandbox fixtures (re-exported: pytest refuses
``pytest_plugins`` in a nested conftest)."""

from sandbox.fixtures import *  # noqa: F401,F403
