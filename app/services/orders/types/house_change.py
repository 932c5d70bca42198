"""房屋信息变更 (§1.3.6): correct picked houses' data; a change that moves the amount due is priced.

The developer chooses the area and the reason and picks the houses in the 楼盘表; each becomes a
change line holding the house as it is. A row is edited on its own (every field below), or
批量修改 sets 楼幢名称, 单元, 地址, 房屋类型, 电梯 and 销售状态 for the ticked houses (all when
none is ticked). 楼幢名称 moves a house to another building of the same area.

Where a change moves a house's amount due (its use, lift, floor area, price or building), the
review shows each house's old and new amount due, paid and difference; a paid amount above the
new due is refunded to the account the developer enters (户名, 开户银行, 账号, required then), and
the 退款申请表 prints with the 申请表. Approval records the new data and amounts due in one
transaction, audits each house and pushes the linked houses' deposit status.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.documents.excel import CellError, Column, ColumnType
from app.documents.excel import house_sheet as sheet
from app.documents.print_models import RefundForm, RefundLine, SummaryTable
from app.domain.location import location_text, unit_number
from app.errors import Problem, ValidationFailed
from app.models.codes import KIND_HOUSE_USE, KIND_SALES_STATUS
from app.models.order import APPROVED, HOUSE_CHANGE, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_OPEN, Building, House
from app.services.audit import record
from app.services.ledger import balances
from app.services.orders import fields, house_picks, staging
from app.services.orders.dues import Impact, impacts_summary, impacts_table, record_new_due
from app.services.orders.types.base import (HOUSE_PICK, SHEET_ROUNDTRIP, ExtraTable, FormContent,
                                            LineRow, LinesTable, register_handler)
from app.services.orders.types import refund_account
from app.services.orders.types.refund_account import RefundAccountHandler
from app.services.outbox import enqueue_deposit_pushes
from app.services.reference import code_map
from app.services.standards import NoStandard, PriceRequired, StandardBook

#: A house's fields as the lines keep them (text), with their labels.
HOUSE_FIELDS: dict[str, Any] = {
    "building": _l("Building name"), "unit": _l("Unit"), "floor": _l("Floor"), "room": _l("Room"),
    "address": _l("Address"), "building_area": _l("Floor area"),
    "inner_area": _l("Inner area"), "use_code": _l("House use"), "has_lift": _l("Lift"),
    "sales_status": _l("Sales status"), "price": _l("House price"),
}
#: What 批量修改 sets for every ticked house (the manual's six fields).
BATCH_FIELDS = ("building", "unit", "address", "use_code", "has_lift", "sales_status")
#: What a row's edit may change (the house's place within the building stays: floor and room).
ROW_FIELDS = BATCH_FIELDS + ("building_area", "inner_area", "price")
SHOWN = ("code",) + tuple(HOUSE_FIELDS)
#: ``BusinessOrder.payload`` key of the approved amounts due: house id → [old, new].
DUE_CHANGES = "due_changes"
#: The line's lift value as the sheet writes it ("有" / "无", like the house template).
SHEET_LIFTS = (("1", "有"), ("0", "无"))
_AREA = {"minimum": Decimal("0.01"), "maximum": Decimal("99999999.99")}
#: The sheet's header of each field a row may change (the house template's texts).
SHEET_HEADERS = {"building": sheet.BUILDING_NAME, "unit": sheet.UNIT, "address": sheet.ADDRESS,
                 "building_area": sheet.BUILDING_AREA, "inner_area": sheet.INNER_AREA,
                 "use_code": sheet.USE, "has_lift": sheet.LIFT,
                 "sales_status": sheet.SALES_STATUS, "price": sheet.PRICE}


def _money_text(value: Optional[Decimal]) -> str:
    return "" if value is None else f"{value:.2f}"


def snapshot(house: House, building_name: str) -> dict[str, str]:
    return {"code": house.code, "building": building_name, "unit": house.unit or "",
            "floor": str(house.floor), "room": house.room, "address": house.address or "",
            "building_area": _money_text(house.building_area),
            "inner_area": _money_text(house.inner_area), "use_code": house.use_code,
            "has_lift": "1" if house.has_lift else "0", "sales_status": house.sales_status,
            "price": _money_text(house.price)}


def _decimal(value: str) -> Optional[Decimal]:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def normalised(key: str, value: Any) -> str:
    """The value as a line keeps it, so equal values compare equal."""
    text = str(value if value is not None else "").strip()
    if key in ("building_area", "inner_area", "price") and text:
        number = _decimal(text)
        return f"{number:.2f}" if number is not None else text
    if key == "has_lift":
        return {"true": "1", "yes": "1", "是": "1", "false": "0", "no": "0", "否": "0"}.get(
            text.lower(), text)
    if key == "unit":
        return unit_number(text)
    return text


def field_problem(session: Session, area_id: int, key: str, value: str) -> Optional[Any]:
    """Why ``value`` cannot be the house's ``key`` (None when it can)."""
    label = HOUSE_FIELDS[key]
    if key == "building":
        found = session.scalar(select(Building.id).where(Building.area_id == area_id,
                                                         Building.name == value))
        return None if found else _l("Choose a building of the property area.")
    if key in ("sales_status", "use_code", "has_lift", "building_area") and not value:
        return _l("%(field)s is required.", field=label)
    if key == "unit":
        return _l("%(field)s must be at most %(n)d characters.", field=label, n=20) \
            if len(value) > 20 else None
    if key == "address":
        return _l("%(field)s must be at most %(n)d characters.", field=label, n=200) \
            if len(value) > 200 else None
    if key == "use_code":
        return None if value in code_map(session, KIND_HOUSE_USE) else _l("Choose a house use.")
    if key == "sales_status":
        return None if value in code_map(session, KIND_SALES_STATUS) \
            else _l("Choose a sales status.")
    if key == "has_lift":
        return None if value in ("0", "1") else _l("Choose whether the house has a lift.")
    if key in ("building_area", "inner_area", "price"):
        if not value:
            return None
        number = _decimal(value)
        if number is None or number <= 0 or number >= Decimal("100000000") \
                or number != number.quantize(Decimal("0.01")):
            return _l("%(field)s must be a number above 0 with at most 2 decimals.", field=label)
        return None
    return None


