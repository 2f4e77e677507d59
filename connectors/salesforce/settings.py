"""The connection settings, read once and checked: a ``ConfigError`` names the key, never a value.

Paths (``ca_bundle``, ``auth.private_key_file``, ``auth.token_store``) are read
relative to the folder of ``contracthub.yaml`` (the engine passes it as
``_config_folder``). Secret values are kept out of ``repr`` so a settings
object can be logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import ConfigError
from connectors.settings import number_setting as _number

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "60.0"
METHODS = {
    "client_credentials": ("client_id", "client_secret"),
    "jwt": ("client_id", "username"),
    "refresh_token": ("client_id", "refresh_token"),
}
KNOWN_KEYS = {"type", "login_url", "instance_url", "api_version", "ca_bundle", "timeout",
              "budget_share", "lag_seconds", "page_size", "proxy", "auth", "_config_folder"}
AUTH_KEYS = {"method", "client_id", "client_secret", "username", "private_key_file",
             "private_key", "audience", "refresh_token", "token_store"}


@dataclass(frozen=True)
class AuthSettings:
    method: str
    client_id: str = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    private_key: str | None = field(default=None, repr=False)
    private_key_file: Path | None = None
    audience: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    token_store: Path | None = None


@dataclass(frozen=True)
class SalesforceSettings:
    name: str
    auth: AuthSettings
    login_url: str = DEFAULT_LOGIN_URL
    instance_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    timeout: float = 30.0
    budget_share: float = 0.8
    lag_seconds: float = 60.0
    page_size: int = 2000
    proxy: str | None = None

    @property
    def token_url(self) -> str:
        return self.login_url.rstrip("/") + "/services/oauth2/token"

    @property
    def batch_size(self) -> int:
        """The query batch size Salesforce accepts (200..2,000) nearest ``page_size``."""
        return max(200, min(2000, self.page_size))


def parse_settings(name: str, raw: Mapping[str, Any]) -> SalesforceSettings:
    where = f"connection {name!r}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS - {'_config_folder'}))})")
    folder = Path(str(raw.get("_config_folder", ".")))
    auth = _auth(where, raw.get("auth"), folder)
    version = str(raw.get("api_version", DEFAULT_API_VERSION)).lstrip("vV")
    major, dot, minor = version.partition(".")
    if not (major.isdigit() and (not dot or minor.isdigit())):
        raise ConfigError(f"{where}: api_version must look like \"60.0\"")
    ca_bundle = raw.get("ca_bundle")
    if ca_bundle:
        path = _path(folder, ca_bundle)
        if not path.is_file():
            raise ConfigError(f"{where}: ca_bundle {str(path)!r} is not a file")
        ca_bundle = str(path)
    settings = SalesforceSettings(
        name=name, auth=auth,
        login_url=_url(where, "login_url", raw.get("login_url") or DEFAULT_LOGIN_URL),
        instance_url=_url(where, "instance_url", raw["instance_url"])
        if raw.get("instance_url") else None,
        api_version=version if dot else f"{version}.0",
        ca_bundle=ca_bundle or None,
        timeout=_number(where, raw, "timeout", 30.0, low=0.1),
        budget_share=_number(where, raw, "budget_share", 0.8, low=0.01, high=1.0),
        lag_seconds=_number(where, raw, "lag_seconds", 60.0, low=0.0),
        page_size=int(_number(where, raw, "page_size", 2000, low=1, high=2000)),
        proxy=raw.get("proxy") or None)
    return settings


def _auth(where: str, raw: Any, folder: Path) -> AuthSettings:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: needs an auth block, e.g. "
                          "auth: {method: client_credentials, client_id: ..., client_secret: ...}")
    unknown = sorted(set(raw) - AUTH_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown auth setting {unknown[0]!r}")
    method = raw.get("method")
    if method not in METHODS:
        raise ConfigError(f"{where}: auth.method must be one of {', '.join(METHODS)}")
    missing = [k for k in METHODS[method] if not raw.get(k)]
    if method == "jwt" and not (raw.get("private_key_file") or raw.get("private_key")):
        missing.append("private_key_file")
    if missing:
        raise ConfigError(f"{where}: auth method {method} needs auth.{missing[0]} "
                          "(put secrets in the environment: ${SALESFORCE_...})")
    key_file = _path(folder, raw["private_key_file"]) if raw.get("private_key_file") else None
    if key_file is not None and not key_file.is_file():
        raise ConfigError(f"{where}: auth.private_key_file {str(key_file)!r} is not a file")
    return AuthSettings(
        method=method, client_id=str(raw["client_id"]),
        client_secret=str(raw["client_secret"]) if raw.get("client_secret") else None,
        username=raw.get("username"), private_key=raw.get("private_key"),
        private_key_file=key_file, audience=raw.get("audience"),
        refresh_token=str(raw["refresh_token"]) if raw.get("refresh_token") else None,
        token_store=_path(folder, raw["token_store"]) if raw.get("token_store") else None)


def _path(folder: Path, value: Any) -> Path:
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else folder / p


def _url(where: str, key: str, value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not text.startswith("https://"):
        raise ConfigError(f"{where}: {key} must be an https:// URL")
    return text
