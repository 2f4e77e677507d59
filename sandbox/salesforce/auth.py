"""OAuth 2.0 token endpoint and access-token checks for the emulator.

``POST /services/oauth2/token`` (form-encoded, parameters also read from the
query string) supports:

- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: an RS256 ``assertion``
  signed by the key whose certificate the connected app holds; ``iss`` must
  be the client id, ``sub`` the username, ``aud`` the login URL, and ``exp``
  in the future on the emulator's clock;
- ``client_credentials``: ``client_id``/``client_secret`` in the form or in
  HTTP Basic;
- ``refresh_token``: rotating: each use answers a new refresh token and the
  used one stops working.

Success is 200 ``{access_token, signature, scope, instance_url, id,
token_type: "Bearer", issued_at}`` (+ ``refresh_token`` when rotating);
failure is 400 ``{error, error_description}``. Access tokens expire after
``lifetime`` seconds of the emulator's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sandbox.salesforce.store import ORG_ID, USER_ID

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _self_signed(key: rsa.RSAPrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "contracthub sandbox jwt")])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


class TokenService:
    """Issues and checks tokens for one connected app and one user."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        lifetime: float = 7200,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str = "integration@contracthub.example",
        jwt_certificate_pem: bytes | None = None,
    ) -> None:
        self.clock = clock
        self.lifetime = timedelta(seconds=lifetime)
        self.client_id = client_id or "3MVG9sandbox." + secrets.token_hex(16)
        self.client_secret = client_secret or secrets.token_hex(32)
        self.username = username
        self._certificate_pem = jwt_certificate_pem
        self._private_key_pem: bytes | None = None
        self._access: dict[str, datetime] = {}
        self._refresh: set[str] = set()
        self._lock = threading.Lock()

    # keys for the JWT bearer flow ----------------------------------------
    def _ensure_keys(self) -> None:
        if self._certificate_pem is not None:
            return
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private_key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        cert = _self_signed(key, self.clock())
        self._certificate_pem = cert.public_bytes(serialization.Encoding.PEM)

    @property
    def jwt_private_key_pem(self) -> bytes:
        """The private key matching the app's certificate (generated on first use)."""
        self._ensure_keys()
        if self._private_key_pem is None:
            raise RuntimeError("a certificate was configured: its private key is not known")
        return self._private_key_pem

    @property
    def jwt_certificate_pem(self) -> bytes:
        self._ensure_keys()
        assert self._certificate_pem is not None
        return self._certificate_pem

    def _public_key(self) -> Any:
        pem = self.jwt_certificate_pem
        if b"BEGIN CERTIFICATE" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)

    # issuing --------------------------------------------------------------
    def issue_access_token(self) -> str:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._access[token] = self.clock() + self.lifetime
        return token

    def issue_refresh_token(self) -> str:
        """A refresh token as the web-server flow would have handed out."""
        token = "5Aep" + secrets.token_urlsafe(60)
        with self._lock:
            self._refresh.add(token)
        return token

    def _answer(self, base_url: str, refresh: bool) -> dict[str, Any]:
        issued_at = str(int(self.clock().timestamp() * 1000))
        identity = f"{base_url}/id/{ORG_ID}/{USER_ID}"
        digest = hmac.new(self.client_secret.encode(), (identity + issued_at).encode(),
                          hashlib.sha256).digest()
        out: dict[str, Any] = {
            "access_token": self.issue_access_token(),
            "signature": base64.b64encode(digest).decode(),
            "scope": "api refresh_token" if refresh else "api",
            "instance_url": base_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
        if refresh:
            out["refresh_token"] = self.issue_refresh_token()
        return out

    def token(self, params: dict[str, str], basic: tuple[str, str] | None,
              base_url: str) -> dict[str, Any]:
        """Answer a token request; raises ``OAuthError``."""
        grant = params.get("grant_type")
        if grant == JWT_BEARER:
            self._check_assertion(params.get("assertion", ""), base_url)
            return self._answer(base_url, refresh=False)
        if grant == "client_credentials":
            client_id, secret = basic or (params.get("client_id"), params.get("client_secret"))
            self._check_client(client_id, secret, secret_required=True)
            return self._answer(base_url, refresh=False)
        if grant == "refresh_token":
            client_id, secret = basic or (params.get("client_id"), params.get("client_secret"))
            self._check_client(client_id, secret, secret_required=False)
            used = params.get("refresh_token", "")
            with self._lock:
                if used not in self._refresh:
                    raise OAuthError("invalid_grant", "expired access/refresh token")
                self._refresh.discard(used)
            return self._answer(base_url, refresh=True)
        if not grant:
            raise OAuthError("invalid_request", "grant type is missing")
        raise OAuthError("unsupported_grant_type", "grant type not supported")

    def _check_client(self, client_id: str | None, secret: str | None,
                      secret_required: bool) -> None:
        if client_id != self.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if (secret_required or secret is not None) and not hmac.compare_digest(
                (secret or "").encode(), self.client_secret.encode()):
            raise OAuthError("invalid_client", "invalid client credentials")

    def _check_assertion(self, assertion: str, login_url: str) -> None:
        try:
            claims = jwt.decode(assertion, self._public_key(), algorithms=["RS256"],
                                options={"verify_exp": False, "verify_aud": False,
                                         "verify_iss": False, "verify_iat": False,
                                         "verify_nbf": False})
        except jwt.PyJWTError as exc:
            raise OAuthError("invalid_grant", "invalid assertion") from exc
        if claims.get("iss") != self.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        if not any(str(a).rstrip("/") == login_url.rstrip("/") for a in audiences):
            raise OAuthError("invalid_grant", "audience is invalid")
        if claims.get("sub") != self.username:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= self.clock().timestamp():
            raise OAuthError("invalid_grant", "expired authorization code")

    # checking --------------------------------------------------------------
    def valid(self, authorization: str | None) -> bool:
        """True for ``Bearer <token>`` (or ``OAuth <token>``) naming a live token."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return False
        with self._lock:
            expires = self._access.get(token.strip())
        return expires is not None and self.clock() < expires

    def expire_all(self) -> None:
        """Make every access token issued so far invalid (refresh tokens stay)."""
        with self._lock:
            self._access.clear()

    def revoke(self, token: str) -> bool:
        with self._lock:
            found = self._access.pop(token, None) is not None or token in self._refresh
            self._refresh.discard(token)
        return found
