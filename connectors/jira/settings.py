"""The connection settings, read once and checked: a ``ConfigError`` names the key, never a value.

``ca_bundle`` is read relative to the folder of ``contracthub.yaml`` (the
engine passes it as ``_config_folder``). Secrets are kept out of ``repr`` so
a settings object can be logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any, Literal

from connectors.base import ConfigError
from connectors.settings import number_setting as _number

KNOWN_KEYS = {"type", "url", "auth", "projects", "customer_rule", "ca_bundle", "timeout",
              "lag_minutes", "page_size", "severity_field", "first_response_field",
              "contract_url", "notify_users", "_config_folder"}
RULES = ("field", "project_customers", "reporter_domain")


@dataclass(frozen=True)
class CustomerRule:
    """How a ticket names its customer: a field's value, its project, or the reporter."""

    kind: Literal["field", "project_customers", "reporter_domain"]
    field: str | None = None
    project_customers: Mapping[str, str] = _field(default_factory=dict)


@dataclass(frozen=True)
class JiraSettings:
    name: str
    url: str
    projects: tuple[str, ...]
    customer_rule: CustomerRule
    email: str | None = _field(default=None, repr=False)
    api_token: str | None = _field(default=None, repr=False)
    pat: str | None = _field(default=None, repr=False)
    ca_bundle: str | None = None
    timeout: float = 30.0
    lag_minutes: float = 2.0
    page_size: int = 100
    severity_field: str = "Severity"
    first_response_field: str | None = "First Response At"
    contract_url: str | None = None
    notify_users: bool = False

    @property
    def auth_kind(self) -> str:
        return "pat" if self.pat else "basic"


def parse_settings(name: str, raw: Mapping[str, Any]) -> JiraSettings:
    where = f"connection {name!r}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS - {'_config_folder'}))})")
    url = str(raw.get("url") or "").strip().rstrip("/")
    if not url.startswith("https://"):
        raise ConfigError(f"{where}: url must be the site's https:// address, "
                          "e.g. https://example.atlassian.net")
    auth = raw.get("auth")
    if not isinstance(auth, Mapping) or set(auth) - {"email", "api_token", "pat"}:
        raise ConfigError(f"{where}: auth must be {{email: ..., api_token: ...}} or "
                          "{pat: ...} (secrets as ${ENV} references)")
    if auth.get("pat"):
        creds: dict[str, str | None] = {"pat": str(auth["pat"])}
    elif auth.get("email") and auth.get("api_token"):
        creds = {"email": str(auth["email"]), "api_token": str(auth["api_token"])}
    else:
        raise ConfigError(f"{where}: auth needs email and api_token (Cloud), or pat "
                          "(Data Center); is the ${ENV} variable set?")
    rule = _customer_rule(where, raw.get("customer_rule"))
    projects = raw.get("projects")
    if projects is None and rule.kind == "project_customers":
        projects = list(rule.project_customers)
    if (not isinstance(projects, list | tuple) or not projects
            or not all(isinstance(p, str) and p.strip() for p in projects)):
        raise ConfigError(f"{where}: projects must list the project keys to sync, e.g. [SUP] "
                          "(every search is restricted to them)")
    ca_bundle = raw.get("ca_bundle")
    if ca_bundle:
        folder = Path(str(raw.get("_config_folder", ".")))
        path = Path(str(ca_bundle)).expanduser()
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise ConfigError(f"{where}: ca_bundle {str(path)!r} is not a file")
        ca_bundle = str(path)
    contract_url = raw.get("contract_url")
    if contract_url is not None and "{number}" not in str(contract_url):
        raise ConfigError(f"{where}: contract_url must contain {{number}}, e.g. "
                          "https://contracts.example.com/c/{number}")
    return JiraSettings(
        name=name, url=url, projects=tuple(p.strip().upper() for p in projects),
        customer_rule=rule, ca_bundle=ca_bundle or None,
        timeout=_number(where, raw, "timeout", 30.0, low=0.1),
        lag_minutes=_number(where, raw, "lag_minutes", 2.0, low=0.0),
        page_size=int(_number(where, raw, "page_size", 100, low=1, high=5000)),
        severity_field=str(raw.get("severity_field") or "Severity"),
        first_response_field=str(raw.get("first_response_field", "First Response At"))
        if raw.get("first_response_field", "First Response At") else None,
        contract_url=str(contract_url) if contract_url else None,
        notify_users=bool(raw.get("notify_users", False)), **creds)


def _customer_rule(where: str, raw: Any) -> CustomerRule:
    if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in RULES:
        raise ConfigError(f"{where}: customer_rule must be one of {{field: Organization}}, "
                          "{project_customers: {PROJ: Customer name}} or "
                          "{reporter_domain: true}")
    (kind, value), = raw.items()
    if kind == "field":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: customer_rule.field must name a field (id or name)")
        return CustomerRule("field", field=value.strip())
    if kind == "project_customers":
        if not isinstance(value, Mapping) or not value:
            raise ConfigError(f"{where}: customer_rule.project_customers must map project "
                              "keys to customer names")
        return CustomerRule("project_customers", project_customers={
            str(k).upper(): str(v) for k, v in value.items()})
    if value is not True:
        raise ConfigError(f"{where}: customer_rule.reporter_domain must be true")
    return CustomerRule("reporter_domain")
