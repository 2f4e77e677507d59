"""The connection settings, read once and checked: a ``ConfigError`` names the key, never a value.

``ca_bundle`` is read relative to the folder of ``contracthub.yaml`` (the
engine passes it as ``_config_folder``). The ``auth`` block is
``connectors.msal_auth``'s (tenant, client id, secret, authority host); the
token scope is the org URL's ``/.default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ConfigError
from connectors.msal_auth import MsalAuthSettings, parse_auth
from connectors.settings import number_setting as _number

DEFAULT_API_VERSION = "9.2"
KNOWN_KEYS = {"type", "org_url", "api_version", "auth", "ca_bundle", "timeout", "page_size",
              "budget_share", "request_limit", "proxy", "_config_folder"}


@dataclass(frozen=True)
class DynamicsSettings:
    name: str
    org_url: str
    auth: MsalAuthSettings
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    timeout: float = 30.0
    page_size: int = 1000
    budget_share: float = 0.8
    request_limit: int = 6000
    proxy: str | None = None

    @property
    def api_url(self) -> str:
        return f"{self.org_url}/api/data/v{self.api_version}/"

    @property
    def scope(self) -> str:
        return f"{self.org_url}/.default"


def parse_settings(name: str, raw: Mapping[str, Any]) -> DynamicsSettings:
    where = f"connection {name!r}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS - {'_config_folder'}))})")
    org = str(raw.get("org_url") or "").strip().rstrip("/")
    parts = urlsplit(org)
    if parts.scheme != "https" or not parts.netloc or parts.path or parts.query:
        raise ConfigError(f"{where}: org_url must look like https://contoso.crm.dynamics.com "
                          "(https, no path)")
    version = str(raw.get("api_version", DEFAULT_API_VERSION)).lstrip("vV")
    if version not in ("9.0", "9.1", "9.2"):
        raise ConfigError(f"{where}: api_version must be 9.0, 9.1 or 9.2")
    folder = Path(str(raw.get("_config_folder", ".")))
    ca_bundle = raw.get("ca_bundle")
    if ca_bundle:
        path = Path(str(ca_bundle)).expanduser()
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise ConfigError(f"{where}: ca_bundle {str(path)!r} is not a file")
        ca_bundle = str(path)
    return DynamicsSettings(
        name=name, org_url=org, auth=parse_auth(where, raw.get("auth")), api_version=version,
        ca_bundle=ca_bundle or None,
        timeout=_number(where, raw, "timeout", 30.0, low=0.1),
        page_size=int(_number(where, raw, "page_size", 1000, low=1, high=5000)),
        budget_share=_number(where, raw, "budget_share", 0.8, low=0.01, high=1.0),
        request_limit=int(_number(where, raw, "request_limit", 6000, low=1)),
        proxy=raw.get("proxy") or None)
