"""An archive sync: configured like any sync, run by the CLI and the daemon.

``syncs: [{name: drive-archive, connection: drive, mapping:
mappings/drive_archive.yaml, every: 10m}]`` -- a mapping file with a top-level
``archive:`` key builds an ``ArchiveJob`` (``core.sync.jobs.build_job``), and
``core.sync.engine.run_cycle`` hands it its own ``run_cycle``. Each cycle is a
``sync_runs`` row like any other: ``pushed`` counts uploads, ``pulled`` the
remote changes read, ``updated`` the copies restored, ``dead_lettered`` the
documents that could not be archived this time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import ConfigError, ConnectorError
from connectors.storage import StorageConnector
from core.archive.engine import archive_cycle, pending_documents
from core.archive.mapping import ArchiveMapping, load_archive_mapping
from core.config import ConfigFileError, SyncSettings
from core.hub import Hub
from core.sync.engine import OWNER, CycleResult
from core.sync.plan import Counts
from core.sync_models import SyncRun


@dataclass
class ArchiveJob:
    name: str
    mapping: ArchiveMapping
    connector: StorageConnector
    sweep_every: timedelta | None = None
    max_sweep_loss: float = 0.0

    def run_cycle(self, hub: Hub, *, dry_run: bool = False, **_: Any) -> CycleResult:
        if dry_run:
            return self._plan(hub)
        counts = Counts()
        s = hub.session()
        with s, s.begin():
            run = SyncRun(sync=self.name, owner=OWNER, started_at=hub.clock.now())
            s.add(run)
            s.flush()
            run_id = run.id
        calls = getattr(self.connector, "calls", None)
        before = calls.total if calls is not None else 0
        result = CycleResult(self.name, counts, run_id=run_id)
        try:
            done = archive_cycle(hub, self.mapping.connection, self.connector, self.mapping)
            counts.pushed = done.uploaded + done.guard.restored
            counts.pulled, counts.updated = done.guard.changes, done.guard.restored
            counts.unchanged, counts.dead_lettered = done.found, len(done.failed)
            if done.failed:
                result.error = "; ".join(done.failed[:3])
        except (ConnectorError, ConfigError) as exc:
            result.status, result.error = "failed", exc.user_message
        except Exception as exc:  # recorded on the run row, then re-raised for the log
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            counts.api_calls = (calls.total if calls is not None else 0) - before
            _close(hub, run_id, result)
        return result

    def _plan(self, hub: Hub) -> CycleResult:
        with hub.session() as s:
            pending = len(pending_documents(s, self.mapping.connection, self.mapping))
        # no Plan: the CLI prints the counts line (uploads that would happen)
        return CycleResult(self.name, Counts(pushed=pending))


def _close(hub: Hub, run_id: int, result: CycleResult) -> None:
    c = result.counts
    s: Session = hub.session()
    with s, s.begin():
        run = s.get(SyncRun, run_id)
        assert run is not None
        run.ended_at, run.status, run.error = hub.clock.now(), result.status, result.error
        run.pulled, run.updated, run.pushed = c.pulled, c.updated, c.pushed
        run.dead_lettered, run.api_calls = c.dead_lettered, c.api_calls


def build_archive_job(hub: Hub, s: SyncSettings, connector: Any) -> ArchiveJob:
    path = hub.config.resolve(s.mapping)
    mapping = load_archive_mapping(path)
    if mapping.connection != s.connection:
        raise ConfigError(f"{path}: connection is {mapping.connection!r} but sync {s.name!r} "
                          f"in {hub.config.path} uses connection {s.connection!r}")
    if getattr(connector, "kind", None) != "storage":
        raise ConfigFileError(f"{hub.config.path}: sync {s.name!r}: connection {s.connection!r} "
                              "is not a storage connection (google_drive, ...)")
    hub.blobs()  # the blob folder setting is read now, not mid-cycle
    return ArchiveJob(s.name, mapping, connector)
