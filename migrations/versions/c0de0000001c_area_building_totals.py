"""area and building totals kept by triggers: area_totals, building_totals, backfilled from the live data

The list pages read an area's or building's open houses, amount due and ledger balance from these
tables (one primary-key read) instead of summing every house and ledger row of the page (issue 14).
Triggers on house (insert, update, delete) and ledger_entry (insert) keep them in step on SQLite
(row triggers) and PostgreSQL (statement triggers over transition tables); see app/models/totals.py.

Revision ID: c0de0000001c
Revises: c0de00000018
Create Date: 2026-11-30 16:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c0de0000001c"
down_revision = "c0de00000018"
branch_labels = None
depends_on = None

# Frozen copies of app.models.totals.TOTALS_DDL / DROP_TOTALS_DDL / BACKFILL_DML as of this
# revision: a migration must keep building the same schema whatever the models become later
# (tests/test_group_totals.py checks both paths keep the same figures). A later SQLite
# batch_alter_table on house or ledger_entry rebuilds the table without its triggers: such a
# revision must run these CREATE statements again.
_CREATE = {
    "sqlite": (
        (
            'CREATE TRIGGER house_totals_insert AFTER INSERT ON house BEGIN INSERT INTO area_totals '
            '(area_id, open_houses, open_due, ledger_sum) SELECT NEW.area_id, CASE WHEN NEW.status = '
            "'open' THEN 1 ELSE 0 END, CASE WHEN NEW.status = 'open' THEN NEW.amount_due ELSE 0 END, "
            '0 ON CONFLICT (area_id) DO UPDATE SET open_houses = area_totals.open_houses + '
            'excluded.open_houses, open_due = area_totals.open_due + excluded.open_due, ledger_sum = '
            'area_totals.ledger_sum + excluded.ledger_sum; INSERT INTO building_totals (building_id, '
            "open_houses, open_due, ledger_sum) SELECT NEW.building_id, CASE WHEN NEW.status = 'open' "
            "THEN 1 ELSE 0 END, CASE WHEN NEW.status = 'open' THEN NEW.amount_due ELSE 0 END, 0 ON "
            'CONFLICT (building_id) DO UPDATE SET open_houses = building_totals.open_houses + '
            'excluded.open_houses, open_due = building_totals.open_due + excluded.open_due, '
            'ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; END'
        ),
        (
            'CREATE TRIGGER house_totals_update AFTER UPDATE OF status, amount_due, area_id, '
            'building_id ON house WHEN OLD.status IS NOT NEW.status OR OLD.amount_due IS NOT '
            'NEW.amount_due OR OLD.area_id IS NOT NEW.area_id OR OLD.building_id IS NOT '
            'NEW.building_id BEGIN INSERT INTO area_totals (area_id, open_houses, open_due, '
            "ledger_sum) SELECT OLD.area_id, -CASE WHEN OLD.status = 'open' THEN 1 ELSE 0 END, -CASE "
            "WHEN OLD.status = 'open' THEN OLD.amount_due ELSE 0 END, CASE WHEN (OLD.area_id <> "
            'NEW.area_id OR OLD.building_id <> NEW.building_id) THEN -(SELECT COALESCE(SUM(amount), '
            '0) FROM ledger_entry WHERE house_id = OLD.id) ELSE 0 END ON CONFLICT (area_id) DO UPDATE '
            'SET open_houses = area_totals.open_houses + excluded.open_houses, open_due = '
            'area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum + '
            'excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            "ledger_sum) SELECT OLD.building_id, -CASE WHEN OLD.status = 'open' THEN 1 ELSE 0 END, "
            "-CASE WHEN OLD.status = 'open' THEN OLD.amount_due ELSE 0 END, CASE WHEN (OLD.area_id <> "
            'NEW.area_id OR OLD.building_id <> NEW.building_id) THEN -(SELECT COALESCE(SUM(amount), '
            '0) FROM ledger_entry WHERE house_id = OLD.id) ELSE 0 END ON CONFLICT (building_id) DO '
            'UPDATE SET open_houses = building_totals.open_houses + excluded.open_houses, open_due = '
            'building_totals.open_due + excluded.open_due, ledger_sum = building_totals.ledger_sum + '
            'excluded.ledger_sum; INSERT INTO area_totals (area_id, open_houses, open_due, '
            "ledger_sum) SELECT NEW.area_id, CASE WHEN NEW.status = 'open' THEN 1 ELSE 0 END, CASE "
            "WHEN NEW.status = 'open' THEN NEW.amount_due ELSE 0 END, CASE WHEN (OLD.area_id <> "
            'NEW.area_id OR OLD.building_id <> NEW.building_id) THEN (SELECT COALESCE(SUM(amount), 0) '
            'FROM ledger_entry WHERE house_id = NEW.id) ELSE 0 END ON CONFLICT (area_id) DO UPDATE '
            'SET open_houses = area_totals.open_houses + excluded.open_houses, open_due = '
            'area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum + '
            'excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            "ledger_sum) SELECT NEW.building_id, CASE WHEN NEW.status = 'open' THEN 1 ELSE 0 END, "
            "CASE WHEN NEW.status = 'open' THEN NEW.amount_due ELSE 0 END, CASE WHEN (OLD.area_id <> "
            'NEW.area_id OR OLD.building_id <> NEW.building_id) THEN (SELECT COALESCE(SUM(amount), 0) '
            'FROM ledger_entry WHERE house_id = NEW.id) ELSE 0 END ON CONFLICT (building_id) DO '
            'UPDATE SET open_houses = building_totals.open_houses + excluded.open_houses, open_due = '
            'building_totals.open_due + excluded.open_due, ledger_sum = building_totals.ledger_sum + '
            'excluded.ledger_sum; END'
        ),
        (
            'CREATE TRIGGER house_totals_delete AFTER DELETE ON house BEGIN INSERT INTO area_totals '
            '(area_id, open_houses, open_due, ledger_sum) SELECT OLD.area_id, -CASE WHEN OLD.status = '
            "'open' THEN 1 ELSE 0 END, -CASE WHEN OLD.status = 'open' THEN OLD.amount_due ELSE 0 END, "
            '-(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = OLD.id) ON CONFLICT '
            '(area_id) DO UPDATE SET open_houses = area_totals.open_houses + excluded.open_houses, '
            'open_due = area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum '
            '+ excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            "ledger_sum) SELECT OLD.building_id, -CASE WHEN OLD.status = 'open' THEN 1 ELSE 0 END, "
            "-CASE WHEN OLD.status = 'open' THEN OLD.amount_due ELSE 0 END, -(SELECT "
            'COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = OLD.id) ON CONFLICT '
            '(building_id) DO UPDATE SET open_houses = building_totals.open_houses + '
            'excluded.open_houses, open_due = building_totals.open_due + excluded.open_due, '
            'ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; END'
        ),
        (
            'CREATE TRIGGER ledger_entry_totals AFTER INSERT ON ledger_entry BEGIN INSERT INTO '
            'area_totals (area_id, open_houses, open_due, ledger_sum) SELECT house.area_id, 0, 0, '
            'NEW.amount FROM house WHERE house.id = NEW.house_id ON CONFLICT (area_id) DO UPDATE SET '
            'open_houses = area_totals.open_houses + excluded.open_houses, open_due = '
            'area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum + '
            'excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            'ledger_sum) SELECT house.building_id, 0, 0, NEW.amount FROM house WHERE house.id = '
            'NEW.house_id ON CONFLICT (building_id) DO UPDATE SET open_houses = '
            'building_totals.open_houses + excluded.open_houses, open_due = building_totals.open_due '
            '+ excluded.open_due, ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; END'
        ),
    ),
    "postgresql": (
        (
            'CREATE OR REPLACE FUNCTION house_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$ '
            'BEGIN INSERT INTO area_totals (area_id, open_houses, open_due, ledger_sum) SELECT '
            'area_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT n.area_id, n.building_id, CASE '
            "WHEN n.status = 'open' THEN 1 ELSE 0 END AS houses, CASE WHEN n.status = 'open' THEN "
            'n.amount_due ELSE 0 END AS due, 0 AS ledger FROM new_houses n) d GROUP BY area_id ORDER '
            'BY area_id ON CONFLICT (area_id) DO UPDATE SET open_houses = area_totals.open_houses + '
            'excluded.open_houses, open_due = area_totals.open_due + excluded.open_due, ledger_sum = '
            'area_totals.ledger_sum + excluded.ledger_sum; INSERT INTO building_totals (building_id, '
            'open_houses, open_due, ledger_sum) SELECT building_id, SUM(houses), SUM(due), '
            "SUM(ledger) FROM (SELECT n.area_id, n.building_id, CASE WHEN n.status = 'open' THEN 1 "
            "ELSE 0 END AS houses, CASE WHEN n.status = 'open' THEN n.amount_due ELSE 0 END AS due, 0 "
            'AS ledger FROM new_houses n) d GROUP BY building_id ORDER BY building_id ON CONFLICT '
            '(building_id) DO UPDATE SET open_houses = building_totals.open_houses + '
            'excluded.open_houses, open_due = building_totals.open_due + excluded.open_due, '
            'ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; RETURN NULL; END $$'
        ),
        (
            'CREATE OR REPLACE FUNCTION house_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$ '
            'BEGIN INSERT INTO area_totals (area_id, open_houses, open_due, ledger_sum) SELECT '
            'area_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT o.area_id, o.building_id, -CASE '
            "WHEN o.status = 'open' THEN 1 ELSE 0 END AS houses, -CASE WHEN o.status = 'open' THEN "
            'o.amount_due ELSE 0 END AS due, CASE WHEN (o.area_id <> n.area_id OR o.building_id <> '
            'n.building_id) THEN -(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = '
            'o.id) ELSE 0 END AS ledger FROM old_houses o JOIN new_houses n ON n.id = o.id WHERE '
            '(o.status, o.amount_due, o.area_id, o.building_id) IS DISTINCT FROM (n.status, '
            'n.amount_due, n.area_id, n.building_id) UNION ALL SELECT n.area_id, n.building_id, CASE '
            "WHEN n.status = 'open' THEN 1 ELSE 0 END AS houses, CASE WHEN n.status = 'open' THEN "
            'n.amount_due ELSE 0 END AS due, CASE WHEN (o.area_id <> n.area_id OR o.building_id <> '
            'n.building_id) THEN (SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = '
            'n.id) ELSE 0 END AS ledger FROM old_houses o JOIN new_houses n ON n.id = o.id WHERE '
            '(o.status, o.amount_due, o.area_id, o.building_id) IS DISTINCT FROM (n.status, '
            'n.amount_due, n.area_id, n.building_id)) d GROUP BY area_id ORDER BY area_id ON CONFLICT '
            '(area_id) DO UPDATE SET open_houses = area_totals.open_houses + excluded.open_houses, '
            'open_due = area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum '
            '+ excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            'ledger_sum) SELECT building_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT '
            "o.area_id, o.building_id, -CASE WHEN o.status = 'open' THEN 1 ELSE 0 END AS houses, "
            "-CASE WHEN o.status = 'open' THEN o.amount_due ELSE 0 END AS due, CASE WHEN (o.area_id "
            '<> n.area_id OR o.building_id <> n.building_id) THEN -(SELECT COALESCE(SUM(amount), 0) '
            'FROM ledger_entry WHERE house_id = o.id) ELSE 0 END AS ledger FROM old_houses o JOIN '
            'new_houses n ON n.id = o.id WHERE (o.status, o.amount_due, o.area_id, o.building_id) IS '
            'DISTINCT FROM (n.status, n.amount_due, n.area_id, n.building_id) UNION ALL SELECT '
            "n.area_id, n.building_id, CASE WHEN n.status = 'open' THEN 1 ELSE 0 END AS houses, CASE "
            "WHEN n.status = 'open' THEN n.amount_due ELSE 0 END AS due, CASE WHEN (o.area_id <> "
            'n.area_id OR o.building_id <> n.building_id) THEN (SELECT COALESCE(SUM(amount), 0) FROM '
            'ledger_entry WHERE house_id = n.id) ELSE 0 END AS ledger FROM old_houses o JOIN '
            'new_houses n ON n.id = o.id WHERE (o.status, o.amount_due, o.area_id, o.building_id) IS '
            'DISTINCT FROM (n.status, n.amount_due, n.area_id, n.building_id)) d GROUP BY building_id '
            'ORDER BY building_id ON CONFLICT (building_id) DO UPDATE SET open_houses = '
            'building_totals.open_houses + excluded.open_houses, open_due = building_totals.open_due '
            '+ excluded.open_due, ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; '
            'RETURN NULL; END $$'
        ),
        (
            'CREATE OR REPLACE FUNCTION house_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$ '
            'BEGIN INSERT INTO area_totals (area_id, open_houses, open_due, ledger_sum) SELECT '
            'area_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT o.area_id, o.building_id, -CASE '
            "WHEN o.status = 'open' THEN 1 ELSE 0 END AS houses, -CASE WHEN o.status = 'open' THEN "
            'o.amount_due ELSE 0 END AS due, -(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry '
            'WHERE house_id = o.id) AS ledger FROM old_houses o) d GROUP BY area_id ORDER BY area_id '
            'ON CONFLICT (area_id) DO UPDATE SET open_houses = area_totals.open_houses + '
            'excluded.open_houses, open_due = area_totals.open_due + excluded.open_due, ledger_sum = '
            'area_totals.ledger_sum + excluded.ledger_sum; INSERT INTO building_totals (building_id, '
            'open_houses, open_due, ledger_sum) SELECT building_id, SUM(houses), SUM(due), '
            "SUM(ledger) FROM (SELECT o.area_id, o.building_id, -CASE WHEN o.status = 'open' THEN 1 "
            "ELSE 0 END AS houses, -CASE WHEN o.status = 'open' THEN o.amount_due ELSE 0 END AS due, "
            '-(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = o.id) AS ledger '
            'FROM old_houses o) d GROUP BY building_id ORDER BY building_id ON CONFLICT (building_id) '
            'DO UPDATE SET open_houses = building_totals.open_houses + excluded.open_houses, open_due '
            '= building_totals.open_due + excluded.open_due, ledger_sum = building_totals.ledger_sum '
            '+ excluded.ledger_sum; RETURN NULL; END $$'
        ),
        (
            'CREATE OR REPLACE FUNCTION ledger_entry_totals() RETURNS trigger LANGUAGE plpgsql AS $$ '
            'BEGIN INSERT INTO area_totals (area_id, open_houses, open_due, ledger_sum) SELECT '
            'area_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT h.area_id, h.building_id, 0 AS '
            'houses, 0 AS due, l.amount AS ledger FROM new_entries l JOIN house h ON h.id = '
            'l.house_id) d GROUP BY area_id ORDER BY area_id ON CONFLICT (area_id) DO UPDATE SET '
            'open_houses = area_totals.open_houses + excluded.open_houses, open_due = '
            'area_totals.open_due + excluded.open_due, ledger_sum = area_totals.ledger_sum + '
            'excluded.ledger_sum; INSERT INTO building_totals (building_id, open_houses, open_due, '
            'ledger_sum) SELECT building_id, SUM(houses), SUM(due), SUM(ledger) FROM (SELECT '
            'h.area_id, h.building_id, 0 AS houses, 0 AS due, l.amount AS ledger FROM new_entries l '
            'JOIN house h ON h.id = l.house_id) d GROUP BY building_id ORDER BY building_id ON '
            'CONFLICT (building_id) DO UPDATE SET open_houses = building_totals.open_houses + '
            'excluded.open_houses, open_due = building_totals.open_due + excluded.open_due, '
            'ledger_sum = building_totals.ledger_sum + excluded.ledger_sum; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER house_totals_insert AFTER INSERT ON house REFERENCING NEW TABLE AS '
            'new_houses FOR EACH STATEMENT EXECUTE FUNCTION house_totals_insert()'
        ),
        (
            'CREATE TRIGGER house_totals_update AFTER UPDATE ON house REFERENCING OLD TABLE AS '
            'old_houses NEW TABLE AS new_houses FOR EACH STATEMENT EXECUTE FUNCTION '
            'house_totals_update()'
        ),
        (
            'CREATE TRIGGER house_totals_delete AFTER DELETE ON house REFERENCING OLD TABLE AS '
            'old_houses FOR EACH STATEMENT EXECUTE FUNCTION house_totals_delete()'
        ),
        (
            'CREATE TRIGGER ledger_entry_totals AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS '
            'new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_totals()'
        ),
    ),
}
_DROP = {
    "sqlite": (
        'DROP TRIGGER IF EXISTS house_totals_insert',
        'DROP TRIGGER IF EXISTS house_totals_update',
        'DROP TRIGGER IF EXISTS house_totals_delete',
        'DROP TRIGGER IF EXISTS ledger_entry_totals'
    ),
    "postgresql": (
        'DROP TRIGGER IF EXISTS house_totals_insert ON house',
        'DROP TRIGGER IF EXISTS house_totals_update ON house',
        'DROP TRIGGER IF EXISTS house_totals_delete ON house',
        'DROP TRIGGER IF EXISTS ledger_entry_totals ON ledger_entry',
        'DROP FUNCTION IF EXISTS house_totals_insert()',
        'DROP FUNCTION IF EXISTS house_totals_update()',
        'DROP FUNCTION IF EXISTS house_totals_delete()',
        'DROP FUNCTION IF EXISTS ledger_entry_totals()'
    ),
}
_BACKFILL = (
    (
        'INSERT INTO area_totals (area_id, open_houses, open_due, ledger_sum) SELECT h.area_id, '
        "SUM(CASE WHEN h.status = 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN h.status = 'open' THEN "
        'h.amount_due ELSE 0 END), COALESCE(SUM(p.paid), 0) FROM house h LEFT JOIN (SELECT '
        'house_id, SUM(amount) AS paid FROM ledger_entry GROUP BY house_id) p ON p.house_id = '
        'h.id GROUP BY h.area_id'
    ),
    (
        'INSERT INTO building_totals (building_id, open_houses, open_due, ledger_sum) SELECT '
        "h.building_id, SUM(CASE WHEN h.status = 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN "
        "h.status = 'open' THEN h.amount_due ELSE 0 END), COALESCE(SUM(p.paid), 0) FROM house h "
        'LEFT JOIN (SELECT house_id, SUM(amount) AS paid FROM ledger_entry GROUP BY house_id) p '
        'ON p.house_id = h.id GROUP BY h.building_id'
    ),
)


def _totals_table(name, key):
    op.create_table(
        name,
        sa.Column(key, sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open_houses", sa.Integer(), nullable=False),
        sa.Column("open_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ledger_sum", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(key),
    )


def upgrade():
    _totals_table("area_totals", "area_id")
    _totals_table("building_totals", "building_id")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # No house or ledger row may slip between the backfill and the triggers.
        op.execute("LOCK TABLE house, ledger_entry IN SHARE ROW EXCLUSIVE MODE")
    for statement in _CREATE.get(dialect, ()):
        op.execute(statement)
    for statement in _BACKFILL:
        op.execute(statement)


def downgrade():
    for statement in _DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_table("building_totals")
    op.drop_table("area_totals")
