"""refunds: the fund office's review (opinion, reviewer) and payout (bank serial, date), a version
column against two payouts at once, and one refund ledger row per refund

Revision ID: c0de00000015
Revises: c0de00000012
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de00000015"
down_revision = "c0de00000012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opinion", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("payout_serial", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("paid_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key("fk_refund_reviewed_by_id_ab_user", "ab_user",
                                    ["reviewed_by_id"], ["id"])
        batch_op.create_unique_constraint("uq_refund_payout_serial", ["payout_serial"])
        batch_op.create_index("ix_refund_status", ["status"], unique=False)
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index("uq_ledger_refund", ["refund_id", "kind"], unique=True)


def downgrade():
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("uq_ledger_refund")
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_status")
        batch_op.drop_constraint("uq_refund_payout_serial", type_="unique")
        batch_op.drop_constraint("fk_refund_reviewed_by_id_ab_user", type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("paid_on")
        batch_op.drop_column("payout_serial")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("opinion")
