"""Who may call the emulator: basic auth (email + API token) or a bearer PAT.

Promises: ``check(header)`` is the account id for a valid ``Authorization``
header and None otherwise. Basic auth accepts the email (or, on Data Center,
the username) with the API token; ``Bearer <pat>`` the personal access token.
Tokens can be rotated (``rotate()``): old ones stop working at once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading

from sandbox.jira.workflow import User


class Credentials:
    def __init__(self, user: User, api_token: str | None = None, pat: str | None = None
                 ) -> None:
        self.user = user
        self._lock = threading.Lock()
        self.api_token = api_token or f"ATATT{secrets.token_urlsafe(24)}"
        self.pat = pat or secrets.token_urlsafe(32)

    @property
    def basic_auth(self) -> tuple[str, str]:
        return self.user.email, self.api_token

    def rotate(self) -> None:
        """New API token and PAT; the previous ones answer 401 from now on."""
        with self._lock:
            self.api_token = f"ATATT{secrets.token_urlsafe(24)}"
            self.pat = secrets.token_urlsafe(32)

    def check(self, header: str | None) -> str | None:
        if not header:
            return None
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        with self._lock:
            if scheme.lower() == "bearer":
                return self.user.account_id if secrets.compare_digest(value, self.pat) else None
            if scheme.lower() != "basic":
                return None
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            login, _, token = decoded.partition(":")
            if login.lower() not in (self.user.email.lower(), self.user.name.lower()):
                return None
            ok = secrets.compare_digest(token, self.api_token)
            return self.user.account_id if ok else None
