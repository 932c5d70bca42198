"""One real house, one account: unique trading-system codes of active rows.

Adds ``area_trade_project`` (each trading-system project collected into one property area, filled
from ``property_area.trade_project_ids``) and partial unique indexes on the trading-system house
code of open houses and on the building code. Duplicates already in the database would make the
indexes fail with a bare IntegrityError; they are looked for first and, if any, the upgrade stops
with a report naming every code, house id and area, so that they can be resolved by hand.

Revision ID: c0de00000007
Revises: ff5f469a0e49
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "c0de00000007"
down_revision = "ff5f469a0e49"
branch_labels = None
depends_on = None

OPEN_TRADE_HOUSE_WHERE = "status = 'open' AND trade_house_code IS NOT NULL"
TRADE_BUILDING_WHERE = "trade_building_code IS NOT NULL"


class DuplicateTradeCodes(RuntimeError):
    """Existing rows already share a trading-system code; the report lists them."""


def duplicate_report(conn: sa.engine.Connection) -> list[str]:
    """One line per duplicated code: the houses, buildings or areas that share it."""
    lines: list[str] = []
    houses = conn.execute(sa.text(
        "SELECT h.trade_house_code, h.id, h.code, a.id, a.name FROM house h "
        "JOIN property_area a ON a.id = h.area_id "
        "WHERE h.status = 'open' AND h.trade_house_code IN ("
        "  SELECT trade_house_code FROM house WHERE status = 'open' "
        "  AND trade_house_code IS NOT NULL GROUP BY trade_house_code HAVING COUNT(*) > 1) "
        "ORDER BY h.trade_house_code, h.id")).all()
    by_code: dict[str, list[str]] = defaultdict(list)
    for code, house_id, account, area_id, area in houses:
        by_code[code].append(f"house id {house_id} ({account}) in area {area_id} {area}")
    lines += [f"trade_house_code {code}: " + "; ".join(rows) for code, rows in by_code.items()]
    buildings = conn.execute(sa.text(
        "SELECT b.trade_building_code, b.id, b.name, a.id, a.name FROM building b "
        "JOIN property_area a ON a.id = b.area_id "
        "WHERE b.trade_building_code IN ("
        "  SELECT trade_building_code FROM building WHERE trade_building_code IS NOT NULL "
        "  GROUP BY trade_building_code HAVING COUNT(*) > 1) "
        "ORDER BY b.trade_building_code, b.id")).all()
    by_code = defaultdict(list)
    for code, building_id, name, area_id, area in buildings:
        by_code[code].append(f"building id {building_id} ({name}) in area {area_id} {area}")
    lines += [f"trade_building_code {code}: " + "; ".join(rows) for code, rows in by_code.items()]
    for project, areas in sorted(project_areas(conn).items()):
        if len(areas) > 1:
            lines.append(f"trade project {project}: "
                         + "; ".join(f"area {area_id} {name}" for area_id, name in areas))
    return lines


def project_areas(conn: sa.engine.Connection) -> dict[str, list[tuple[int, str]]]:
    """Trading-system project id -> the areas whose comma-separated list names it."""
    result: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for area_id, name, ids in conn.execute(sa.text(
            "SELECT id, name, trade_project_ids FROM property_area "
            "WHERE trade_project_ids IS NOT NULL ORDER BY id")):
        for pid in dict.fromkeys(p.strip() for p in ids.split(",")):
            if pid:
                result[pid].append((area_id, name))
    return result


def upgrade() -> None:
    conn = op.get_bind()
    report = duplicate_report(conn)
    if report:
        raise DuplicateTradeCodes(
            "Cannot make trading-system codes unique: these rows already share one. Close, cancel "
            "or correct all but one of each, then run the upgrade again.\n  " + "\n  ".join(report))
    op.create_table(
        "area_trade_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["property_area.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", name="uq_area_trade_project"),
    )
    with op.batch_alter_table("area_trade_project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_trade_project_area_id"), ["area_id"], unique=False)
    op.create_index("uq_house_trade_code_open", "house", ["trade_house_code"], unique=True,
                    sqlite_where=sa.text(OPEN_TRADE_HOUSE_WHERE),
                    postgresql_where=sa.text(OPEN_TRADE_HOUSE_WHERE))
    op.create_index("uq_building_trade_code", "building", ["trade_building_code"], unique=True,
                    sqlite_where=sa.text(TRADE_BUILDING_WHERE),
                    postgresql_where=sa.text(TRADE_BUILDING_WHERE))
    rows = [{"project_id": pid, "area_id": areas[0][0]}
            for pid, areas in project_areas(conn).items()]
    if rows:
        table = sa.table("area_trade_project", sa.column("project_id", sa.String),
                         sa.column("area_id", sa.Integer))
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("uq_building_trade_code", table_name="building")
    op.drop_index("uq_house_trade_code_open", table_name="house")
    with op.batch_alter_table("area_trade_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_trade_project_area_id"))
    op.drop_table("area_trade_project")
