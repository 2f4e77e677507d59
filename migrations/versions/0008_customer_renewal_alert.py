"""customers.renewal_alert: the latest renewal alert, derived and pushed to the CRM

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('renewal_alert', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('renewal_alert')
