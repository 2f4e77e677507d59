"""Client-credentials tokens from the Microsoft identity platform, through msal.

Shared by the Microsoft Graph (OneDrive/SharePoint) and Dynamics 365 connectors.
Settings (the ``auth`` block of a connection; the secret only as ``${ENV}``)::

    auth:
      tenant_id: 00000000-0000-0000-0000-000000000000   # or contoso.onmicrosoft.com
      client_id: 11111111-1111-1111-1111-111111111111
      client_secret: ${GRAPH_CLIENT_SECRET}
      authority_host: https://login.microsoftonline.com  # default

One ``msal.ConfidentialClientApplication`` per connection, so its token cache
works; it is built on first use (the constructor fetches the OpenID
discovery document) with ``instance_discovery=False`` and the connection's
HTTP session (``connectors.http.make_session``: the CA bundle wins, timeout).
msal answers failures as a dict with ``error``; they become ``StopSync``
(credentials refused), ``ConfigError`` (tenant/scope wrong) or ``RetryLater``
(the service is busy), with a message that names the setting to fix and
never carries the secret. ``refresh(scope, stale)`` drops a token a resource
refused with 401 and fetches a new one, once for all threads that saw it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import ConfigError, ConnectorError, RetryLater, StopSync
from connectors.http import DEFAULT_TIMEOUT, make_session, transport_error

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
AUTH_KEYS = {"tenant_id", "client_id", "client_secret", "authority_host"}
_CONFIG_ERRORS = {"invalid_tenant", "invalid_scope", "invalid_resource", "unauthorized_client",
                  "unsupported_grant_type", "invalid_request"}
_BUSY_ERRORS = {"temporarily_unavailable", "server_error"}


@dataclass(frozen=True)
class MsalAuthSettings:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    authority_host: str = DEFAULT_AUTHORITY_HOST

    @property
    def authority(self) -> str:
        return f"{self.authority_host}/{self.tenant_id}"


def parse_auth(where: str, raw: Any) -> MsalAuthSettings:
    """The ``auth`` block checked; a ConfigError names the key, never a value."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: needs an auth block: auth: {{tenant_id: ..., client_id: "
                          "..., client_secret: ${ENV_VAR}}")
    unknown = sorted(set(raw) - AUTH_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown auth setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(AUTH_KEYS))})")
    for key in ("tenant_id", "client_id", "client_secret"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            hint = " (put it in the environment: ${GRAPH_CLIENT_SECRET})" \
                if key == "client_secret" else ""
            raise ConfigError(f"{where}: auth.{key} is required{hint}")
    tenant = raw["tenant_id"].strip()
    if "/" in tenant or " " in tenant:
        raise ConfigError(f"{where}: auth.tenant_id must be a tenant id or domain, not a URL")
    host = str(raw.get("authority_host") or DEFAULT_AUTHORITY_HOST).rstrip("/")
    parts = urlsplit(host)
    if parts.scheme != "https" or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(f"{where}: auth.authority_host must look like "
                          "https://login.microsoftonline.com (https, no path)")
    return MsalAuthSettings(tenant, raw["client_id"].strip(), raw["client_secret"], host)


class MsalAuth:
    """Tokens for one connection; safe to share between threads."""

    def __init__(self, settings: MsalAuthSettings, *, ca_bundle: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, proxy: str | None = None,
                 session: requests.Session | None = None, system: str = "Microsoft") -> None:
        self.settings = settings
        self.session = session or make_session(ca_bundle, timeout=timeout, proxy=proxy)
        self.system = system
        self._app: Any = None
        self._lock = threading.RLock()
        self.requests = 0  # token requests that went to the identity platform

    def _application(self) -> Any:
        import msal

        if self._app is None:
            s = self.settings
            try:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id, client_credential=s.client_secret, authority=s.authority,
                    instance_discovery=False, http_client=self.session)
            except requests.RequestException as exc:
                raise self._scrub(transport_error(exc, f"{self.system} sign-in "
                                                  f"({s.authority_host})")) from None
            except ValueError as exc:
                raise ConfigError(
                    f"{self.system} sign-in: the authority {s.authority} did not answer "
                    "its OpenID configuration; check auth.tenant_id and auth.authority_host",
                    detail=self._clean(str(exc))) from None
        return self._app

    def token(self, scope: str) -> str:
        """An access token for ``scope`` (e.g. ``https://graph.microsoft.com/.default``),
        from the cache while it is valid. msal also remembers a refusal (400) for
        60 s and a 429/5xx for its Retry-After."""
        import msal

        with self._lock:
            app = self._application()
            try:
                result = app.acquire_token_for_client(scopes=[scope])
            except requests.RequestException as exc:
                raise self._scrub(transport_error(exc, f"{self.system} sign-in")) from None
            except msal.exceptions.MsalServiceError as exc:  # msal raises on a 5xx answer
                raise RetryLater(f"{self.system} sign-in: the identity platform is busy",
                                 detail=self._clean(str(exc))) from None
            if not isinstance(result, Mapping) or "access_token" not in result:
                raise self._error(dict(result or {}), scope)
            if result.get("token_source") == "identity_provider":
                self.requests += 1
            return str(result["access_token"])

    def refresh(self, scope: str, stale: str) -> str:
        """A new token after a resource refused ``stale`` (401). Threads that saw the
        same stale token get the one new token: only the first asks for it."""
        import msal

        with self._lock:
            app = self._application()
            cache = app.token_cache
            for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN,
                                           query={"secret": stale})):
                cache.remove_at(entry)
            return self.token(scope)

    # errors ------------------------------------------------------------------
    def _clean(self, text: str) -> str:
        secret = self.settings.client_secret
        return text.replace(secret, "***") if secret else text

    def _scrub(self, exc: ConnectorError) -> ConnectorError:
        exc.user_message = self._clean(exc.user_message)
        exc.detail = self._clean(exc.detail)
        exc.args = (exc.user_message,)
        return exc

    def _error(self, result: dict[str, Any], scope: str) -> ConnectorError:
        error = str(result.get("error") or "unknown_error")
        codes = result.get("error_codes") or []
        code = f" (AADSTS{codes[0]})" if codes else ""
        detail = self._clean(str(result.get("error_description") or error))
        where = f"{self.system} sign-in for client {self.settings.client_id}"
        if error == "invalid_client":
            return StopSync(f"{where} was refused: {error}{code}; check auth.client_secret "
                            "(the secret's value, not its id; it may have expired)",
                            detail=detail)
        if error in _BUSY_ERRORS:
            return RetryLater(f"{where}: the identity platform is busy ({error}{code})",
                              detail=detail)
        if error in _CONFIG_ERRORS:
            what = {"invalid_tenant": "auth.tenant_id",
                    "unauthorized_client": "auth.client_id and auth.tenant_id",
                    "invalid_scope": f"the scope {scope}",
                    "invalid_resource": f"the scope {scope} (its resource is not in the tenant)",
                    }.get(error, "the auth settings")
            return ConfigError(f"{where} was refused: {error}{code}; check {what}",
                               detail=detail)
        return StopSync(f"{where} failed: {error}{code}", detail=detail)
