"""A running hub: its config, its store and its clock, opened once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.blobs import BlobStore
from core.clock import Clock, SystemClock
from core.config import HubConfig, load_config
from core.db import open_store, session_factory


@dataclass
class Hub:
    config: HubConfig
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    def blobs(self) -> BlobStore:
        """The store's document bytes (``store.blobs``, ``store.max_document_bytes``)."""
        return BlobStore(self.config.blob_folder, self.config.store.max_document_bytes)

    def session(self, **info: object) -> Session:
        s = self.sessions()
        s.info.update({"clock": self.clock, "actor": self.config.actor, **info})
        return s


def open_hub(config: str | Path | None = None, *, clock: Clock | None = None,
             auto_migrate: bool | None = None) -> Hub:
    cfg = load_config(config)
    engine = open_store(cfg.store_url, auto_migrate=auto_migrate)
    return Hub(cfg, engine, session_factory(engine), clock or SystemClock())
