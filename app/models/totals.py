"""Area and building totals (区域/楼栋汇总), kept in step with the houses and the ledger by the database.

One row per area (``area_totals``) and per building (``building_totals``) that ever had a house:
how many of its houses are open, what they owe (amount due of the open houses), and what all its
houses' ledger rows add up to (whatever their status). The list pages read a page's groups from
here instead of summing every house and ledger row of the page on each request (issue 14).

Database triggers maintain the rows, so every write path counts: the ORM, the bulk inserts of an
approval (``app.services.accounts``), raw SQL, a console. They fire on a new ledger row, on a new,
changed or removed house: a house whose status, amount due, area or building changes takes its
contribution, its ledger balance included, from the old groups to the new ones. Ledger rows are
never changed or removed (``app.models.ledger``), so inserts are all they need to follow.

Lock order on PostgreSQL: each trigger writes area rows before building rows, each set in id
order (one statement per set, over the whole statement's rows), so two transactions never wait on
each other's rows in opposite order within one statement.

Created by the ``after_create`` event of ``ledger_entry`` (``create_all``: the house table exists
by then, ledger rows need it) and by migration c0de0000001c (a frozen copy, with the backfill).
"""
from __future__ import annotations

from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import DDL, Integer, event
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ZERO
from app.models.ledger import LedgerEntry
from app.models.property import HOUSE_OPEN


class _Figures:
    """The figures of one group (open houses, their amount due, the ledger of all its houses)."""

    open_houses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    open_due: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    ledger_sum: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)


class AreaTotals(_Figures, Model):
    """Open houses, their amount due, and the ledger balance of all houses of one area."""

    __tablename__ = "area_totals"

    # No foreign key: the row follows the area's houses, and an area without houses may go.
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class BuildingTotals(_Figures, Model):
    """The same figures for one building."""

    __tablename__ = "building_totals"

    building_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


#: (table, key column of the table and of ``house``), areas first: the lock order.
GROUPS = (("area_totals", "area_id"), ("building_totals", "building_id"))
_COLUMNS = "open_houses, open_due, ledger_sum"
_ADD = ("open_houses = {t}.open_houses + excluded.open_houses, "
        "open_due = {t}.open_due + excluded.open_due, "
        "ledger_sum = {t}.ledger_sum + excluded.ledger_sum")


def _upsert(table: str, key: str, select_sql: str) -> str:
    """Add the (key, houses, due, ledger) rows of ``select_sql`` to ``table``: one statement."""
    return (f"INSERT INTO {table} ({key}, {_COLUMNS}) {select_sql} "
            f"ON CONFLICT ({key}) DO UPDATE SET {_ADD.format(t=table)}")


# ---- SQLite: row triggers (no statement triggers there); one upsert per group and side.

def _open(row: str) -> str:
    return f"CASE WHEN {row}.status = '{HOUSE_OPEN}' THEN 1 ELSE 0 END"


def _due(row: str, sign: str = "") -> str:
    return f"{sign}CASE WHEN {row}.status = '{HOUSE_OPEN}' THEN {row}.amount_due ELSE 0 END"


def _house_ledger(row: str) -> str:
    return f"(SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE house_id = {row}.id)"


#: The house's ledger balance moves only when the house changes group; otherwise it stays put.
_MOVED = "(OLD.area_id <> NEW.area_id OR OLD.building_id <> NEW.building_id)"


def _sqlite_body(values: dict[str, str]) -> str:
    # Selects with a FROM also have a WHERE: SQLite's parser would otherwise read ON CONFLICT as
    # a join constraint.
    return " ".join(_upsert(table, key, f"SELECT {values[key]}") + ";" for table, key in GROUPS)


def _sqlite_triggers() -> tuple[str, ...]:
    new = {key: f"NEW.{key}, {_open('NEW')}, {_due('NEW')}, 0" for _, key in GROUPS}
    old_gone = {key: f"OLD.{key}, -{_open('OLD')}, {_due('OLD', '-')}, -{_house_ledger('OLD')}"
                for _, key in GROUPS}
    old_moved = {key: f"OLD.{key}, -{_open('OLD')}, {_due('OLD', '-')}, "
                      f"CASE WHEN {_MOVED} THEN -{_house_ledger('OLD')} ELSE 0 END" for _, key in GROUPS}
    new_moved = {key: f"NEW.{key}, {_open('NEW')}, {_due('NEW')}, "
                      f"CASE WHEN {_MOVED} THEN {_house_ledger('NEW')} ELSE 0 END" for _, key in GROUPS}
    booked = {key: f"house.{key}, 0, 0, NEW.amount FROM house WHERE house.id = NEW.house_id"
              for _, key in GROUPS}
    return (
        # A new house has no ledger rows yet: they need the house first.
        f"CREATE TRIGGER house_totals_insert AFTER INSERT ON house BEGIN {_sqlite_body(new)} END",
        "CREATE TRIGGER house_totals_update AFTER UPDATE OF status, amount_due, area_id, building_id "
        "ON house WHEN OLD.status IS NOT NEW.status OR OLD.amount_due IS NOT NEW.amount_due "
        "OR OLD.area_id IS NOT NEW.area_id OR OLD.building_id IS NOT NEW.building_id "
        f"BEGIN {_sqlite_body(old_moved)} {_sqlite_body(new_moved)} END",
        f"CREATE TRIGGER house_totals_delete AFTER DELETE ON house BEGIN {_sqlite_body(old_gone)} END",
        f"CREATE TRIGGER ledger_entry_totals AFTER INSERT ON ledger_entry BEGIN {_sqlite_body(booked)} END",
    )


