"""Service-account tokens: the key file the emulator hands out, and its token endpoint.

google-auth signs a JWT (RS256) with the key file's ``private_key`` and posts
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`` to the
key file's ``token_uri``. The JWT's ``aud`` is Google's constant
``https://oauth2.googleapis.com/token`` whatever ``token_uri`` says, so both
are accepted. The signature is checked with the public half of the one key
the emulator knows; ``iss`` must be the account's ``client_email``; ``exp``
must lie ahead in real time (google-auth
sets it from real time) and at most an hour after ``iat``. Access tokens
expire on the emulator's clock. Answers ``{access_token, expires_in,
token_type}`` or 400 ``{error, error_description}``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
TOKEN_PATH = "/token"


class TokenError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class ServiceAccount:
    """One service account: its key, and the access tokens issued to it."""

    def __init__(self, now: Callable[[], datetime], lifetime: float = 3600,
                 email: str = "contracthub@sandbox-project.iam.gserviceaccount.com") -> None:
        self.now = now
        self.lifetime = timedelta(seconds=lifetime)
        self.email = email
        self.key_id = secrets.token_hex(20)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._tokens: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def key_file(self, token_uri: str) -> dict[str, Any]:
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": "sandbox-project",
                "private_key_id": self.key_id, "private_key": pem, "client_email": self.email,
                "client_id": "100000000000000000001", "token_uri": token_uri,
                "auth_uri": "https://accounts.google.com/o/oauth2/auth"}

    def write_key_file(self, path: Path, token_uri: str) -> Path:
        path.write_text(json.dumps(self.key_file(token_uri), indent=2))
        path.chmod(0o600)
        return path

    def token(self, form: dict[str, str], token_uri: str) -> dict[str, Any]:
        if form.get("grant_type") != JWT_BEARER:
            raise TokenError("unsupported_grant_type", "Invalid grant_type.")
        assertion = form.get("assertion", "")
        try:
            # exp/iat are checked against real time, as google-auth sets them from it
            claims = jwt.decode(assertion, self._key.public_key(), algorithms=["RS256"],
                                audience=[GOOGLE_AUDIENCE, token_uri], leeway=300,
                                options={"require": ["iss", "aud", "exp", "iat"]})
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_grant", f"Invalid JWT Signature. ({exc})") from None
        if claims.get("iss") != self.email:
            raise TokenError("invalid_grant", "Invalid email or User ID")
        if int(claims["exp"]) - int(claims["iat"]) > 3600:
            raise TokenError("invalid_grant", "Invalid JWT: Token must be a short-lived token "
                                              "(60 minutes) and in a reasonable timeframe.")
        access = "ya29.sandbox-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access] = self.now() + self.lifetime
            self.issued += 1
        return {"access_token": access, "expires_in": int(self.lifetime.total_seconds()),
                "token_type": "Bearer"}

    def valid(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self._lock:
            expires = self._tokens.get(authorization[7:].strip())
        return expires is not None and expires > self.now()

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()
