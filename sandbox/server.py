"""Serve a WSGI app over HTTPS on 127.0.0.1 in a background thread, and what every
emulator shares besides: ``Served`` (start/stop/where) and ``as_clock`` (its time source).

``EmulatorServer(app, name)`` binds an ephemeral port on 127.0.0.1 only,
presents the sandbox certificate (``sandbox.tls``) and serves requests on
threads until ``stop()``. ``base_url`` is ``https://127.0.0.1:PORT`` (no
trailing slash); ``ca_bundle`` is the CA file a client must trust.

The server is cheroot (CherryPy's WSGI server): unlike werkzeug's development
server, which closes every connection, it keeps HTTP/1.1 connections alive, so
a client pays the TLS handshake once per connection, not once per call -- as
with the real APIs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from sandbox import tls

log = logging.getLogger(__name__)
THREADS = 16


def _quiet_log(msg: str = "", level: int = 20, traceback: bool = False) -> None:
    """cheroot's error log, through ``logging`` at DEBUG instead of stderr."""
    log.debug("%s", msg, exc_info=traceback)


def _decoded_slashes(app: Any) -> Any:
    """cheroot keeps ``%2F`` encoded in ``PATH_INFO`` (so a path segment may hold a
    slash); the emulators route on the fully decoded path, as WSGI servers commonly
    give it (werkzeug does), and read values with slashes through their own parsing."""
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if "%2" in path:
            environ["PATH_INFO"] = path.replace("%2F", "/").replace("%2f", "/")
        return app(environ, start_response)
    return wrapped


def as_clock(clock: Any) -> Callable[[], datetime]:
    """An emulator's time source: a callable returning an aware datetime, or an object with
    ``now()`` (a ``FakeClock``); None: real time."""
    if clock is None:
        return lambda: datetime.now(UTC)
    if hasattr(clock, "now") and callable(clock.now):
        return clock.now  # type: ignore[no-any-return]
    if callable(clock):
        return clock  # type: ignore[no-any-return]
    raise TypeError("clock must be a callable or have a now() method")


class EmulatorServer:
    """An HTTPS server for one emulator; usable as a context manager."""

    def __init__(self, app: Any, name: str = "emulator", host: str = "127.0.0.1") -> None:
        self.app = app
        self.name = name
        self.host = host
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        """Bind and start serving; returns self. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} sandbox server already started")
        server = wsgi.Server((self.host, 0), _decoded_slashes(self.app), numthreads=THREADS,
                             server_name=f"sandbox-{self.name}", shutdown_timeout=1)
        cert, key = tls.server_cert_files()
        adapter = BuiltinSSLAdapter(cert, key)
        adapter.context = tls.server_ssl_context()
        server.ssl_adapter = adapter
        server.expiration_interval = 0.05  # the accept loop's tick: keeps stop() fast
        server.error_log = _quiet_log  # a client refusing our CA is a test, not news
        server.prepare()  # binds: bind_addr now holds the real port
        self._server = server
        self._thread = threading.Thread(target=server.serve, name=f"sandbox-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call more than once."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.stop()
        if thread is not None:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} sandbox server is not started")
        return int(self._server.bind_addr[1])

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


class Served:
    """What every emulator shares: serve ``self.faults`` (the emulator's app behind its
    fault rules) once, stop safely, and say where it listens.

    An emulator sets ``served_as`` (the server's name) and ``faults`` in ``__init__``;
    ``start()`` is idempotent and returns the emulator; ``stop()`` may be called any
    number of times. ``base_url``/``ca_bundle`` raise while it is not started.
    """

    served_as = "emulator"
    server: EmulatorServer | None = None
    faults: Any
    _serving_lock = threading.Lock()

    def start(self) -> Any:
        with self._serving_lock:
            if self.server is None:
                self.server = EmulatorServer(self.faults, self.served_as).start()
        return self

    def stop(self) -> None:
        with self._serving_lock:
            server, self.server = self.server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _server(self) -> EmulatorServer:
        if self.server is None:
            raise RuntimeError(f"the {self.served_as} emulator is not started")
        return self.server

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return self._server().base_url

    @property
    def ca_bundle(self) -> str:
        return self._server().ca_bundle
