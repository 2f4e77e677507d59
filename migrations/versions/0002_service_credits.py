"""service credits: one row per (ticket, measure) SLA breach, priced by core.credits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:49:58.518012
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_credits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('severity', sa.String(length=8), nullable=False),
        sa.Column('measure', sa.String(length=16), nullable=False),
        sa.Column('breached_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('percent', sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('capped', sa.Boolean(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("measure IN ('first_response', 'resolution')",
                           name=op.f('ck_service_credits_measure')),
        sa.CheckConstraint("severity IN ('sev1', 'sev2', 'sev3', 'sev4')",
                           name=op.f('ck_service_credits_severity')),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_service_credits_contract_id_contracts')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_service_credits_customer_id_customers')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_service_credits_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_credits')),
        sa.UniqueConstraint('ticket_id', 'measure', name='uq_service_credits_ticket_measure'),
    )
    with op.batch_alter_table('service_credits', schema=None) as batch_op:
        batch_op.create_index('ix_service_credits_contract_month', ['contract_id', 'month'],
                              unique=False)
        batch_op.create_index('ix_service_credits_customer_month', ['customer_id', 'month'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_credits', schema=None) as batch_op:
        batch_op.drop_index('ix_service_credits_customer_month')
        batch_op.drop_index('ix_service_credits_contract_month')
    op.drop_table('service_credits')
