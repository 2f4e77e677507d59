"""Building runnable syncs from ``contracthub.yaml``: mapping loaded, checked, connector made.

A mapping is checked against the connector's ``describe`` of the remote
object before anything runs; a sync with a broken mapping refuses to start
with every problem as ``FILE:LINE:COLUMN: field.path: message (hint)``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connectors.base import ConfigError, Connector, load_connector
from core.archive.job import build_archive_job
from core.archive.mapping import is_archive_mapping
from core.config import ConfigFileError, HubConfig, SyncSettings
from core.hub import Hub
from core.mapping import MappingError, check_mapping, load_mapping, resolve_mapping
from core.sync.engine import SyncJob
from core.sync.local import LOCAL_FIELDS

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> timedelta:
    """``30s``, ``5m``, ``1h``, ``1d`` -> a timedelta."""
    t = str(text).strip()
    if len(t) < 2 or t[-1] not in UNITS or not t[:-1].isdigit():
        raise ConfigFileError(f"interval {text!r} is not like 30s, 5m, 1h or 1d")
    return timedelta(seconds=int(t[:-1]) * UNITS[t[-1]])


def make_connector(cfg: HubConfig, name: str, hub: Hub, *, cache: dict[str, Connector] | None
                   = None) -> Connector:
    if cache is not None and name in cache:
        return cache[name]
    if name not in cfg.connections:
        raise ConfigFileError(f"{cfg.path}: no connection named {name!r}")
    settings: dict[str, Any] = dict(cfg.connections[name])
    settings["_config_folder"] = str(cfg.folder)
    conn = load_connector(settings["type"], name=name, settings=settings, clock=hub.clock)
    if cache is not None:
        cache[name] = conn
    return conn


def load_checked_mapping(cfg: HubConfig, s: SyncSettings, connector: Connector) -> Any:
    path = cfg.resolve(s.mapping)
    if not path.exists():
        raise ConfigFileError(f"{cfg.path}: sync {s.name!r}: mapping file {path} not found")
    mapping = load_mapping(path)
    if mapping.connection != s.connection:
        raise ConfigError(f"{path}: connection is {mapping.connection!r} but sync {s.name!r} "
                          f"in {cfg.path} uses connection {s.connection!r}")
    spec = connector.describe(mapping.remote_object)
    problems = check_mapping(mapping, spec, LOCAL_FIELDS.get(mapping.local_entity, {}))
    if problems:
        raise MappingError(problems)
    return resolve_mapping(mapping, spec)


def build_job(hub: Hub, s: SyncSettings, *, cache: dict[str, Connector] | None = None) -> SyncJob:
    connector = make_connector(hub.config, s.connection, hub, cache=cache)
    if is_archive_mapping(hub.config.resolve(s.mapping)):  # archive: runs its own cycle
        return build_archive_job(hub, s, connector)  # type: ignore[return-value]
    mapping = load_checked_mapping(hub.config, s, connector)
    import dataclasses

    mapping = dataclasses.replace(mapping, name=s.name)
    return SyncJob(s.name, mapping, connector, sweep_every=parse_every(s.sweep_every))


def build_jobs(hub: Hub, names: list[str] | None = None) -> list[SyncJob]:
    cfg = hub.config
    chosen = [cfg.sync(n) for n in names] if names else list(cfg.syncs)
    if not chosen:
        raise ConfigFileError(f"{cfg.path}: no syncs configured (add a `syncs:` list)")
    cache: dict[str, Connector] = {}
    return [build_job(hub, s, cache=cache) for s in chosen]
