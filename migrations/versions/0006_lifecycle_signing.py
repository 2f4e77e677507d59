"""lifecycle: signing requests, signers, renewal alerts (core.lifecycle.signing_models)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 13:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signing_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('document_sha256', sa.String(length=64), nullable=False),
        sa.Column('consent_sha256', sa.String(length=64), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_by', sa.String(length=120), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('executed_document_id', sa.Integer(), nullable=True),
        sa.Column('execution_audit_hash', sa.String(length=64), nullable=True),
        sa.Column('retain_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'completed', 'expired', 'cancelled')",
                           name=op.f('ck_signing_requests_status')),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_signing_requests_contract_id_contracts')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_signing_requests_document_id_documents')),
        sa.ForeignKeyConstraint(['executed_document_id'], ['documents.id'],
                                name=op.f('fk_signing_requests_executed_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_requests')),
    )
    op.create_index(op.f('ix_signing_requests_contract_id'), 'signing_requests',
                    ['contract_id'], unique=False)
    op.create_table(
        'signers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminders', sa.Integer(), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'pending', 'signed')",
                           name=op.f('ck_signers_status')),
        sa.ForeignKeyConstraint(['request_id'], ['signing_requests.id'],
                                name=op.f('fk_signers_request_id_signing_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signers')),
        sa.UniqueConstraint('request_id', 'position', name='uq_signers_position'),
        sa.UniqueConstraint('token_hash', name=op.f('uq_signers_token_hash')),
    )
    op.create_index(op.f('ix_signers_request_id'), 'signers', ['request_id'], unique=False)
    op.create_table(
        'renewal_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('days_before', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recipients', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_renewal_alerts_contract_id_contracts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_alerts')),
        sa.UniqueConstraint('contract_id', 'end_date', 'days_before',
                            name='uq_renewal_alerts_once'),
    )
    op.create_index(op.f('ix_renewal_alerts_contract_id'), 'renewal_alerts', ['contract_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_renewal_alerts_contract_id'), table_name='renewal_alerts')
    op.drop_table('renewal_alerts')
    op.drop_index(op.f('ix_signers_request_id'), table_name='signers')
    op.drop_table('signers')
    op.drop_index(op.f('ix_signing_requests_contract_id'), table_name='signing_requests')
    op.drop_table('signing_requests')
