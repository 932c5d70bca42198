"""续筹 threshold as data (seeded 30 %), and database triggers keeping ledger_entry append-only

Revision ID: c0de00000014
Revises: c0de00000016
Create Date: 2026-11-30 15:20:00

"""
import datetime as dt
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


revision = "c0de00000014"
down_revision = "c0de00000016"
branch_labels = None
depends_on = None

# Frozen copies of app.models.ledger.APPEND_ONLY_DDL / DROP_APPEND_ONLY_DDL as of this revision:
# a migration must keep building the same schema whatever the models become later
# (tests/test_ledger_triggers.py checks both paths refuse the same statements). A later SQLite
# batch_alter_table on ledger_entry rebuilds the table without them: such a revision must run
# these CREATE statements again.
_MESSAGE = "ledger_entry rows are append-only; book a correcting entry instead"
_CREATE = {
    "sqlite": (
        "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
        "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'restrict_violation'; "
        "END $$",
        "CREATE TRIGGER ledger_entry_no_change BEFORE UPDATE OR DELETE ON ledger_entry "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()",
        "CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only()",
    ),
}
_DROP = {
    "sqlite": ("DROP TRIGGER IF EXISTS ledger_entry_no_update",
               "DROP TRIGGER IF EXISTS ledger_entry_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS ledger_entry_no_change ON ledger_entry",
                   "DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry",
                   "DROP FUNCTION IF EXISTS ledger_entry_append_only()"),
}


def upgrade():
    threshold = op.create_table(
        "renew_threshold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("effective_from"),
    )
    # The rule of the manual (§1.3.4): below 30 % of the first deposit.
    op.bulk_insert(threshold, [{"percent": Decimal("30"), "effective_from": dt.date(2000, 1, 1),
                                "note": "默认续筹阈值", "created_at": dt.datetime(2026, 11, 30)}])
    for statement in _CREATE.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in _DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_table("renew_threshold")
