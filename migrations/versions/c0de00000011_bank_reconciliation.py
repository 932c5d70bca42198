"""bank reconciliation (银行对账): statements, their lines and the matching results

Revision ID: c0de00000011
Revises: c0de00000013
Create Date: 2026-11-30 12:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de00000011"
down_revision = "c0de00000013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("bank_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("bank_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("matched_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["closed_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["imported_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", name="uq_bank_statement_day"),
    )
    op.create_table(
        "bank_statement_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("bank_serial", sa.String(length=60), nullable=False),
        sa.Column("notice_number", sa.String(length=24), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statement.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_bank_statement_line_statement_id"), "bank_statement_line",
                    ["statement_id"], unique=False)
    op.create_table(
        "recon_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("bank_serial", sa.String(length=60), nullable=True),
        sa.Column("notice_number", sa.String(length=24), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("bank_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("platform_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statement.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_recon_item_notice_id"), "recon_item", ["notice_id"], unique=False)
    op.create_index(op.f("ix_recon_item_statement_id"), "recon_item", ["statement_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_recon_item_statement_id"), table_name="recon_item")
    op.drop_index(op.f("ix_recon_item_notice_id"), table_name="recon_item")
    op.drop_table("recon_item")
    op.drop_index(op.f("ix_bank_statement_line_statement_id"), table_name="bank_statement_line")
    op.drop_table("bank_statement_line")
    op.drop_table("bank_statement")
