"""The entitlement and admin HTTP API (``contracthub serve``): ``create_app(hub)``.

Modules: ``auth`` (bearer tokens and roles, ``core.tokens``), ``entitlements``,
``contracts``, ``syncs`` (status, dead letters, conflicts), ``mappings``
(validate, preview), ``schemas`` (the OpenAPI models), ``app`` (the factory).
"""

from core.api.app import app_from_config, create_app

__all__ = ["app_from_config", "create_app"]
