"""Alembic environment: the engine comes from core.db (never from an ini file)."""

from alembic import context

from core import sync_models  # noqa: F401  (registers the sync tables)
from core.archive import models as archive_models  # noqa: F401  (archive tables)
from core.lifecycle import template_models  # noqa: F401  (templates and approvals)
from core.lifecycle import signing_models  # noqa: F401  (signing requests, renewal alerts)
from core.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    context.run_migrations()
