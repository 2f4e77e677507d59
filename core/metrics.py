"""The daemon's Prometheus metrics and its health endpoint.

``/metrics`` (Prometheus text format) and ``/healthz`` (JSON: each sync's
last status; 503 while stopping) on one small HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, make_wsgi_app


class DaemonMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.cycles = Counter("contracthub_cycles", "Sync cycles run", ["sync", "status"],
                              registry=r)
        self.records = Counter("contracthub_records", "Records handled", ["sync", "kind"],
                               registry=r)
        self.errors = Counter("contracthub_errors", "Failed cycles", ["sync"], registry=r)
        self.api_calls = Counter("contracthub_api_calls", "Remote API calls", ["sync"],
                                 registry=r)
        self.dead_letters = Gauge("contracthub_dead_letters", "Open dead letters", ["sync"],
                                  registry=r)
        self.lag = Gauge("contracthub_lag_seconds", "Seconds since the last good cycle ended",
                         ["sync"], registry=r)
        self.budget_left = Gauge("contracthub_api_budget_left",
                                 "Remote API calls left in the budget", ["connection"],
                                 registry=r)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


def serve(metrics: DaemonMetrics, health: Callable[[], tuple[int, dict[str, Any]]],
          port: int, host: str = "127.0.0.1") -> WSGIServer:
    prom = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            status, body = health()
            start(f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                  [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        return prom(environ, start)

    server = make_server(host, port, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
