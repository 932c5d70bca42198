"""楼幢变更: a building's number of units (单元数)

Revision ID: c0de00000008
Revises: c0de00000007
Create Date: 2026-11-30 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de00000008"
down_revision = "c0de00000007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("building") as batch:
        batch.add_column(sa.Column("unit_count", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("building") as batch:
        batch.drop_column("unit_count")
