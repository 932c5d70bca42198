"""What 物业区域采集 (§1.3.1) and 房屋补充 (§1.3.5) share: orders that open new houses.

Both stage buildings and houses as order lines, refuse houses already in the area or listed twice
(naming the lines), price every house with the deposit standard in force on the 交存时点, and on
approval open the accounts and queue the trading-system pushes of fetched houses.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.documents.print_models import SummaryTable
from app.domain.money import quantize_money
from app.errors import Problem
from app.models.codes import KIND_HOUSE_USE, KIND_STRUCTURE
from app.models.order import BusinessOrder, OrderLine
from app.models.property import SOURCE_EXCEL, SOURCE_TRADE, Building, House, PropertyArea
from app.services.accounts import building_floors, check_new_houses, open_houses
from app.services.audit import record
from app.services.orders import claims, fields, staging
from app.services.orders.fields import agent_problems
from app.services.orders.states import today_local
from app.services.orders.types.base import (TEMPLATE_IMPORT, TRADE_FETCH, FormContent, LineRow,
                                            LinesTable, OrderHandler)
from app.services.outbox import enqueue_deposit_pushes
from app.services.reference import code_map
from app.services.standards import NoStandard, PriceRequired, StandardBook

HOUSE_COLUMNS = (
    ("building", _l("Building")), ("unit", _l("Unit")), ("floor", _l("Floor")),
    ("room", _l("Room")), ("use_code", _l("Use")), ("has_lift", _l("Lift")),
    ("building_area", _l("Building area (m²)")), ("inner_area", _l("Inner area (m²)")),
    ("sales_status", _l("Sales status")), ("price", _l("Price (yuan)")),
    ("source", _l("Source")), ("amount_due", _l("Amount due (yuan)")),
)
BUILDING_COLUMNS = (
    ("name", _l("Building")), ("structure_code", _l("Structure")), ("built_ym", _l("Completed")),
    ("floors", _l("Floors")), ("address", _l("Address")),
)
#: House cells that are numbers: shown with thousands separators, as the totals are.
DECIMAL_KEYS = frozenset({"building_area", "inner_area", "price"})
SOURCE_LABELS = {SOURCE_TRADE: _l("Trading system"), SOURCE_EXCEL: _l("Excel import")}
#: Houses loaded at a time to queue their pushes (keeps the IN list well under driver limits).
PUSH_CHUNK = 500


def deposit_point(order: BusinessOrder) -> Optional[dt.date]:
    text = (order.payload or {}).get("deposit_time_point")
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def line_origin(number: int, data: dict[str, Any]) -> str:
    """"Line n (where)": n as the 序号 of the order's houses table (buildings are not counted)."""
    return _("Line %(seq)d (%(where)s)", seq=number, where=staging.location_text(data))


