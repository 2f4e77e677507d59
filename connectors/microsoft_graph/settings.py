"""OneDrive/SharePoint connection settings, read once and checked (errors name the key,
never a value). ``ca_bundle`` is read relative to the folder of ``contracthub.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ConfigError
from connectors.msal_auth import MsalAuthSettings, parse_auth
from connectors.settings import number_setting

DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
FRAGMENT_UNIT = 320 * 1024
KNOWN_KEYS = {"type", "graph_url", "scope", "auth", "drive_id", "site", "root_folder",
              "ca_bundle", "timeout", "proxy", "upload_fragment_bytes", "session_above_bytes",
              "_config_folder"}
SITE_KEYS = {"hostname", "path", "library"}


@dataclass(frozen=True)
class SiteLibrary:
    hostname: str
    path: str
    library: str


@dataclass(frozen=True)
class GraphSettings:
    name: str
    auth: MsalAuthSettings
    graph_url: str = DEFAULT_GRAPH_URL
    scope: str = DEFAULT_SCOPE
    drive_id: str | None = None
    site: SiteLibrary | None = None
    root_folder: str = "ContractHub Archive"
    ca_bundle: str | None = None
    timeout: float = 60.0
    proxy: str | None = None
    upload_fragment_bytes: int = 10 * FRAGMENT_UNIT
    session_above_bytes: int = 4 * 1024 * 1024


def parse_settings(name: str, raw: Mapping[str, Any]) -> GraphSettings:
    where = f"connection {name!r}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS - {'_config_folder'}))})")
    folder = Path(str(raw.get("_config_folder", ".")))
    auth = parse_auth(where, raw.get("auth"))
    graph_url = str(raw.get("graph_url") or DEFAULT_GRAPH_URL).rstrip("/")
    parts = urlsplit(graph_url)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(f"{where}: graph_url must be an https:// URL such as "
                          f"{DEFAULT_GRAPH_URL}")
    scope = str(raw.get("scope") or DEFAULT_SCOPE)
    if not scope.endswith("/.default"):
        raise ConfigError(f"{where}: scope must end in /.default (client credentials)")
    drive_id, site = raw.get("drive_id"), _site(where, raw.get("site"))
    if bool(drive_id) == bool(site):
        raise ConfigError(f"{where}: give either drive_id or site: {{hostname, path, "
                          "library}} (exactly one)")
    ca = raw.get("ca_bundle")
    ca_path = str(folder / str(ca)) if ca else None
    if ca_path and not Path(ca_path).is_file():
        raise ConfigError(f"{where}: ca_bundle {ca_path} does not exist")
    fragment = int(number_setting(where, raw, "upload_fragment_bytes", 10 * FRAGMENT_UNIT,
                                  low=FRAGMENT_UNIT, high=60 * 1024 * 1024))
    if fragment % FRAGMENT_UNIT:
        raise ConfigError(f"{where}: upload_fragment_bytes must be a multiple of 327680 "
                          "(320 KiB)")
    root = str(raw.get("root_folder", "ContractHub Archive")).strip().strip("/")
    if not root:
        raise ConfigError(f"{where}: root_folder must name a folder path in the library")
    return GraphSettings(
        name=name, auth=auth, graph_url=graph_url, scope=scope,
        drive_id=str(drive_id) if drive_id else None, site=site, root_folder=root,
        ca_bundle=ca_path, timeout=number_setting(where, raw, "timeout", 60.0, low=1, high=600),
        proxy=str(raw["proxy"]) if raw.get("proxy") else None,
        upload_fragment_bytes=fragment,
        session_above_bytes=int(number_setting(where, raw, "session_above_bytes",
                                               4 * 1024 * 1024, low=0,
                                               high=250 * 1024 * 1024)))


def _site(where: str, raw: Any) -> SiteLibrary | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: site must be a mapping {{hostname, path, library}}")
    unknown = sorted(set(raw) - SITE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown site setting {unknown[0]!r}")
    for key in ("hostname", "path"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"{where}: site.{key} is required (e.g. contoso.sharepoint.com, "
                              "/sites/contracts)")
    hostname = raw["hostname"].strip()
    if "/" in hostname or ":" in hostname:
        raise ConfigError(f"{where}: site.hostname must be a host name, not a URL")
    path = "/" + raw["path"].strip().strip("/")
    return SiteLibrary(hostname, path, str(raw.get("library") or "Documents").strip())
