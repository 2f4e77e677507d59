"""Access tokens from a configurable login URL, refreshed single-flight.

simple-salesforce's login helpers only talk to ``*.salesforce.com``, so the
connector posts to ``{login_url}/services/oauth2/token`` itself, with the
connection's CA-pinned session, using one of three grants:

- ``client_credentials``: the connected app's id and secret;
- ``jwt``: an RS256 assertion (``iss`` client id, ``sub`` username, ``aud``
  the login URL unless ``auth.audience`` says otherwise, three minutes to
  live) signed with the app's private key;
- ``refresh_token``: a stored refresh token. Salesforce may rotate it: the
  answer's new refresh token replaces the old one at once, written to
  ``token_store`` atomically (temp file + ``os.replace``), and is read back
  from there on the next start (the configured one is then spent).

``refresh(stale)`` is single-flight: callers that saw the same rejected
token queue on one lock; the first fetches a new token, the others find it
already replaced and reuse it -- one token request however many threads
hit the 401 together (two concurrent rotations would invalidate each other).

A refused login is ``StopSync("salesforce: login refused: <error_description>")``;
no secret ever reaches a message or a log line.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests

from connectors.base import CallCounter, StopSync
from connectors.salesforce.errors import SYSTEM, first_error, translate
from connectors.salesforce.settings import SalesforceSettings
from core.clock import Clock

log = logging.getLogger(__name__)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 180


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    instance_url: str
    identity: str | None = None


class TokenSource:
    def __init__(self, settings: SalesforceSettings, session: requests.Session, clock: Clock,
                 calls: CallCounter) -> None:
        self.settings, self.session, self.clock, self.calls = settings, session, clock, calls
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._refresh_token: str | None = None

    def current(self) -> Token:
        """The token in use, logging in first if there is none yet."""
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
            return self._token

    def refresh(self, stale: Token | None) -> Token:
        """A token other than ``stale``: fetched by the first caller, shared by the rest."""
        with self._lock:
            if self._token is None or self._token is stale:
                self._token = self._fetch()
            return self._token

    # -- the token request -------------------------------------------------
    def _fetch(self) -> Token:
        auth = self.settings.auth
        self.calls.add("token")
        try:
            answer = self.session.post(self.settings.token_url, data=self._grant(),
                                       headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise translate(exc, "the token request") from None
        try:
            body: Any = answer.json()
        except ValueError:
            body = None
        if answer.status_code != 200 or not isinstance(body, dict) or \
                not body.get("access_token"):
            _, description, _ = first_error(body if body is not None else answer.text)
            description = description or f"HTTP {answer.status_code}"
            raise StopSync(f"{SYSTEM}: login refused: {description}",
                           detail=f"{SYSTEM}: token request ({auth.method}) to "
                                  f"{self.settings.token_url} answered {answer.status_code}")
        if auth.method == "refresh_token" and body.get("refresh_token"):
            self._keep_refresh_token(str(body["refresh_token"]))
        instance = self.settings.instance_url or str(body.get("instance_url") or "").rstrip("/")
        if not instance:
            raise StopSync(f"{SYSTEM}: the token answer names no instance_url; set "
                           "instance_url in the connection settings")
        log.info("salesforce %s: logged in (%s) to %s", self.settings.name, auth.method,
                 instance)
        return Token(str(body["access_token"]), instance, body.get("id"))

    def _grant(self) -> dict[str, str]:
        auth = self.settings.auth
        if auth.method == "client_credentials":
            return {"grant_type": "client_credentials", "client_id": auth.client_id,
                    "client_secret": auth.client_secret or ""}
        if auth.method == "jwt":
            return {"grant_type": JWT_BEARER, "assertion": self._assertion()}
        grant = {"grant_type": "refresh_token", "client_id": auth.client_id,
                 "refresh_token": self._current_refresh_token()}
        if auth.client_secret:
            grant["client_secret"] = auth.client_secret
        return grant

    def _assertion(self) -> str:
        auth = self.settings.auth
        if auth.private_key:
            key = auth.private_key
        else:
            assert auth.private_key_file is not None
            key = auth.private_key_file.read_text(encoding="utf-8")
        claims = {"iss": auth.client_id, "sub": auth.username,
                  "aud": auth.audience or self.settings.login_url,
                  "exp": int(self.clock.now().timestamp()) + ASSERTION_SECONDS}
        return jwt.encode(claims, key, algorithm="RS256")

    # -- rotating refresh tokens -------------------------------------------
    def _current_refresh_token(self) -> str:
        if self._refresh_token is None:
            stored = _read_store(self.settings.auth.token_store)
            self._refresh_token = stored or self.settings.auth.refresh_token or ""
        return self._refresh_token

    def _keep_refresh_token(self, token: str) -> None:
        self._refresh_token = token
        path = self.settings.auth.token_store
        if path is not None:
            _write_store(path, token)


def _read_store(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise StopSync(f"{SYSTEM}: the token store {path} cannot be read; restore it or "
                       "remove it to use the configured refresh token") from None
    token = data.get("refresh_token") if isinstance(data, dict) else None
    return str(token) if token else None


def _write_store(path: Path, token: str) -> None:
    """Replace the stored refresh token atomically (readable by the owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"refresh_token": token}, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
