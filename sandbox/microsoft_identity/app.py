"""The identity emulator's WSGI app: OpenID discovery and the v2.0 token endpoint.

Routes (``{tenant}`` is the tenant id or one of its domains):

    GET  /{tenant}/v2.0/.well-known/openid-configuration   discovery document
    GET  /{tenant}/discovery/v2.0/keys                     JWKS (empty: tokens are opaque)
    POST /{tenant}/oauth2/v2.0/token                       client credentials only

Token answers are ``{token_type: Bearer, expires_in, ext_expires_in,
access_token}``; errors follow the identity platform's shape: ``{error,
error_description: "AADSTSnnn: ...", error_codes, timestamp, trace_id,
correlation_id, error_uri}``. A wrong secret is 401 ``invalid_client``
(AADSTS7000215), a scope without ``/.default`` 400 ``invalid_scope``
(AADSTS1002012), an unknown resource 400 ``invalid_resource`` (AADSTS500011).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from sandbox.microsoft_identity.tokens import TokenRegistry

log = logging.getLogger(__name__)
RESERVED_SCOPES = {"openid", "profile", "offline_access"}


class AadError(Exception):
    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.code, self.message = status, error, code, message

    def body(self, now: datetime) -> dict[str, Any]:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.message} Trace ID: {trace} "
                                 f"Correlation ID: {correlation} Timestamp: {stamp}",
            "error_codes": [self.code], "timestamp": stamp, "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}"}


def fault_body(status: int) -> dict[str, Any]:
    """The body of an injected fault (429/5xx) in the identity platform's shape."""
    if status == 429:
        return {"error": "temporarily_unavailable", "error_codes": [90055],
                "error_description": "AADSTS90055: Too many requests."}
    return {"error": "temporarily_unavailable", "error_codes": [50001],
            "error_description": "AADSTS50001: The service is temporarily unavailable."}


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status,
                    content_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


class IdentityApp:
    def __init__(self, registry: TokenRegistry, now: Callable[[], datetime]) -> None:
        self.registry = registry
        self.now = now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except AadError as exc:
            response = _json(exc.status, exc.body(self.now()))
        except Exception:
            log.exception("identity emulator failed on %s %s", request.method, request.path)
            response = _json(500, AadError(500, "server_error", 50000,
                                           "There was an error issuing a token.").body(self.now()))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        if not parts or not parts[0]:
            raise AadError(404, "invalid_request", 90002, "No tenant in the request path.")
        tenant, rest = parts[0], "/".join(parts[1:])
        if not self.registry.knows_tenant(tenant):
            raise AadError(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check "
                           "to make sure you have the correct tenant ID and are signing into "
                           "the correct cloud.")
        base = request.host_url.rstrip("/")
        if rest == "v2.0/.well-known/openid-configuration" and request.method == "GET":
            return _json(200, self.discovery(base, tenant))
        if rest == "discovery/v2.0/keys" and request.method == "GET":
            return _json(200, {"keys": []})
        if rest == "oauth2/v2.0/token":
            if request.method != "POST":
                raise AadError(405, "invalid_request", 900561, "The endpoint only accepts "
                               "POST requests.")
            return _json(200, self.token(request))
        raise AadError(404, "invalid_request", 900144, f"The request path '{request.path}' "
                       "is not recognised.")

    def discovery(self, base: str, tenant: str) -> dict[str, Any]:
        tid = self.registry.tenant_id
        return {
            "issuer": f"{base}/{tid}/v2.0",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "request_uri_parameter_supported": False,
            "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
        }

    def token(self, request: Request) -> dict[str, Any]:
        form = request.form
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            raise AadError(400, "unsupported_grant_type", 70003, "The app requested an "
                           f"unsupported grant type '{grant}'.")
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:].strip()).decode(errors="replace")
            basic_id, _, secret = decoded.partition(":")
            client_id = client_id or unquote(basic_id)
            secret = unquote(secret)
        if not client_id:
            raise AadError(400, "invalid_request", 900144, "The request body must contain "
                           "the following parameter: 'client_id'.")
        app = self.registry.apps.get(client_id)
        if app is None:
            raise AadError(400, "unauthorized_client", 700016, f"Application with identifier "
                           f"'{client_id}' was not found in the directory "
                           f"'{self.registry.tenant_id}'.")
        if not secret:
            raise AadError(401, "invalid_client", 7000218, "The request body must contain "
                           "the following parameter: 'client_assertion' or 'client_secret'.")
        if not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise AadError(401, "invalid_client", 7000215, "Invalid client secret provided. "
                           "Ensure the secret being sent in the request is the client secret "
                           f"value, not the client secret ID, for a secret added to app "
                           f"'{client_id}'.")
        audience = self._audience(form.get("scope", ""))
        token, expires_in = self.registry.issue(client_id, audience)
        return {"token_type": "Bearer", "expires_in": expires_in,
                "ext_expires_in": expires_in, "access_token": token}

    def _audience(self, scope: str) -> str:
        scopes = [s for s in scope.split() if s not in RESERVED_SCOPES]
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise AadError(400, "invalid_scope", 1002012, f"The provided value for scope "
                           f"{scope} is not valid. Client credential flows must have a scope "
                           "value with /.default suffixed to the resource identifier "
                           "(application ID URI).")
        resource = scopes[0][: -len("/.default")].rstrip("/")
        if resource not in self.registry.resources:
            raise AadError(400, "invalid_resource", 500011, f"The resource principal named "
                           f"{resource} was not found in the tenant named "
                           f"{self.registry.tenant_id}. This can happen if the application "
                           "has not been installed by the administrator of the tenant.")
        return resource
