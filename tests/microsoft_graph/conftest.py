"""Identity tests use the sandbox fixtures (imported: pytest refuses
``pytest_plugins`` below the top-level conftest)."""

from sandbox.fixtures import *  # noqa: F401,F403
