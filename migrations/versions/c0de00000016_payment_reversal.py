"""冲正: payment reversals, a reversal ledger kind, and a ledger key that allows a notice to be paid
again after its confirmation was reversed

``ledger_entry`` gets ``notice_round`` (which confirmation of the notice a row belongs to; every
existing row is the first) and ``reversal_id``; the unique key (notice, house, kind) becomes
(notice, house, kind, round), so a duplicate confirmation is still refused by the database while
a confirmation after a reversal books a new round.

On SQLite the key can only change by rebuilding the table, which drops the table's triggers: they
are read first and created again afterwards, so a database whose ledger is protected by triggers
stays protected.

Revision ID: c0de00000016
Revises: c0de00000015
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de00000016"
down_revision = "c0de00000015"
branch_labels = None
depends_on = None

PENDING_WHERE = "status = 'pending'"


def _sqlite_triggers() -> list[str]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return []
    return [sql for (sql,) in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entry' "
        "ORDER BY name")) if sql]


def _restore(triggers: list[str]) -> None:
    for sql in triggers:
        op.execute(sql)


def upgrade():
    op.create_table(
        "payment_reversal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("notice_round", sa.Integer(), nullable=False),
        sa.Column("bank_serial", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_via", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )
    with op.batch_alter_table("payment_reversal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_reversal_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_reversal_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_reversal_status"), ["status"], unique=False)
        batch_op.create_index("uq_payment_reversal_pending", ["notice_id"], unique=True,
                              sqlite_where=sa.text(PENDING_WHERE),
                              postgresql_where=sa.text(PENDING_WHERE))

    triggers = _sqlite_triggers()
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_round", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("reversal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_ledger_entry_reversal", "payment_reversal",
                                    ["reversal_id"], ["id"])
        batch_op.drop_constraint("uq_ledger_notice_house", type_="unique")
        batch_op.create_unique_constraint("uq_ledger_notice_house_round",
                                          ["notice_id", "house_id", "kind", "notice_round"])
    _restore(triggers)


def downgrade():
    # Going back is only possible while no notice was paid twice: the old key would refuse it.
    triggers = _sqlite_triggers()
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_notice_house_round", type_="unique")
        batch_op.create_unique_constraint("uq_ledger_notice_house", ["notice_id", "house_id", "kind"])
        batch_op.drop_constraint("fk_ledger_entry_reversal", type_="foreignkey")
        batch_op.drop_column("reversal_id")
        batch_op.drop_column("notice_round")
    _restore(triggers)
    with op.batch_alter_table("payment_reversal", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_reversal_pending")
        batch_op.drop_index(batch_op.f("ix_payment_reversal_status"))
        batch_op.drop_index(batch_op.f("ix_payment_reversal_org_id"))
        batch_op.drop_index(batch_op.f("ix_payment_reversal_notice_id"))
    op.drop_table("payment_reversal")
