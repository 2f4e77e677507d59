"""storage archive: copies of executed documents in storage connections (core.archive)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 13:40:00

A placeholder reserved in order so parallel work can fill it in; it changes
nothing until its owner adds the tables.
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