# ---- PostgreSQL: statement triggers over transition tables, one upsert per group in id order.

def _pg_contributions(row: str, sign: str, ledger: str) -> str:
    return (f"{row}.area_id, {row}.building_id, {sign}{_open(row)} AS houses, "
            f"{_due(row, sign)} AS due, {ledger} AS ledger")


def _pg_function(name: str, source: str) -> str:
    """A trigger function adding the rows of ``source`` (area_id, building_id, houses, due,
    ledger) to both tables."""
    body = " ".join(
        _upsert(table, key, f"SELECT {key}, SUM(houses), SUM(due), SUM(ledger) FROM ({source}) d "
                            f"GROUP BY {key} ORDER BY {key}") + ";"
        for table, key in GROUPS)
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$")


def _pg_statements() -> tuple[str, ...]:
    moved = "(o.area_id <> n.area_id OR o.building_id <> n.building_id)"
    changed = ("(o.status, o.amount_due, o.area_id, o.building_id) IS DISTINCT FROM "
               "(n.status, n.amount_due, n.area_id, n.building_id)")
    pairs = f"FROM old_houses o JOIN new_houses n ON n.id = o.id WHERE {changed}"
    leaves = f"CASE WHEN {moved} THEN -{_house_ledger('o')} ELSE 0 END"
    arrives = f"CASE WHEN {moved} THEN {_house_ledger('n')} ELSE 0 END"
    update = (f"SELECT {_pg_contributions('o', '-', leaves)} {pairs} UNION ALL "
              f"SELECT {_pg_contributions('n', '', arrives)} {pairs}")
    return (
        # A new house has no ledger rows yet: they need the house first.
        _pg_function("house_totals_insert", f"SELECT {_pg_contributions('n', '', '0')} FROM new_houses n"),
        _pg_function("house_totals_update", update),
        _pg_function("house_totals_delete",
                     f"SELECT {_pg_contributions('o', '-', '-' + _house_ledger('o'))} FROM old_houses o"),
        _pg_function("ledger_entry_totals",
                     "SELECT h.area_id, h.building_id, 0 AS houses, 0 AS due, l.amount AS ledger "
                     "FROM new_entries l JOIN house h ON h.id = l.house_id"),
        "CREATE TRIGGER house_totals_insert AFTER INSERT ON house REFERENCING NEW TABLE AS new_houses "
        "FOR EACH STATEMENT EXECUTE FUNCTION house_totals_insert()",
        "CREATE TRIGGER house_totals_update AFTER UPDATE ON house "
        "REFERENCING OLD TABLE AS old_houses NEW TABLE AS new_houses "
        "FOR EACH STATEMENT EXECUTE FUNCTION house_totals_update()",
        "CREATE TRIGGER house_totals_delete AFTER DELETE ON house REFERENCING OLD TABLE AS old_houses "
        "FOR EACH STATEMENT EXECUTE FUNCTION house_totals_delete()",
        "CREATE TRIGGER ledger_entry_totals AFTER INSERT ON ledger_entry "
        "REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_totals()",
    )


TOTALS_DDL: dict[str, tuple[str, ...]] = {"sqlite": _sqlite_triggers(), "postgresql": _pg_statements()}
_NAMES = ("house_totals_insert", "house_totals_update", "house_totals_delete")
#: What removes them again (the functions outlive ``drop_all``).
DROP_TOTALS_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(f"DROP TRIGGER IF EXISTS {name}" for name in (*_NAMES, "ledger_entry_totals")),
    "postgresql": (*(f"DROP TRIGGER IF EXISTS {name} ON house" for name in _NAMES),
                   "DROP TRIGGER IF EXISTS ledger_entry_totals ON ledger_entry",
                   *(f"DROP FUNCTION IF EXISTS {name}()" for name in (*_NAMES, "ledger_entry_totals"))),
}
#: Fills the tables from the live data (the migration's backfill; a repair after a restore of
#: data without the triggers). Same figures as the triggers keep.
BACKFILL_DML: tuple[str, ...] = tuple(
    f"INSERT INTO {table} ({key}, {_COLUMNS}) "
    f"SELECT h.{key}, SUM({_open('h')}), SUM({_due('h')}), COALESCE(SUM(p.paid), 0) FROM house h "
    "LEFT JOIN (SELECT house_id, SUM(amount) AS paid FROM ledger_entry GROUP BY house_id) p "
    f"ON p.house_id = h.id GROUP BY h.{key}"
    for table, key in GROUPS)

for _dialect, _statements in TOTALS_DDL.items():
    for _statement in _statements:
        event.listen(LedgerEntry.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _statement in DROP_TOTALS_DDL["postgresql"][len(_NAMES) + 1:]:
    event.listen(LedgerEntry.__table__, "after_drop", DDL(_statement).execute_if(dialect="postgresql"))
