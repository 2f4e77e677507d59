"""Serve a WSGI app over HTTPS on 127.0.0.1 in a background thread.

``EmulatorServer(app, name)`` binds an ephemeral port on 127.0.0.1 only,
presents the sandbox certificate (``sandbox.tls``) and serves requests on
threads until ``stop()``. ``base_url`` is ``https://127.0.0.1:PORT`` (no
trailing slash); ``ca_bundle`` is the CA file a client must trust.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import tls

log = logging.getLogger(__name__)
POLL_INTERVAL = 0.05  # seconds between shutdown checks: keeps stop() fast


class _QuietHandler(WSGIRequestHandler):
    """Request handler that logs through ``logging`` at DEBUG, not stderr."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), message % args)


class EmulatorServer:
    """An HTTPS server for one emulator; usable as a context manager."""

    def __init__(self, app: Any, name: str = "emulator", host: str = "127.0.0.1") -> None:
        self.app = app
        self.name = name
        self.host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        """Bind and start serving; returns self. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} sandbox server already started")
        self._server = make_server(
            self.host,
            0,
            self.app,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=tls.server_ssl_context(),
        )
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=POLL_INTERVAL),
            name=f"sandbox-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call more than once."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} sandbox server is not started")
        return int(self._server.server_port)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_bundle(self) -> str:
        return tls.ca_bundle_path()

    def __enter__(self) -> EmulatorServer:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
