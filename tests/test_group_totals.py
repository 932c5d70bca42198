"""The area and building totals the database keeps (app/models/totals.py) equal, for every area and
building, what a grouped scan of the live houses and ledger rows computes: after the demo data,
after every step of a day of money (collection, notices, confirmations, changes of area, building
and house, cancel, refunds, split, merge, reversal, concurrent confirmations), after raw SQL that
bypasses the ORM, and in a schema built by the migrations as in one built by ``create_all``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import case, create_engine, func, insert, select, text, update

from app.models.base import ZERO
from app.models.ledger import ENTRY_DEPOSIT, LedgerEntry
from app.models.property import HOUSE_CLOSED, HOUSE_OPEN, Building, House
from app.models.totals import AreaTotals, BuildingTotals
from app.services.ledger import GroupTotals, book_deposit, group_totals, paid_by_house
from tests.conftest import build_test_app
from tests.test_migrations import MIGRATIONS, _scratch_url
from tests.test_money_day import STEPS, Day

NOTHING = GroupTotals(0, ZERO, ZERO)
CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def live_totals(session: Any, column: Any) -> dict[int, GroupTotals]:
    """Open houses, their amount due, and the ledger of all houses per group: a scan of everything."""
    paid = paid_by_house()
    is_open = House.status == HOUSE_OPEN
    query = (select(column, func.count(case((is_open, 1))),
                    func.coalesce(func.sum(case((is_open, House.amount_due))), 0),
                    func.coalesce(func.sum(paid.c.paid), 0))
             .join(paid, paid.c.house_id == House.id, isouter=True).group_by(column))
    return {ident: GroupTotals(int(n), _money(due), _money(total))
            for ident, n, due, total in session.execute(query)}


def kept_totals(session: Any, key: Any) -> dict[int, GroupTotals]:
    table = key.class_
    rows = session.execute(select(key, table.open_houses, table.open_due, table.ledger_sum))
    return {ident: GroupTotals(int(n), _money(due), _money(total)) for ident, n, due, total in rows}


def assert_totals_match(session: Any, when: str) -> None:
    session.expire_all()
    for column, key in ((House.area_id, AreaTotals.area_id), (House.building_id, BuildingTotals.building_id)):
        live, kept = live_totals(session, column), kept_totals(session, key)
        assert live, when
        # A group whose houses all left keeps a row of zeros; a group never housed has none.
        differing = {ident: (live.get(ident, NOTHING), kept.get(ident, NOTHING))
                     for ident in set(live) | set(kept)
                     if live.get(ident, NOTHING) != kept.get(ident, NOTHING)}
        assert not differing, f"{when}: {key} (live, kept) {differing}"


def test_the_demo_data_and_group_totals_read_the_kept_figures(session: Any, demo: Any) -> None:
    house = session.scalars(select(House).where(House.area_id == demo.area_a.id)).first()
    book_deposit(session, house, Decimal("321.45"), notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 2))
    session.commit()
    assert_totals_match(session, "demo")
    areas = live_totals(session, House.area_id)
    assert group_totals(session, House.area_id, list(areas)) == areas
    buildings = live_totals(session, House.building_id)
    assert group_totals(session, House.building_id, list(buildings)) == buildings
    assert areas[demo.area_a.id].paid >= Decimal("321.45")


def test_every_step_of_a_day_of_money_keeps_the_totals(app: Any, session: Any, demo: Any,
                                                      is_postgres: bool, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "ORDER_JOBS_INLINE", True)  # the split sheet's import, inline
    day = Day(app, session, demo, is_postgres)
    for name, step in STEPS:
        step(day)
        assert_totals_match(session, name)
    assert day.bank_in > ZERO and day.taken_back > ZERO and day.paid_out > ZERO


def test_raw_sql_moving_closing_and_removing_houses_keeps_the_totals(session: Any, demo: Any) -> None:
    """Writes that bypass the ORM: a bulk insert, a house moved to another area and building with
    its ledger balance, a status and an amount due changed by one statement over many houses, a
    house removed, ledger rows inserted by one statement."""
    houses = session.scalars(select(House).where(House.area_id == demo.area_a.id).order_by(House.id)).all()
    first, second = houses[0], houses[1]
    book_deposit(session, first, Decimal("1000.10"), notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 2))
    session.commit()
    other = session.scalars(select(Building).where(Building.area_id != demo.area_a.id)).first()
    template = {c.name: getattr(second, c.name) for c in House.__table__.columns if c.name != "id"}
    session.execute(insert(House.__table__), [
        {**template, "code": f"{template['code']}-T{i}", "room": f"T{i}", "status": status,
         "amount_due": Decimal("99.99") * (i + 1), "trade_house_code": None, "contract_no": None}
        for i, status in enumerate((HOUSE_OPEN, HOUSE_CLOSED, HOUSE_OPEN))])
    session.commit()
    assert_totals_match(session, "bulk insert")

    session.execute(update(House).where(House.id == first.id)
                    .values(area_id=other.area_id, building_id=other.id))
    session.commit()
    assert_totals_match(session, "house moved with its ledger")

    session.execute(text("UPDATE house SET amount_due = amount_due + 0.37 WHERE area_id = :a"),
                    {"a": demo.area_a.id})
    session.execute(text("UPDATE house SET status = :closed WHERE id IN (:x, :y)"),
                    {"closed": HOUSE_CLOSED, "x": first.id, "y": second.id})
    session.execute(text("UPDATE house SET room = room WHERE area_id = :a"), {"a": demo.area_a.id})
    session.commit()
    assert_totals_match(session, "amounts and status by statement")

    session.execute(insert(LedgerEntry.__table__), [
        {"org_id": h.org_id, "house_id": h.id, "kind": ENTRY_DEPOSIT, "amount": Decimal("12.34"),
         "notice_round": 1, "booked_at": dt.datetime(2026, 3, 2)} for h in houses[:5]])
    session.commit()
    assert_totals_match(session, "ledger rows by statement")

    session.execute(text("DELETE FROM house WHERE code LIKE :c"), {"c": f"{template['code']}-T%"})
    session.commit()
    assert_totals_match(session, "houses removed")


def _definitions(conn: Any) -> dict[str, str]:
    """The totals triggers (and on PostgreSQL their functions) as the database prints them."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || pg_get_functiondef(t.tgfoid) "
            "FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgname LIKE '%totals%'"))
    else:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE '%totals%'"))
    return dict(rows.all())


def test_the_migrations_build_the_same_triggers_as_create_all(session: Any, _database: Any) -> None:
    from flask_migrate import upgrade

    built = _definitions(session.connection())
    assert set(built) == {"house_totals_insert", "house_totals_update", "house_totals_delete",
                          "ledger_entry_totals"}
    session.rollback()
    url = _scratch_url(_database)
    app = build_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert _definitions(conn) == built
        finally:
            engine.dispose()
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_group_totals_refuses_a_column_it_keeps_no_totals_for(session: Any) -> None:
    with pytest.raises(ValueError, match="no totals"):
        group_totals(session, House.status, [1])
