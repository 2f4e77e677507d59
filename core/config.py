"""The hub config: one YAML file, ``contracthub.yaml`` by default.

``${ENV_VAR}`` references are expanded from the environment (a missing one is
an error naming it). Unknown keys are errors. Relative paths (the SQLite
file, mapping files, the blob folder) are read relative to the config file's
folder, so the hub behaves the same whatever directory it is started from.
Secrets belong in environment variables; the config object never prints them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

DEFAULT_NAME = "contracthub.yaml"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigFileError(Exception):
    """A config that cannot be used; the message names the file and the key."""


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = "sqlite:///contracthub.db"
    blobs: str = "blobs"
    max_document_bytes: int = 100 * 1024 * 1024


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    connection: str
    mapping: str
    every: str = "5m"
    cron: str | None = None
    sweep_every: str = "24h"


class SmtpSettings(BaseModel):
    """Outgoing mail for signing and renewal emails (core.lifecycle.mailer)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    host: str
    port: int = 25
    sender: str = Field(alias="from")
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = 30.0


class SigningSettings(BaseModel):
    """Signature requests: ``contracthub signing run-due`` and the daemon use these."""

    model_config = ConfigDict(extra="forbid")
    reminder_every: str = "48h"
    expire_after: str = "90d"
    link_base: str = "https://sign.example.invalid/s/"
    archive_after: str = "365d"
    retention_years: int = Field(7, ge=1)
    smtp: SmtpSettings | None = None


class RenewalSettings(BaseModel):
    """Renewal alerts: days before the end date, per contract kind (``default`` for the rest)."""

    model_config = ConfigDict(extra="forbid")
    alert_days: dict[str, list[int]] = Field(default_factory=lambda: {"default": [90, 30]})
    notify: list[str] = Field(default_factory=list)


class HubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signing: SigningSettings = Field(default_factory=SigningSettings)
    renewals: RenewalSettings = Field(default_factory=RenewalSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    actor: str = "admin"
    users: dict[str, Literal["admin", "legal", "finance", "support", "viewer"]] = Field(
        default_factory=dict)
    connections: dict[str, dict[str, Any]] = Field(default_factory=dict)
    syncs: list[SyncSettings] = Field(default_factory=list)
    path: Path = Path(DEFAULT_NAME)

    @field_validator("connections")
    @classmethod
    def _connections_have_type(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, settings in value.items():
            if not isinstance(settings, dict) or "type" not in settings:
                raise ValueError(f"connection {name!r} needs a 'type' (salesforce, jira, memory, ...)")
        return value

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.folder / p

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path made absolute next to the config."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]))
        return url

    @property
    def blob_folder(self) -> Path:
        return self.resolve(self.store.blobs)

    def sync(self, name: str) -> SyncSettings:
        for s in self.syncs:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.syncs) or "none configured"
        raise ConfigFileError(f"{self.path}: no sync named {name!r} (known: {known})")


def expand_env(value: Any, where: str, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                raise ConfigFileError(f"{where}: environment variable {name} is not set")
            return env[name]
        return ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {k: expand_env(v, f"{where}.{k}", env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    return value


def config_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("CONTRACTHUB_CONFIG", DEFAULT_NAME))


def load_config(path: str | Path | None = None, *, required: bool = False,
                env: dict[str, str] | None = None) -> HubConfig:
    """Read and check the config. A missing default file gives the defaults
    (a SQLite store next to where it would be) unless ``required``."""
    p = config_path(path)
    if not p.exists():
        if required or path is not None or "CONTRACTHUB_CONFIG" in os.environ:
            raise ConfigFileError(f"{p}: config file not found (run `contracthub init` to write one)")
        return HubConfig(path=p)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigFileError(f"{p}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigFileError(f"{p}: the config must be a mapping of keys (store, connections, syncs)")
    raw = expand_env(raw, str(p), dict(os.environ) if env is None else env)
    try:
        cfg = HubConfig(**raw, path=p) if "path" not in raw else None
    except ValidationError as exc:
        raise ConfigFileError(_first_problem(p, exc)) from None
    if cfg is None:
        raise ConfigFileError(f"{p}: unknown key 'path'")
    _check_store_url(p, cfg.store.url)
    _check_syncs(p, cfg)
    return cfg


def _first_problem(p: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(x) for x in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{p}: unknown key '{where}'"
    return f"{p}: {where}: {err['msg']}"


def _check_store_url(p: Path, url: str) -> None:
    from sqlalchemy.engine import make_url

    try:
        backend = make_url(url).get_backend_name()
    except Exception:
        raise ConfigFileError(f"{p}: store.url is not a database URL "
                              "(use sqlite:///FILE or postgresql://USER@HOST/DB)") from None
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigFileError(f"{p}: store.url must be sqlite:// or postgresql://, not {backend}://")


def _check_syncs(p: Path, cfg: HubConfig) -> None:
    seen: set[str] = set()
    for i, s in enumerate(cfg.syncs):
        if s.name in seen:
            raise ConfigFileError(f"{p}: syncs[{i}].name: duplicate sync name {s.name!r}")
        seen.add(s.name)
        if s.connection not in cfg.connections:
            raise ConfigFileError(f"{p}: syncs[{i}].connection: no connection named {s.connection!r}")


INIT_TEMPLATE = """\
# contracthub.yaml -- the hub's config. ${VAR} is read from the environment.
store:
  # sqlite:///FILE (relative to this file) or postgresql://USER@HOST/DB
  url: sqlite:///contracthub.db
  # content-addressed document blobs (relative to this file)
  blobs: blobs

# the acting user for CLI commands (roles: admin, legal, finance, support, viewer)
actor: admin
# who may do what in the contract lifecycle: {name: role}; unlisted people are denied
users: {admin: admin}

# signing and renewals (optional): reminders, expiry and the SMTP server for their emails
# signing:
#   reminder_every: 48h
#   expire_after: 90d
#   link_base: https://sign.example.com/s/
#   smtp: {host: smtp.example.com, port: 587, from: contracts@example.com, starttls: true,
#          username: contracts, password: ${SMTP_PASSWORD}}
# renewals: {alert_days: {default: [90, 30]}, notify: [renewals@example.com]}

# connections: one per external system; secrets come from ${ENV_VARS}
connections: {}
#  salesforce:
#    type: salesforce
#    login_url: https://login.salesforce.com
#    auth: {client_id: ${SF_CLIENT_ID}, client_secret: ${SF_CLIENT_SECRET}}

# syncs: one per (connection, remote object) pair, each with its mapping file
syncs: []
#  - {name: salesforce_contracts, connection: salesforce,
#     mapping: mappings/salesforce_contracts.yaml, every: 5m}
"""
