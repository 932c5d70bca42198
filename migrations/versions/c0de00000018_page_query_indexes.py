"""covering indexes for the pages' real queries: balances by house, area totals, owner summaries

The single-column indexes they replace are prefixes of the new ones, so every query that used them
still can; the new columns let balances, area totals and the 楼盘表's owner summary be read from
the index alone (tests/test_query_plans.py prints the plans).

Revision ID: c0de00000018
Revises: c0de00000014
Create Date: 2026-11-30 15:40:00

"""
from alembic import op


revision = "c0de00000018"
down_revision = "c0de00000014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entry_house_kind_amount", ["house_id", "kind", "amount"], unique=False)
        batch_op.drop_index("ix_ledger_entry_house_id")
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.create_index("ix_house_area_status_due", ["area_id", "status", "amount_due"], unique=False)
        batch_op.drop_index("ix_house_area_status")
    with op.batch_alter_table("owner", schema=None) as batch_op:
        batch_op.create_index("ix_owner_house_name", ["house_id", "name"], unique=False)
        batch_op.drop_index("ix_owner_house_id")


def downgrade():
    with op.batch_alter_table("owner", schema=None) as batch_op:
        batch_op.create_index("ix_owner_house_id", ["house_id"], unique=False)
        batch_op.drop_index("ix_owner_house_name")
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.create_index("ix_house_area_status", ["area_id", "status"], unique=False)
        batch_op.drop_index("ix_house_area_status_due")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entry_house_id", ["house_id"], unique=False)
        batch_op.drop_index("ix_ledger_entry_house_kind_amount")
