"""storage archive: copies of executed documents in storage connections (core.archive)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 13:40:00

archive_copies: one row per (document, storage connection) with the remote id,
path and content tag the archive last verified; archive_incidents: copies found
trashed, deleted, renamed, moved or altered (restored or past retention);
archive_purged_documents: documents whose bytes a retention purge removed.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'archive_copies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('connection', sa.String(length=120), nullable=False),
        sa.Column('remote_id', sa.String(length=255), nullable=False),
        sa.Column('path', sa.String(length=1024), nullable=False),
        sa.Column('content_tag', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('archived_at', TS, nullable=False),
        sa.Column('checked_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_archive_copies_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_copies')),
        sa.UniqueConstraint('document_id', 'connection',
                            name='document_connection'),
    )
    op.create_index('ix_archive_copies_conn_remote', 'archive_copies',
                    ['connection', 'remote_id'])
    op.create_table(
        'archive_incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection', sa.String(length=120), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=16), nullable=False),
        sa.Column('action', sa.String(length=24), nullable=False),
        sa.Column('old_remote_id', sa.String(length=255), nullable=False),
        sa.Column('new_remote_id', sa.String(length=255), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('detected_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_archive_incidents_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_incidents')),
    )
    op.create_index(op.f('ix_archive_incidents_connection'), 'archive_incidents',
                    ['connection'])
    op.create_table(
        'archive_purged_documents',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('purged_at', TS, nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_archive_purged_documents_document_id_documents')),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_archive_purged_documents')),
    )


def downgrade() -> None:
    op.drop_table('archive_purged_documents')
    op.drop_index(op.f('ix_archive_incidents_connection'), table_name='archive_incidents')
    op.drop_table('archive_incidents')
    op.drop_index('ix_archive_copies_conn_remote', table_name='archive_copies')
    op.drop_table('archive_copies')