class HouseChangeHandler(house_picks.PickedHouses, house_picks.PickedHousesSheet, RefundAccountHandler):
    type = HOUSE_CHANGE
    code = "FB"
    slug = "house-change"
    title = _l("House information change")
    form_title = _l("House Information Change Application Form")
    menu_name = "House change"
    menu_icon = "fa-home"
    menu_order = 60
    form_partial = "orders/forms/_house_change.html"
    intake = (HOUSE_PICK, SHEET_ROUNDTRIP)
    line_targets = ((staging.HOUSE, _l("Houses")),)
    snapshot_targets = (staging.HOUSE,)
    rows_editable = True
    batch_modify = True
    pickable_states = ("not_opened", "unpaid", "partly_paid", "paid")
    field_labels = {**fields.LABELS, **HOUSE_FIELDS, **refund_account.LABELS,
                    "houses": _l("Houses")}
    sheet_name = "房屋信息变更"

    # ------------------------------------------------ header

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        buildings = [] if order is None or order.area_id is None else list(session.scalars(
            select(Building.name).where(Building.area_id == order.area_id).order_by(Building.name)))
        return {**super().form_context(session, user, order), "building_names": buildings,
                "uses": list(code_map(session, KIND_HOUSE_USE).items()),
                "sales_statuses": list(code_map(session, KIND_SALES_STATUS).items())}

    # ------------------------------------------------ lines

    def house_snapshot(self, house: House, building_name: str) -> dict[str, Any]:
        return snapshot(house, building_name)

    def modify(self, session: Session, user: Any, order: BusinessOrder,
               seqs: Optional[list[int]], values: dict[str, Any]) -> int:
        lines = staging.changes(session, order.id, staging.HOUSE)
        chosen = lines if seqs is None else [line for line in lines if line[0] in set(seqs)]
        if not chosen:
            raise ValidationFailed(_l("Pick the houses first."), [])
        allowed = ROW_FIELDS if len(chosen) == 1 and seqs is not None else BATCH_FIELDS
        wanted = {k: normalised(k, v) for k, v in values.items() if k in allowed}
        if not wanted:
            raise ValidationFailed(_l("Enter at least one new value."), [])
        problems = [Problem(key, reason) for key, value in wanted.items()
                    if (reason := field_problem(session, order.area_id, key, value)) is not None]
        if problems:
            raise ValidationFailed(_l("Please correct the marked fields."), problems)
        staging.set_after(session, order.id, {seq: {**after, **wanted}
                                              for seq, _t, _b, after in chosen})
        return len(chosen)


    # ------------------------------------------------ 批量导出 / 批量导入

    def sheet_columns(self, session: Session, *, export: bool) -> tuple[Column, ...]:
        """The row editor's fields keyed by house number; floor and room only as a guide."""
        key = Column(sheet.HOUSE_CODE, "code", required=True, max_length=40, width=22)
        guide = (Column(sheet.FLOOR, "floor", ColumnType.INT, width=6),
                 Column(sheet.ROOM, "room", width=8)) if export else ()
        head = SHEET_HEADERS
        return (key, *guide,
                Column(head["building"], "building", required=True, max_length=60, width=12),
                Column(head["unit"], "unit", max_length=20, width=8),
                Column(head["address"], "address", max_length=200, width=30),
                Column(head["building_area"], "building_area", ColumnType.DECIMAL, required=True,
                       width=10, **_AREA),
                Column(head["inner_area"], "inner_area", ColumnType.DECIMAL, width=10, **_AREA),
                Column(head["use_code"], "use_code", ColumnType.CODE, required=True,
                       codes=list(code_map(session, KIND_HOUSE_USE).items()),
                       aliases=sheet.USE_ALIASES, width=12),
                Column(head["has_lift"], "has_lift", ColumnType.CODE, required=True,
                       codes=SHEET_LIFTS, aliases=sheet.LIFT_ALIASES, width=6),
                Column(head["sales_status"], "sales_status", ColumnType.CODE, required=True,
                       codes=list(code_map(session, KIND_SALES_STATUS).items()), width=10),
                Column(head["price"], "price", ColumnType.DECIMAL, money=True, width=14, **_AREA))

    def sheet_rows(self, session: Session, order: BusinessOrder) -> list[dict[str, Any]]:
        rows = []
        for _seq, _target, _before, after in staging.changes(session, order.id, staging.HOUSE):
            row: dict[str, Any] = {key: after.get(key) or None for key in SHOWN}
            row["floor"] = int(after["floor"]) if after.get("floor") else None
            for key in ("building_area", "inner_area", "price"):
                row[key] = _decimal(after[key]) if after.get(key) else None
            rows.append(row)
        return rows

    def sheet_after(self, session: Session, order: BusinessOrder, after: dict[str, Any],
                    rows: Sequence[Any]) -> tuple[dict[str, Any], list[CellError]]:
        errors = [CellError(self.sheet_name, row.number, sheet.HOUSE_CODE, after.get("code") or "",
                            str(_l("The house is listed twice (first at row %(row)d).",
                                   row=rows[0].number))) for row in rows[1:]]
        row, new = rows[0], dict(after)
        for key in ROW_FIELDS:
            value = normalised(key, row.values.get(key))
            if value == after.get(key):
                continue
            reason = field_problem(session, order.area_id, key, value)
            if reason is None:
                new[key] = value
            else:
                errors.append(CellError(self.sheet_name, row.number, SHEET_HEADERS[key], value,
                                        str(reason)))
        return new, errors

    # ------------------------------------------------ checks

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, True) + fields.required_area(session, order, True)
        if not (order.reason or "").strip():
            problems.append(Problem("reason", _l("Enter the reason for the change.")))
        lines = staging.changes(session, order.id, staging.HOUSE)
        if not lines:
            return problems + [Problem("houses", _l("Pick the houses to change."))]
        problems += house_picks.unavailable(session, order, house_picks.staged_houses(session, order))
        if all(before == after for _s, _t, before, after in lines):
            problems.append(Problem("houses", _l("Nothing was changed.")))
        for seq, _target, before, after in lines:
            for key in HOUSE_FIELDS:
                if after.get(key) != before.get(key):
                    reason = field_problem(session, order.area_id, key, after.get(key) or "")
                    if reason is not None:
                        problems.append(Problem(before.get("code"), reason, row=seq))
        problems += self._place_clashes(session, order, lines)
        impacts, unpriced = self.impacts(session, order)
        problems += unpriced
        problems += self.account_problems(order, required=any(i.refund > 0 for i in impacts))
        return problems

    def _place_clashes(self, session: Session, order: BusinessOrder,
                       lines: Sequence[tuple[int, int, dict, dict]]) -> list[Problem]:
        """Two houses may not end up at the same building, unit, floor and room."""
        moved = {t: after for _s, t, _b, after in lines}
        places: dict[tuple[str, str, str, str], list[int]] = {}
        for house, name in session.execute(
                select(House, Building.name).join(Building, Building.id == House.building_id)
                .where(House.area_id == order.area_id, House.status == HOUSE_OPEN)):
            data = moved.get(house.id) or snapshot(house, name)
            key = (data["building"], unit_number(data["unit"]), str(data["floor"]), data["room"])
            places.setdefault(key, []).append(house.id)
        return [Problem(moved[i]["code"], _l("Another house already is at %(place)s.",
                                             place=location_text(*place[:2], place[3], place[2])))
                for place, ids in places.items() if len(ids) > 1 for i in ids if i in moved]

    def impacts(self, session: Session, order: BusinessOrder
                ) -> tuple[list[Impact], list[Problem]]:
        """Houses whose amount due changes with the new data, and those left unpriced."""
        lines = {t: after for _s, t, before, after in staging.changes(session, order.id,
                                                                      staging.HOUSE)
                 if before != after}
        if not lines:
            return [], []
        houses = house_picks.staged_houses(session, order)
        floors = dict(session.execute(select(Building.name, Building.floors)
                                      .where(Building.area_id == order.area_id)).all())
        book = StandardBook.load(session)
        paid = balances(session, [h.id for h in houses if h.id in lines])
        impacts, problems = [], []
        for house in houses:
            after = lines.get(house.id)
            if after is None:
                continue
            try:
                standard, due = book.price(
                    after["use_code"], after["has_lift"] == "1", floors.get(after["building"]),
                    _decimal(after["building_area"]) or house.building_area,
                    _decimal(after["price"]) if after.get("price") else None,
                    house.deposit_time_point or dt.date.today())
            except (NoStandard, PriceRequired) as error:
                problems.append(Problem(house.code, error.message))
                continue
            if due != house.amount_due:
                impacts.append(Impact(house, house.amount_due, due, standard, paid[house.id].balance))
        return impacts, problems

    # ------------------------------------------------ approval

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        impacts = {i.house.id: i for i in self.impacts(session, order)[0]}
        buildings = dict(session.execute(select(Building.name, Building.id)
                                         .where(Building.area_id == order.area_id)).all())
        reason = _("House data changed by order %(number)s", number=order.number)
        lines = {t: (before, after) for _s, t, before, after
                 in staging.changes(session, order.id, staging.HOUSE)}
        changed = []
        for house in house_picks.staged_houses(session, order):
            before, after = lines[house.id]
            if before == after:
                continue
            house.building_id = buildings[after["building"]]
            house.unit = after["unit"]
            house.address = after["address"] or None
            house.building_area = Decimal(after["building_area"])
            house.inner_area = _decimal(after["inner_area"]) if after["inner_area"] else None
            house.use_code = after["use_code"]
            house.has_lift = after["has_lift"] == "1"
            house.sales_status = after["sales_status"]
            house.price = _decimal(after["price"]) if after["price"] else None
            impact = impacts.get(house.id)
            if impact is not None:
                record_new_due(impact)
                if impact.refund > 0:
                    session.add(self.new_refund(order, house, impact.refund, reason))
            record(session, "house_changed", "House", house.id, user_id=user.id,
                   org_id=order.org_id, detail={"order": order.number, "changes": {
                       k: [before.get(k), after.get(k)] for k in HOUSE_FIELDS
                       if before.get(k) != after.get(k)}})
            changed.append(house)
        # The houses whose amount due moved, old and new: a shortfall among them can be printed
        # as a 补交 notice once the order is approved (services/orders/topups.py).
        order.payload = {**(order.payload or {}), DUE_CHANGES: {
            str(i.house.id): [f"{i.old_due:.2f}", f"{i.new_due:.2f}"] for i in impacts.values()}}
        session.flush()
        enqueue_deposit_pushes(session, changed, reason=reason)

    # ------------------------------------------------ display

    def _cells(self, session: Session, data: Optional[dict[str, Any]]) -> list[str]:
        if not data:
            return []
        uses = code_map(session, KIND_HOUSE_USE)
        cells = []
        for key in SHOWN:
            value = str(data.get(key) or "")
            if key == "use_code":
                value = uses.get(value, value)
            elif key == "has_lift":
                value = _("Yes") if value == "1" else _("No")
            cells.append(value)
        return cells

    def lines_table(self, order: BusinessOrder, lines: Any = None, *,
                    target: str = staging.HOUSE) -> LinesTable:
        session = object_session(order)
        rows = []
        for line in list(order.lines if lines is None else lines):
            before, after = self._cells(session, line.before), self._cells(session, line.after)
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)], data=line.after))
        return LinesTable(columns=[str(_l("House number"))] + [str(label) for label
                                                              in HOUSE_FIELDS.values()], rows=rows)

    def _impact_table(self, session: Session, order: BusinessOrder) -> SummaryTable:
        return impacts_table(self._shown_impacts(session, order))

    def _shown_impacts(self, session: Session, order: BusinessOrder) -> list[Impact]:
        """The impacts to price now, or, once approved, those approval recorded (the houses'
        data is the new data then, so pricing it again would show no change)."""
        if order.status != APPROVED:
            return self.impacts(session, order)[0]
        recorded = (order.payload or {}).get(DUE_CHANGES) or {}
        rows = sorted(house_picks.with_buildings(session, [int(i) for i in recorded]),
                      key=lambda row: row[0].code)
        paid = balances(session, [h.id for h, _name in rows])
        return [Impact(h, Decimal(recorded[str(h.id)][0]), Decimal(recorded[str(h.id)][1]), None,
                       paid[h.id].balance) for h, _name in rows]

    def extra_tables(self, session: Session, order: BusinessOrder) -> list[ExtraTable]:
        table = self._impact_table(session, order)
        return [ExtraTable("impacts", table.caption, table)]

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        return impacts_summary(self._shown_impacts(session, order))

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        rows = []
        for _seq, _target, before, after in staging.changes(session, order.id, staging.HOUSE):
            old, new = self._cells(session, before), self._cells(session, after)
            changes = "；".join(f"{label}：{b or '—'} → {a or '—'}" for label, b, a
                               in zip(HOUSE_FIELDS.values(), old[1:], new[1:]) if b != a)
            rows.append([before.get("code") or "", changes or _("No change")])
        impacts = self._shown_impacts(session, order)
        difference = sum((i.new_due - i.old_due for i in impacts), Decimal("0.00"))
        refund = sum((i.refund for i in impacts), Decimal("0.00"))
        return FormContent(
            lines=SummaryTable(headers=[_("House number"), _("Changes")], rows=rows,
                               caption=_("Houses to change")),
            totals=[(_("Houses"), len(rows)), (_("Houses whose amount due changes"), len(impacts)),
                    (_("Difference"), f"{difference:+,.2f}"), (_("Refunds"), f"{refund:,.2f}")])

    def refund_form(self, session: Session, order: BusinessOrder) -> Optional[RefundForm]:
        """The 退款申请表 of the paid amounts above the new amounts due (None when none)."""
        if order.status == APPROVED:  # the amounts due are the new ones now: the records say it
            impacts = [Impact(h, h.amount_due, h.amount_due, None, h.amount_due + amount)
                       for h, amount in session.execute(
                           select(House, Refund.amount).join(Refund, Refund.house_id == House.id)
                           .where(Refund.order_id == order.id).order_by(Refund.id))]
        else:
            impacts = [i for i in self.impacts(session, order)[0] if i.refund > 0]
        return self.build_refund_form(session, order, [
            RefundLine(i.house.code, location_text(i.house.building.name, i.house.unit,
                                                   i.house.room, i.house.floor),
                       i.house.building_area, i.paid, i.new_due, i.refund) for i in impacts])


register_handler(HouseChangeHandler())
