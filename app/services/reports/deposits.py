"""交存统计, 欠缴清单 and 续筹预警: what houses owe and hold, aggregated by the database."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, func, literal, select
from sqlalchemy.orm import Session

from app.documents.excel.columns import ColumnType
from app.models.base import ZERO
from app.models.organisation import Organisation
from app.models.property import HOUSE_OPEN, Building, House, PropertyArea
from app.security.tenant import Scope
from app.services.payments.renewal import RenewCheck
from app.services.reports.common import (EXPORT_LIMIT, LEVEL_AREA, LEVEL_BUILDING,
                                         LEVEL_ORG, Filters, Report, balance_subquery, col, money,
                                         narrow, outstanding_expr, page_window, paid_towards_expr, rate)

INT, DEC = ColumnType.INT, ColumnType.DECIMAL


def _house_base(scope: Scope, filters: Filters, bal: Any) -> Any:
    """Open houses joined to their balance, narrowed by the scope and the place filters."""
    query = (select().select_from(House)
             .join(PropertyArea, PropertyArea.id == House.area_id)
             .join(Building, Building.id == House.building_id)
             .join(Organisation, Organisation.id == House.org_id)
             .outerjoin(bal, bal.c.house_id == House.id)
             .where(House.status == HOUSE_OPEN))
    query = narrow(query, filters, org_id=House.org_id, area_id=House.area_id,
                   building_id=House.building_id, district=PropertyArea.district_code)
    return scope.apply(query, House)


def _money_columns(bal: Any) -> tuple[Any, Any, Any]:
    balance = func.coalesce(bal.c.balance, 0)
    return House.amount_due, balance, outstanding_expr(House.amount_due, balance)


# ------------------------------------------------------------------ 交存统计

#: The grouping columns of each level of 交存统计, as (row key, column).
_LEVEL_KEYS = {
    LEVEL_ORG: [("org_id", Organisation.id), ("org", Organisation.name)],
    LEVEL_AREA: [("org_id", Organisation.id), ("org", Organisation.name),
                 ("area_id", PropertyArea.id), ("area", PropertyArea.name)],
    LEVEL_BUILDING: [("org_id", Organisation.id), ("org", Organisation.name),
                     ("area_id", PropertyArea.id), ("area", PropertyArea.name),
                     ("building_id", Building.id), ("building", Building.name)],
}
#: Where a name of each level leads: the next level down, and a building's houses in arrears.
_DRILL = {"org": "deposits_area", "area": "deposits_building", "building": "arrears",
          "unpaid": "arrears"}


def _deposit_figures(bal: Any) -> list[Any]:
    due, balance, unpaid = _money_columns(bal)
    return [func.count(House.id), func.coalesce(func.sum(due), 0), func.coalesce(func.sum(balance), 0),
            func.coalesce(func.sum(paid_towards_expr(due, balance)), 0),
            func.coalesce(func.sum(unpaid), 0)]


def _deposit_values(houses: int, due: Any, paid: Any, towards: Any, unpaid: Any) -> dict[str, Any]:
    due_v = money(due)
    return {"houses": houses, "due": due_v, "paid": money(paid), "unpaid": money(unpaid),
            "towards": money(towards), "rate": rate(money(towards), due_v)}


def deposit_statistics(session: Session, scope: Scope, filters: Filters) -> Report:
    """交存统计: houses, due, paid, unpaid and collection rate per developer, area or building."""
    bal = balance_subquery()
    keys = _LEVEL_KEYS[filters.level]
    groups = [column for _key, column in keys]
    query = (_house_base(scope, filters, bal).add_columns(*groups, *_deposit_figures(bal))
             .group_by(*groups).order_by(*[c for c in groups if c.key == "name"]))
    rows = []
    for values in session.execute(query):
        row = {key: value for (key, _c), value in zip(keys, values)}
        row.update(_deposit_values(*values[len(keys):]))
        rows.append(row)
    # The groups partition the houses, so the totals are the sums of the (few) group rows.
    totals = _deposit_values(*(sum((row[k] for row in rows), 0 if k == "houses" else ZERO)
                               for k in ("houses", "due", "paid", "towards", "unpaid")))
    columns = [col(_l("Developer"), "org", width=30)]
    if filters.level in (LEVEL_AREA, LEVEL_BUILDING):
        columns.append(col(_l("Property area"), "area", width=24))
    if filters.level == LEVEL_BUILDING:
        columns.append(col(_l("Building"), "building", width=14))
    columns += [col(_l("Houses"), "houses", INT, 8), col(_l("Amount due"), "due", DEC, 20),
                col(_l("Paid"), "paid", DEC, 20), col(_l("Unpaid"), "unpaid", DEC, 20),
                col(_l("Collection rate"), "rate", width=12)]
    return Report("deposits", _l("Deposit statistics"), columns, rows, totals, len(rows),
                  page_size=max(len(rows), 1), links=dict(_DRILL))


# ------------------------------------------------------------------ 欠缴清单

def _house_columns(extra: list) -> list:
    return [col(_l("Developer"), "org", width=30), col(_l("Property area"), "area", width=24),
            col(_l("Building"), "building", width=14), col(_l("House code"), "code", width=24),
            col(_l("Unit"), "unit", width=8), col(_l("Floor"), "floor", INT, 8),
            col(_l("Room"), "room", width=10), *extra]


def _house_row(row: Any) -> dict[str, Any]:
    return {"org_id": row.org_id, "org": row.org, "area_id": row.area_id, "area": row.area,
            "building_id": row.building_id, "building": row.building, "house_id": row.house_id,
            "code": row.code, "unit": row.unit, "floor": row.floor, "room": row.room}


def _house_select(base: Any) -> Any:
    return base.add_columns(Organisation.id.label("org_id"), Organisation.name.label("org"),
                            PropertyArea.id.label("area_id"), PropertyArea.name.label("area"),
                            Building.id.label("building_id"), Building.name.label("building"),
                            House.id.label("house_id"), House.code.label("code"),
                            House.unit.label("unit"), House.floor.label("floor"),
                            House.room.label("room"))


def _ordered(query: Any) -> Any:
    return query.order_by(Organisation.name, PropertyArea.name, Building.name, House.unit,
                          House.floor, House.room, House.id)


def arrears(session: Session, scope: Scope, filters: Filters, *, everything: bool = False) -> Report:
    """欠缴清单: open houses whose balance is below their amount due (unpaid or partly paid)."""
    bal = balance_subquery()
    due, balance, unpaid = _money_columns(bal)
    base = _house_base(scope, filters, bal).where(House.amount_due > balance)
    offset, limit = (0, EXPORT_LIMIT) if everything else page_window(filters)
    query = _ordered(_house_select(base).add_columns(due.label("due"), balance.label("paid"),
                                                     unpaid.label("unpaid")))
    rows = []
    for row in session.execute(query.offset(offset).limit(limit)):
        data = _house_row(row)
        data.update(due=money(row.due), paid=money(row.paid), unpaid=money(row.unpaid),
                    state=str(_l("Partly paid") if money(row.paid) > ZERO else _l("Not paid")))
        rows.append(data)
    count, d, b, u = session.execute(base.add_columns(
        func.count(House.id), func.coalesce(func.sum(due), 0), func.coalesce(func.sum(balance), 0),
        func.coalesce(func.sum(unpaid), 0))).one()
    columns = _house_columns([col(_l("Amount due"), "due", DEC), col(_l("Paid"), "paid", DEC),
                              col(_l("Unpaid"), "unpaid", DEC), col(_l("State"), "state", width=10)])
    return Report("arrears", _l("Arrears list"), columns, rows,
                  {"code": count, "due": money(d), "paid": money(b), "unpaid": money(u)}, count,
                  page=filters.page, links={"code": "house", "building": "arrears_building",
                                            "org": "arrears_org"})


# ------------------------------------------------------------------ 续筹预警

def renew_warnings(session: Session, scope: Scope, filters: Filters, default_threshold: Decimal,
                   *, everything: bool = False) -> Report:
    """续筹预警: houses that paid a first deposit and whose balance fell below the threshold of it.

    A house that never paid is chased by the arrears list (首期/补交), never by a 续筹.
    """
    threshold = filters.threshold if filters.threshold is not None else default_threshold
    bal = balance_subquery()
    balance = func.coalesce(bal.c.balance, 0)
    first = func.coalesce(bal.c.first_deposit, 0)
    # balance < first × threshold %: both sides times 100, so the threshold stays a Decimal
    percent = literal(threshold, Numeric(8, 4))
    base = _house_base(scope, filters, bal).where(first > 0, balance * 100 < first * percent)
    offset, limit = (0, EXPORT_LIMIT) if everything else page_window(filters)
    query = _ordered(_house_select(base).add_columns(first.label("first"), balance.label("balance")))
    rows = []
    for row in session.execute(query.offset(offset).limit(limit)):
        data = _house_row(row)
        check = RenewCheck(money(row.first), money(row.balance), threshold)
        data.update(first=check.first, balance=check.balance, share=f"{check.share}%",
                    proposed=check.proposed)
        rows.append(data)
    count, f, b = session.execute(base.add_columns(
        func.count(House.id), func.coalesce(func.sum(first), 0),
        func.coalesce(func.sum(balance), 0))).one()
    columns = _house_columns([col(_l("First deposit"), "first", DEC), col(_l("Balance"), "balance", DEC),
                              col(_l("Balance share"), "share", width=10),
                              col(_l("Proposed replenishment"), "proposed", DEC)])
    # Every listed house is below its first deposit, so the proposals sum to first − balance.
    report = Report("renew", _l("Replenishment warnings"), columns, rows,
                    {"code": count, "first": money(f), "balance": money(b),
                     "proposed": money(f) - money(b)}, count, page=filters.page,
                    links={"code": "house"})
    report.notes.append(_l("Threshold: balance below %(percent)s%% of the first deposit (first deposits and "
                           "top-ups, with split and merge transfers).",
                           percent=f"{threshold.normalize():f}"))
    report.notes.append(_l("Proposed replenishment: the amount that brings the balance back to the first deposit."))
    return report


def arrears_by_building(session: Session, scope: Scope, filters: Filters) -> list[dict[str, Any]]:
    """The houses in arrears grouped for 催交通知: one entry per building, its rows and total."""
    report = arrears(session, scope, filters, everything=True)
    letters: dict[Optional[int], dict[str, Any]] = {}
    for row in report.rows:
        letter = letters.setdefault(row["building_id"], {
            "org": row["org"], "area": row["area"], "building": row["building"], "rows": [],
            "total": ZERO})
        letter["rows"].append(row)
        letter["total"] += row["unpaid"]
    return list(letters.values())
