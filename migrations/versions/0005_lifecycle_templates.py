"""lifecycle: templates, template versions, merge fields, approval rounds and steps (core.lifecycle)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 13:40:00

Tables of core/lifecycle/template_models.py and the contract's link to the
template version it was drafted from (contracts.template_version_id).
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contract_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_templates')),
        sa.UniqueConstraint('name', name=op.f('uq_contract_templates_name')),
    )
    op.create_table(
        'template_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('published_by', sa.String(length=120), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['contract_templates.id'],
                                name=op.f('fk_template_versions_template_id_contract_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions')),
        sa.UniqueConstraint('template_id', 'version', name='uq_template_versions_version'),
    )
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_versions_template_id'), ['template_id'],
                              unique=False)
    op.create_table(
        'approval_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_by', sa.String(length=120), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.CheckConstraint("outcome IN ('open', 'approved', 'rejected', 'restarted')",
                           name=op.f('ck_approval_rounds_outcome')),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_approval_rounds_contract_id_contracts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_rounds')),
        sa.UniqueConstraint('contract_id', 'round', name='uq_approval_rounds_round'),
    )
    with op.batch_alter_table('approval_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_rounds_contract_id'), ['contract_id'],
                              unique=False)
    op.create_table(
        'contract_fields',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_contract_fields_contract_id_contracts')),
        sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_contract_fields')),
    )
    op.create_table(
        'approval_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=True),
        sa.Column('approver', sa.String(length=120), nullable=True),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'void')",
                           name=op.f('ck_approval_steps_status')),
        sa.ForeignKeyConstraint(['round_id'], ['approval_rounds.id'],
                                name=op.f('fk_approval_steps_round_id_approval_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_steps')),
        sa.UniqueConstraint('round_id', 'position', name='uq_approval_steps_position'),
    )
    with op.batch_alter_table('approval_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_steps_round_id'), ['round_id'],
                              unique=False)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_contracts_template_version_id_template_versions'),
            'template_versions', ['template_version_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_contracts_template_version_id_template_versions'), type_='foreignkey')
        batch_op.drop_column('template_version_id')
    op.drop_table('approval_steps')
    op.drop_table('contract_fields')
    op.drop_table('approval_rounds')
    op.drop_table('template_versions')
    op.drop_table('contract_templates')
