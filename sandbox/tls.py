"""A throwaway certificate authority for the local emulators.

Promises:
- one CA per process, created on first use (``trustme``), never written
  anywhere but a private temporary directory that is removed at exit;
- ``ca_bundle_path()`` is the path of that CA's PEM file: give it to every
  client (``requests.Session.verify``, ``httplib2.Http(ca_certs=...)``);
- ``server_ssl_context()`` is a fresh server-side ``ssl.SSLContext`` whose
  certificate is valid for ``127.0.0.1``, ``::1`` and ``localhost``.
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import tempfile
import threading
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "::1", "localhost")

_lock = threading.Lock()
_ca: trustme.CA | None = None
_leaf: trustme.LeafCert | None = None
_ca_path: Path | None = None


def _ensure() -> tuple[trustme.CA, trustme.LeafCert, Path]:
    global _ca, _leaf, _ca_path
    with _lock:
        if _ca is None or _leaf is None or _ca_path is None:
            ca = trustme.CA(organization_name="contracthub sandbox")
            leaf = ca.issue_cert(*SERVER_NAMES)
            folder = Path(tempfile.mkdtemp(prefix="contracthub-sandbox-ca-"))
            atexit.register(shutil.rmtree, folder, True)
            path = folder / "ca.pem"
            path.write_bytes(ca.cert_pem.bytes())
            _ca, _leaf, _ca_path = ca, leaf, path
        return _ca, _leaf, _ca_path


def ca() -> trustme.CA:
    """The process's sandbox CA (created on first use)."""
    return _ensure()[0]


def ca_bundle_path() -> str:
    """Path of a PEM file holding the sandbox CA certificate."""
    return str(_ensure()[2])


def server_cert_files() -> tuple[str, str]:
    """(certificate chain, private key) PEM files of the sandbox server certificate,
    for servers that load them from disk (written once, next to the CA file)."""
    _, leaf, ca_path = _ensure()
    cert, key = ca_path.parent / "server-chain.pem", ca_path.parent / "server-key.pem"
    with _lock:
        if not key.exists():
            leaf.cert_chain_pems[0].write_to_path(str(cert))
            for extra in leaf.cert_chain_pems[1:]:
                extra.write_to_path(str(cert), append=True)
            leaf.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


def server_ssl_context() -> ssl.SSLContext:
    """A new TLS server context presenting the sandbox server certificate."""
    _, leaf, _ = _ensure()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    return context


def client_ssl_context() -> ssl.SSLContext:
    """A TLS client context that trusts the sandbox CA (and nothing else)."""
    context = ssl.create_default_context(cafile=ca_bundle_path())
    return context