def numbered(houses: Sequence[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Staged (seq, house) pairs as (序号, house): seq also counts buildings and keeps gaps."""
    return [(number, data) for number, (_seq, data) in enumerate(houses, start=1)]


def _readable(reason: Any, by_key: dict[str, tuple[int, dict[str, Any]]]) -> str:
    """Replace the cheap "#seq" keys a message may quote (e.g. "also at #12") by line labels."""
    text = str(reason)
    for token in set(re.findall(r"#\d+", text)):
        if token in by_key:
            text = text.replace(token, line_origin(*by_key[token]))
    return text


class NewHousesHandler(OrderHandler):
    """Shared rules; subclasses say which area the houses go into.

    Not an ``abc.ABC``: ABCMeta probes every class attribute for ``__isabstractmethod__``, which
    turns a subclass's lazy ``title`` into text at import, outside any app or locale.
    """

    prints_account_list = True
    has_deposit_point = True
    require_deposit_point = False
    intake = (TRADE_FETCH, TEMPLATE_IMPORT)
    line_targets = ((staging.HOUSE, _l("House lines")), (staging.BUILDING, _l("New buildings")))
    field_labels = dict(fields.LABELS)

    # ------------------------------------------------ header fields

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {"deposit_time_point": fields.text(source.get("deposit_time_point"))}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        return fields.date_field(order, "deposit_time_point", values.get("deposit_time_point"))

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder], args: Any
                    ) -> dict[str, str]:
        point = (order.payload or {}).get("deposit_time_point") if order is not None else None
        return {"deposit_time_point": point or ""}

    def deposit_point(self, order: BusinessOrder) -> Optional[dt.date]:
        return deposit_point(order)

    def _line_totals(self, session: Session, order: BusinessOrder
                     ) -> tuple[int, Decimal, Decimal, int]:
        prices = Pricer(session, order)
        count, unpriced, area, due = 0, 0, Decimal(0), Decimal(0)
        for _seq, data in staging.staged(session, order.id, staging.HOUSE):
            count += 1
            area += Decimal(data["building_area"])
            amount = prices.amount(data)
            if amount is None:
                unpriced += 1
            else:
                due += amount
        return count, area, due, unpriced

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        count, area, due, _unpriced = self._line_totals(session, order)
        return _("%(n)s houses, %(area)s m², amount due %(due)s yuan", n=count,
                 area=f"{area:,.2f}", due=f"{due:,.2f}")

    def lines_warning(self, session: Session, order: BusinessOrder) -> str:
        unpriced = self._line_totals(session, order)[3]
        return _("%(n)s without a deposit standard", n=unpriced) if unpriced else ""

    # ------------------------------------------------ hooks for the two businesses

    def header_problems(self, session: Session, order: BusinessOrder, required: bool
                        ) -> list[Problem]:
        """Order-level fields (area, 交存时点, agent); ``required`` on submit, formats on save."""
        problems = agent_problems(order, required)
        if required and self.require_deposit_point and deposit_point(order) is None:
            problems.append(Problem("deposit_time_point", _l("Required.")))
        return problems

    def existing_area_id(self, order: BusinessOrder) -> Optional[int]:
        """The area the houses join when it exists already (None for a new area)."""
        return None

    def target_area(self, session: Session, order: BusinessOrder, user: Any) -> PropertyArea:
        """The area to open the houses in, created if the business creates it."""
        raise TypeError(f"{type(self).__name__} must say where its houses go")

    # ------------------------------------------------ workflow hooks

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        return self.header_problems(session, order, required=False)

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = self.header_problems(session, order, required=True)
        houses = staging.staged(session, order.id, staging.HOUSE)
        if not houses:
            problems.append(Problem("houses", _l("Add at least one house (fetch from the trading "
                                                 "system or import the template).")))
            return problems
        problems += self.house_problems(session, order, houses)
        return problems

    def house_problems(self, session: Session, order: BusinessOrder,
                       houses: Sequence[tuple[int, dict[str, Any]]]) -> list[Problem]:
        """Duplicates in the area or the order, unknown buildings, houses without a standard.

        Problems name each house by its 序号 in the houses table, as the order pages show it.
        """
        houses = numbered(houses)
        area_id = self.existing_area_id(order)
        buildings = [staging.to_building_input(b)
                     for _s, b in staging.staged(session, order.id, staging.BUILDING)]
        known = {b.name for b in buildings}
        if area_id:
            known |= set(session.scalars(select(Building.name).where(Building.area_id == area_id)))
        problems: list[Problem] = []
        inputs = []
        by_key = {}
        for seq, data in houses:
            if data["building"] not in known:
                problems.append(Problem(line_origin(seq, data), _l(
                    "Building %(name)s is neither in the property area nor in this order.",
                    name=data["building"]), row=seq))
            # A cheap key now; the readable "Line n (where)" only for the few with problems.
            key = f"#{seq}"
            by_key[key] = (seq, data)
            inputs.append(staging.to_house_input(data, key))
        staging.remember_house_inputs(session, order.id, inputs)
        for problem in check_new_houses(session, area_id, inputs, StandardBook.load(session),
                                        buildings, deposit_point(order)):
            seq, data = by_key.get(problem.field, (None, None))
            problems.append(problem if seq is None else Problem(
                line_origin(seq, data), _readable(problem.reason, by_key), row=seq))
        problems += self.open_order_conflicts(session, order, houses)
        problems += claims.order_problems(session, order, area_id, houses, line_origin)
        return problems

    def import_work(self, order_id: int, user_id: int, data: bytes, filename: str, *,
                    upload_folder: str, max_rows: int) -> Any:
        """导入 of the house template (``intake.import_work``)."""
        from app.services.orders.intake import import_work  # intake imports this module

        return import_work(order_id, user_id, data, filename, upload_folder=upload_folder,
                           max_rows=max_rows)

    def open_order_conflicts(self, session: Session, order: BusinessOrder,
                             houses: Sequence[tuple[int, dict[str, Any]]]) -> list[Problem]:
        """Houses another unfinished order already adds to the same area."""
        area_id = self.existing_area_id(order)
        if not area_id:
            return []
        taken = claims.locations_added_elsewhere(session, area_id, order.id)
        return [Problem(line_origin(seq, data), _l("Also added by unfinished order %(number)s.",
                                                   number=taken[staging.location(data)]), row=seq)
                for seq, data in houses if staging.location(data) in taken]

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        """Open every staged house in bulk and queue the trading-system pushes of fetched ones."""
        area = self.target_area(session, order, user)
        claims.claim_projects(session, area, claims.order_project_ids(order))
        point = deposit_point(order) or today_local()
        # "不填则为审核通过之日": the order keeps the date it took, for its pages and prints.
        order.payload = {**(order.payload or {}), "deposit_time_point": point.isoformat()}
        buildings = [staging.to_building_input(b)
                     for _s, b in staging.staged(session, order.id, staging.BUILDING)]
        staged = staging.staged(session, order.id, staging.HOUSE)
        # validate() ran check_new_houses in this transaction, under the order's row lock, on
        # the inputs it built from these very lines (their origins only name lines in messages).
        inputs = staging.remembered_house_inputs(session, order.id)
        if inputs is None or len(inputs) != len(staged):
            inputs = [staging.to_house_input(data) for _s, data in staged]
        opened = open_houses(
            session, area, buildings, inputs,
            StandardBook.load(session),
            source=[data.get("source") or SOURCE_EXCEL for _s, data in staged],
            order_id=order.id, deposit_time_point=point, on=point, validate=False)
        record(session, "houses_opened", "PropertyArea", area.id, user_id=user.id,
               org_id=order.org_id, detail={"order": order.number, "houses": len(opened.house_ids),
                                            "amount_due": f"{opened.total_due:.2f}"})
        fetched = [house_id for house_id, (_s, data) in zip(opened.house_ids, staged)
                   if data.get("source") == SOURCE_TRADE]
        reason = _("Account opened by order %(number)s", number=order.number)
        for start in range(0, len(fetched), PUSH_CHUNK):
            houses = session.scalars(select(House).where(
                House.id.in_(fetched[start:start + PUSH_CHUNK])).order_by(House.id)).all()
            enqueue_deposit_pushes(session, houses, reason=reason)

    # ------------------------------------------------ display

    def lines_table(self, order: BusinessOrder, lines: Optional[Sequence[OrderLine]] = None,
                    *, target: str = staging.HOUSE) -> LinesTable:
        lines = list(order.lines if lines is None else lines)
        if target == staging.BUILDING:
            structures = code_map(object_session(order), KIND_STRUCTURE)

            def cells(data: Optional[dict[str, Any]]) -> Optional[list[str]]:
                return None if data is None else [_building_cell(k, data, structures)
                                                  for k, _label in BUILDING_COLUMNS]

            return LinesTable(columns=[str(label) for _k, label in BUILDING_COLUMNS],
                              rows=[_row(line, cells(line.before), cells(line.after))
                                    for line in lines])
        session = object_session(order)
        uses = code_map(session, KIND_HOUSE_USE)
        prices = Pricer(session, order)

        def house_cells(data: Optional[dict[str, Any]]) -> Optional[list[str]]:
            return None if data is None else [_house_cell(k, data, uses, prices)
                                              for k, _label in HOUSE_COLUMNS]

        return LinesTable(columns=[str(label) for _k, label in HOUSE_COLUMNS],
                          rows=[_row(line, house_cells(line.before), house_cells(line.after))
                                for line in lines])

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        """Per building: houses, floor area and amount due; the 开户清册 lists every house."""
        prices = Pricer(session, order)
        per_building: dict[str, list[Decimal]] = {}
        count, area_sum, due_sum = 0, Decimal(0), Decimal(0)
        for _seq, data in staging.staged(session, order.id, staging.HOUSE):
            area = Decimal(data["building_area"])
            due = prices.amount(data) or Decimal(0)
            entry = per_building.setdefault(data["building"], [Decimal(0), Decimal(0), Decimal(0)])
            entry[0] += 1
            entry[1] += area
            entry[2] += due
            count, area_sum, due_sum = count + 1, area_sum + area, due_sum + due
        rows = [[name, int(n), quantize_money(a), quantize_money(d)]
                for name, (n, a, d) in per_building.items()]
        return FormContent(
            lines=SummaryTable(headers=[_("Building"), _("Houses"), _("Building area (m²)"),
                                        _("Amount due (yuan)")], rows=rows,
                               caption=_("Houses to open, by building")),
            totals=[(_("Houses"), count), (_("Building area (m²)"), quantize_money(area_sum)),
                    (_("Amount due (yuan)"), quantize_money(due_sum)),
                    (_("Deposit time point"), deposit_point(order) or "")],
        )


class Pricer:
    """Amount due of staged houses with the standard in force on the order's 交存时点 (a preview:
    approval computes the binding amount)."""

    def __init__(self, session: Session, order: BusinessOrder) -> None:
        self.book = StandardBook.load(session)
        self.on = deposit_point(order)
        self.floors = building_floors(session, order.area_id, {
            b["name"]: b.get("floors") for _s, b in staging.staged(session, order.id, staging.BUILDING)})

    def price(self, data: dict[str, Any]) -> tuple[Optional[str], Optional[Decimal]]:
        try:
            standard, due = self.book.price(
                data["use_code"], bool(data["has_lift"]), self.floors.get(data["building"]),
                Decimal(data["building_area"]),
                Decimal(data["price"]) if data.get("price") else None, self.on)
        except (NoStandard, PriceRequired):
            return None, None
        return standard.describe(), due

    def amount(self, data: dict[str, Any]) -> Optional[Decimal]:
        return self.price(data)[1]


def _row(line: OrderLine, before: Optional[list[str]], after: Optional[list[str]]) -> LineRow:
    width = len(after or before or [])
    before = before if before is not None else [""] * width
    after = after if after is not None else [""] * width
    return LineRow(seq=line.seq, action=line.action, target=line.target, before=before,
                   after=after, changed=[b != a for b, a in zip(before, after)])


def _house_cell(key: str, data: dict[str, Any], uses: dict[str, str], prices: Pricer) -> str:
    value = data.get(key)
    if key == "use_code":
        return uses.get(value, value or "")
    if key == "has_lift":
        return _("Yes") if value else _("No")
    if key == "source":
        return str(SOURCE_LABELS.get(value, value or ""))
    if key == "amount_due":
        due = prices.amount(data)
        return f"{due:,.2f}" if due is not None else _("No standard")
    if key in DECIMAL_KEYS and value not in (None, ""):
        return f"{Decimal(str(value)):,.2f}"
    return "" if value is None else str(value)


def _building_cell(key: str, data: dict[str, Any], structures: dict[str, str]) -> str:
    value = data.get(key)
    if key == "structure_code":
        return structures.get(value, value or "")
    return "" if value is None else str(value)
