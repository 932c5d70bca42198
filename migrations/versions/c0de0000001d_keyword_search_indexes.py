"""indexes for the house list's keyword box on PostgreSQL: trigram indexes (pg_trgm) for the
"contains" matches on house number, contract number and owner name, and plain ones for room and
owner ID number

SQLite gets none of them: it cannot answer ``LIKE '%text%'`` from an index, and the extra indexes
would only slow its imports.

Revision ID: c0de0000001d
Revises: c0de0000001c
Create Date: 2026-11-30 22:10:00

"""
from alembic import op


revision = "c0de0000001d"
down_revision = "c0de0000001c"
branch_labels = None
depends_on = None

TRIGRAM = {"ix_house_code_trgm": ("house", "code"),
           "ix_house_contract_no_trgm": ("house", "contract_no"),
           "ix_owner_name_trgm": ("owner", "name")}
PLAIN = {"ix_house_room": ("house", "room"), "ix_owner_id_no": ("owner", "id_no")}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM.items():
        op.create_index(name, table, [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})
    for name, (table, column) in PLAIN.items():
        op.create_index(name, table, [column])


def downgrade():
    # The extension stays: it may serve others in the same database, and it holds no data.
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _column) in {**PLAIN, **TRIGRAM}.items():
        op.drop_index(name, table_name=table)
