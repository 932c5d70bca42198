"""outbox message priority: payments and contract bindings overtake bulk collection pushes

Revision ID: c0de00000012
Revises: c0de00000011
Create Date: 2026-11-30 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de00000012"
down_revision = "c0de00000011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.create_index("ix_outbox_message_due", ["status", "priority", "next_attempt_at"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_due")
        batch_op.drop_column("priority")
