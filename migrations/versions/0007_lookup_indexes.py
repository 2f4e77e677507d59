"""lookup indexes: what the entitlement lookup and the idle sync cycle filter on

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 14:00:00

- tickets.contract_id: tickets served under a contract (remaining incidents of a
  capped contract, on every lookup).
- contracts.updated_at / start_date / end_date: the derived pass of every sync
  cycle looks for contracts changed, starting or ending near now
  (core.derived.customers_due); without them each cycle scans every contract.
- tickets.updated_at / first_response_due / resolution_due: likewise for the
  tickets to re-evaluate (core.derived.tickets_due).
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_tickets_contract_id', 'tickets', 'contract_id'),
    ('ix_contracts_updated_at', 'contracts', 'updated_at'),
    ('ix_contracts_start_date', 'contracts', 'start_date'),
    ('ix_contracts_end_date', 'contracts', 'end_date'),
    ('ix_tickets_updated_at', 'tickets', 'updated_at'),
    ('ix_tickets_first_response_due', 'tickets', 'first_response_due'),
    ('ix_tickets_resolution_due', 'tickets', 'resolution_due'),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
