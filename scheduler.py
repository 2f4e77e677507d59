"""The sync daemon: one APScheduler job per configured sync.

``contracthub daemon`` runs it. Each sync runs on its ``every`` interval (or
``cron``), with ``coalesce`` (missed turns run once), ``max_instances=1`` and
jitter. Before a cycle the daemon claims the sync through the store
(core.claims): on PostgreSQL several daemons share the work and never run one
sync twice at once; on SQLite a second daemon refuses to start.

Signals: SIGTERM/SIGINT stop gracefully -- a running cycle ends after the
page in hand is committed, then the process exits 0 (bounded by
``stop_timeout``). SIGHUP, or a change to the config or a mapping file,
reloads: the new config and mappings are validated first and only replace the
running ones when all of them are good; otherwise the error is logged and the
last good version keeps running.

Each cycle logs one line (``key=value`` text, or JSON with
``--log-format json``); ``/metrics`` and ``/healthz`` are served when a
metrics port is given.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from core.claims import Claims
from core.clock import Clock, SystemClock
from core.config import load_config
from core.hub import Hub, open_hub
from core.lifecycle.due import run_lifecycle_due
from core.metrics import DaemonMetrics, serve
from core.sync.engine import OWNER, CycleStopped, SyncJob, run_cycle
from core.sync.jobs import build_jobs, parse_every
from core.sync_models import DeadLetter

log = logging.getLogger("contracthub.daemon")
SAFE_POINTS = ("after_page_commit", "after_push_commit")
LIFECYCLE = "__lifecycle__"


@dataclass
class LastGood:
    jobs: dict[str, SyncJob]
    stamps: dict[Path, float]


@dataclass
class Daemon:
    config_path: Path
    clock: Clock = field(default_factory=SystemClock)
    log_format: str = "text"
    metrics_port: int | None = None
    stop_timeout: float = 30.0
    watch_interval: float = 2.0
    hub: Hub = field(init=False)
    stopping: threading.Event = field(default_factory=threading.Event)
    reload_requested: threading.Event = field(default_factory=threading.Event)
    last_status: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hub = open_hub(self.config_path, clock=self.clock)
        self.claims = Claims(self.hub.engine)
        self.metrics = DaemonMetrics()
        self.current = self._load(self.hub)  # a broken config at start is an error
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                        "misfire_grace_time": None})

    # -- config -----------------------------------------------------------------
    def _watched(self, hub: Hub) -> dict[Path, float]:
        paths = [hub.config.path] + [hub.config.resolve(s.mapping) for s in hub.config.syncs]
        return {p: p.stat().st_mtime if p.exists() else 0.0 for p in paths}

    def _load(self, hub: Hub) -> LastGood:
        jobs = build_jobs(hub)
        return LastGood({j.name: j for j in jobs}, self._watched(hub))

    def reload(self) -> bool:
        """Validate the config and every mapping; switch only if all are good."""
        try:
            cfg = load_config(self.config_path)
            hub = Hub(cfg, self.hub.engine, self.hub.sessions, self.hub.clock)
            good = self._load(hub)
        except Exception as exc:  # any failure keeps the last good version running
            self._emit({"event": "reload", "status": "rejected",
                        "error": str(exc).replace("\n", " | ")}, logging.ERROR)
            self.current.stamps = self._watched_safe()
            return False
        self.hub, self.current = hub, good
        self._schedule()
        self._emit({"event": "reload", "status": "ok", "syncs": sorted(good.jobs)})
        return True

    def _watched_safe(self) -> dict[Path, float]:
        try:
            return self._watched(Hub(load_config(self.config_path), self.hub.engine,
                                     self.hub.sessions, self.hub.clock))
        except Exception:
            return {p: (p.stat().st_mtime if p.exists() else 0.0) for p in self.current.stamps}

    def changed_on_disk(self) -> bool:
        for p, stamp in self.current.stamps.items():
            now = p.stat().st_mtime if p.exists() else 0.0
            if now != stamp:
                return True
        return False

    # -- running ------------------------------------------------------------------
    def _schedule(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id not in self.current.jobs:
                job.remove()
        for s in self.hub.config.syncs:
            if s.cron:
                trigger: Any = CronTrigger.from_crontab(s.cron, timezone=UTC)
            else:
                every = parse_every(s.every).total_seconds()
                trigger = IntervalTrigger(seconds=every, jitter=min(30.0, every * 0.1))
            self.scheduler.add_job(self.run_sync, trigger, args=[s.name], id=s.name,
                                   name=s.name, replace_existing=True,
                                   next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.run_lifecycle, IntervalTrigger(minutes=15), id=LIFECYCLE,
                               name=LIFECYCLE, replace_existing=True,
                               next_run_time=datetime.now(UTC))

    def run_lifecycle(self) -> None:
        """Signing reminders/expiry/archiving and renewals (core.lifecycle.due), claimed
        like a sync so two daemons never run it at once."""
        with self.claims.claim(LIFECYCLE) as mine:
            if not mine or self.stopping.is_set():
                return
            try:
                out = run_lifecycle_due(self.hub)
            except Exception as exc:  # logged; the next turn tries again
                self._emit({"event": "lifecycle", "status": "crashed",
                            "error": f"{type(exc).__name__}: {exc}"}, logging.ERROR)
                return
        self._emit({"event": "lifecycle", "status": "ok", **{
            f"{part}_{k}": len(v) for part, r in out.items() for k, v in r.items()
            if isinstance(v, list)}})

    def _step(self, name: str) -> None:
        if self.stopping.is_set() and name in SAFE_POINTS:
            raise CycleStopped(name)

    def run_sync(self, name: str) -> str | None:
        job = self.current.jobs.get(name)
        if job is None or self.stopping.is_set():
            return None
        with self.claims.claim(name) as mine:
            if not mine:
                self._emit({"event": "cycle", "sync": name, "status": "skipped",
                            "reason": "claimed by another daemon"}, logging.DEBUG)
                return "skipped"
            started = time.monotonic()
            try:
                result = run_cycle(self.hub, job, step=self._step)
            except Exception as exc:  # logged; the next turn tries again
                self.metrics.errors.labels(name).inc()
                self.metrics.cycles.labels(name, "crashed").inc()
                self.last_status[name] = "crashed"
                self._emit({"event": "cycle", "sync": name, "status": "crashed",
                            "error": f"{type(exc).__name__}: {exc}"}, logging.ERROR)
                return "crashed"
        c = result.counts
        self.last_status[name] = result.status
        self._observe(name, job, result)
        self._emit({"event": "cycle", "sync": name, "status": result.status,
                    "pulled": c.pulled, "created": c.created, "updated": c.updated,
                    "deleted": c.deleted, "pushed": c.pushed, "conflicts": c.conflicts,
                    "dead_lettered": c.dead_lettered, "api_calls": c.api_calls,
                    "seconds": round(time.monotonic() - started, 3), "error": result.error},
                   logging.INFO if result.status in ("ok", "stopped") else logging.ERROR)
        return result.status

    def _observe(self, name: str, job: SyncJob, result: Any) -> None:
        m, c = self.metrics, result.counts
        m.cycles.labels(name, result.status).inc()
        if result.status == "failed":
            m.errors.labels(name).inc()
        for kind in ("pulled", "created", "updated", "deleted", "pushed", "conflicts"):
            m.records.labels(name, kind).inc(getattr(c, kind))
        m.api_calls.labels(name).inc(c.api_calls)
        if result.status == "ok":
            m.lag.labels(name).set(0)
        with self.hub.session() as s:
            open_dl = s.scalar(select(func.count()).select_from(DeadLetter).where(
                DeadLetter.sync == name, DeadLetter.resolved_at.is_(None))) or 0
        m.dead_letters.labels(name).set(open_dl)
        left = getattr(job.connector, "budget_left", None)
        if isinstance(left, int | float):
            m.budget_left.labels(job.connector.name).set(left)

    def health(self) -> tuple[int, dict[str, Any]]:
        body = {"status": "stopping" if self.stopping.is_set() else "ok", "owner": OWNER,
                "syncs": dict(self.last_status)}
        return (503 if self.stopping.is_set() else 200), body

    def _emit(self, data: dict[str, Any], level: int = logging.INFO) -> None:
        data = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **data}
        if self.log_format == "json":
            line = json.dumps(data, default=str)
        else:
            line = " ".join(f"{k}={v}" for k, v in data.items() if v is not None)
        log.log(level, line)

    def serve_forever(self) -> int:
        self.claims.start()
        server = serve(self.metrics, self.health, self.metrics_port) \
            if self.metrics_port is not None else None
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        self._schedule()
        self.scheduler.start()
        self._emit({"event": "started", "owner": OWNER, "syncs": sorted(self.current.jobs),
                    "metrics": f"http://127.0.0.1:{server.server_port}/metrics" if server
                    else None})
        try:
            while not self.stopping.wait(self.watch_interval):
                if self.reload_requested.is_set() or self.changed_on_disk():
                    self.reload_requested.clear()
                    self.reload()
        finally:
            self._emit({"event": "stopping"})
            self.scheduler.pause()
            done = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True})
            done.start()
            done.join(self.stop_timeout)
            if server is not None:
                server.shutdown()
            self.claims.stop()
            self._emit({"event": "stopped", "clean": not done.is_alive()})
        return 0


def main(config: str | None = None, log_format: str = "text",
         metrics_port: int | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    daemon = Daemon(Path(config or "contracthub.yaml"), log_format=log_format,
                    metrics_port=metrics_port)
    return daemon.serve_forever()
