"""房屋权属批量变更 (§1.3.7): replace the owners of picked houses.

The developer chooses the area and picks the houses in the 楼盘表; each becomes a change line
holding the house's owners as they are. "修改权属信息" opens the 编辑业主 dialog of one house:
its owners shown, rows added, changed or deleted (name, ID type, ID number, phone, share), all
checked as the owners of a payment notice are (``services.owners.parse_owners``). Approval
replaces the owners of every house in one transaction and audits each house's before and after.
The trading system is not told: its deposit status carries no owner.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, object_session

from app.documents.excel import CellError, Column, ColumnType
from app.documents.excel import house_sheet as sheet
from app.documents.print_models import SummaryTable
from app.domain.location import location_text
from app.errors import Problem, ValidationFailed
from app.models.codes import KIND_ID_TYPE
from app.models.order import OWNERSHIP_CHANGE, BusinessOrder
from app.models.property import House, Owner
from app.services.audit import record
from app.services.orders import fields, house_picks, staging
from app.services.orders.types.area_choice import AreaChoiceHandler
from app.services.orders.types.base import (HOUSE_PICK, SHEET_ROUNDTRIP, FormContent, LineRow,
                                            LinesTable, register_handler)
from app.domain.validators import validate_person_name
from app.services.owners import parse_owners
from app.services.reference import code_map

COLUMNS = {"code": _l("House number"), "location": _l("Location"), "owners": _l("Owners")}
OWNER_LABELS = {"name": _l("Name"), "id_type": _l("ID type"), "id_no": _l("ID number"),
                "phone": _l("Phone"), "share": _l("Share (percent)")}


LOCATION = "房屋坐落"
SHARE = "产权份额(%)"
#: Sheet column of each owner field (the keys the house template's owner columns use).
SHEET_KEYS = {"name": "owner_name", "id_type": "owner_id_type", "id_no": "owner_id_no",
              "phone": "owner_phone", "share": "share"}
#: The sheet's header of each owner field.
SHEET_HEADERS = {"name": sheet.OWNER_NAME, "id_type": sheet.ID_TYPE, "id_no": sheet.ID_NUMBER,
                 "phone": sheet.PHONE, "share": SHARE}


def owner_data(owner: Owner) -> dict[str, str]:
    return {"name": owner.name, "id_type": owner.id_type, "id_no": owner.id_no,
            "phone": owner.phone or "", "share": f"{owner.share:.2f}" if owner.share is not None else ""}


def snapshot(house: House, building_name: str) -> dict[str, Any]:
    return {"code": house.code, "building": building_name, "unit": house.unit or "",
            "floor": str(house.floor), "room": house.room,
            "owners": [owner_data(o) for o in house.owners]}


def owner_rows(items: Any) -> list[dict[str, str]]:
    """The owners as a line keeps them, checked; problems are named "row.field"."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed(_l("Enter at least one owner."))
    return [{**o.as_dict(), "share": o.as_dict().get("share", "")} for o in parse_owners(items)]


class OwnershipChangeHandler(house_picks.PickedHouses, house_picks.PickedHousesSheet, AreaChoiceHandler):
    type = OWNERSHIP_CHANGE
    code = "QS"
    slug = "ownership-change"
    title = _l("Ownership batch change")
    form_title = _l("Ownership Change Application Form")
    menu_name = "Ownership change"
    menu_icon = "fa-users"
    menu_order = 70
    form_partial = "orders/forms/_ownership_change.html"
    intake = (HOUSE_PICK, SHEET_ROUNDTRIP)
    line_targets = ((staging.HOUSE, _l("Houses")),)
    snapshot_targets = (staging.HOUSE,)
    rows_editable = True
    pickable_states = ("not_opened", "unpaid", "partly_paid", "paid")
    field_labels = {**fields.LABELS, **OWNER_LABELS, "houses": _l("Houses")}
    sheet_name = "房屋权属变更"

    # ------------------------------------------------ header

    # ------------------------------------------------ lines

    def house_snapshot(self, house: House, building_name: str) -> dict[str, Any]:
        return snapshot(house, building_name)

    def modify(self, session: Session, user: Any, order: BusinessOrder,
               seqs: Optional[list[int]], values: dict[str, Any]) -> int:
        lines = [line for line in staging.changes(session, order.id, staging.HOUSE)
                 if seqs is not None and len(seqs) == 1 and line[0] == seqs[0]]
        if not lines:
            raise ValidationFailed(_l("Edit the owners of one house at a time."), [])
        seq, _target, _before, after = lines[0]
        staging.set_after(session, order.id, {seq: {**after,
                                                    "owners": owner_rows(values.get("owners"))}})
        return 1


    # ------------------------------------------------ 批量导出 / 批量导入: one row per owner

    def sheet_columns(self, session: Session, *, export: bool) -> tuple[Column, ...]:
        key = Column(sheet.HOUSE_CODE, "code", required=True, max_length=40, width=22)
        guide = (Column(LOCATION, "location", width=24),) if export else ()
        return (key, *guide,
                Column(SHEET_HEADERS["name"], "owner_name", max_length=50,
                       check=validate_person_name, width=12),
                Column(SHEET_HEADERS["id_type"], "owner_id_type", ColumnType.CODE,
                       codes=list(code_map(session, KIND_ID_TYPE).items()), width=18),
                Column(SHEET_HEADERS["id_no"], "owner_id_no", ColumnType.ID_NUMBER, max_length=30,
                       id_type_key="owner_id_type", width=22),
                Column(SHEET_HEADERS["phone"], "owner_phone", ColumnType.PHONE, max_length=20,
                       width=14),
                Column(SHEET_HEADERS["share"], "share", ColumnType.DECIMAL,
                       minimum=Decimal("0.01"), maximum=Decimal("100"), width=10))

    def sheet_rows(self, session: Session, order: BusinessOrder) -> list[dict[str, Any]]:
        """One row per owner; a house without owners gets one row with its number only."""
        rows = []
        for _seq, _target, _before, after in staging.changes(session, order.id, staging.HOUSE):
            place = {"code": after.get("code"),
                     "location": location_text(after.get("building"), after.get("unit"),
                                               after.get("room"), after.get("floor"))}
            rows += [{**place, **{SHEET_KEYS[k]: (Decimal(v) if k == "share" else v) if v else None
                                  for k, v in owner.items() if k in SHEET_KEYS}}
                     for owner in after.get("owners") or []] or [place]
        return rows

    def sheet_after(self, session: Session, order: BusinessOrder, after: dict[str, Any],
                    rows: Sequence[Any]) -> tuple[dict[str, Any], list[CellError]]:
        """The house's owners become its rows' owners, checked as the 编辑业主 dialog checks them."""
        named = [row for row in rows if any(row.values.get(k) for k in SHEET_KEYS.values())]
        items = [{k: "" if row.values.get(key) is None else str(row.values[key])
                  for k, key in SHEET_KEYS.items()} for row in named]
        if not items and not after.get("owners"):
            return after, []
        try:
            owners = owner_rows(items)
        except ValidationFailed as error:
            # parse_owners numbers the owners from 1; a problem of the whole list has no row
            first = (named or rows)[0]
            return after, [
                CellError(self.sheet_name, (named[p.row - 1] if p.row else first).number,
                          SHEET_HEADERS.get(p.field, sheet.OWNER_NAME), str(p.value or ""),
                          str(p.reason)) for p in error.problems] or [
                CellError(self.sheet_name, first.number, sheet.OWNER_NAME, "", str(error.message))]
        return {**after, "owners": owners}, []

    # ------------------------------------------------ checks

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, True) + fields.required_area(session, order, True)
        lines = staging.changes(session, order.id, staging.HOUSE)
        if not lines:
            return problems + [Problem("houses", _l("Pick the houses whose owners change."))]
        problems += house_picks.unavailable(session, order, house_picks.staged_houses(session, order))
        unchanged = [before.get("code") for _s, _t, before, after in lines if before == after]
        problems += [Problem(code, _l("The owners were not changed; edit them or remove the "
                                      "house.")) for code in unchanged]
        for seq, _target, before, after in lines:
            try:
                owner_rows(after.get("owners"))
            except ValidationFailed as error:
                problems += [Problem(before.get("code"), error.message, row=seq)] \
                    if not error.problems else [
                        Problem(before.get("code"), p.reason, row=seq) for p in error.problems]
        return problems

    # ------------------------------------------------ approval

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        lines = {t: (before, after) for _s, t, before, after
                 in staging.changes(session, order.id, staging.HOUSE)}
        for house in house_picks.staged_houses(session, order):
            before, after = lines[house.id]
            house.owners = [Owner(org_id=house.org_id, seq=n, name=o["name"],
                                  id_type=o["id_type"], id_no=o["id_no"], phone=o["phone"] or None,
                                  share=Decimal(o["share"]) if o.get("share") else None)
                            for n, o in enumerate(after["owners"], start=1)]
            record(session, "house.owners", "House", house.id, user_id=user.id,
                   org_id=order.org_id, detail={"order": order.number,
                                                "before": before["owners"],
                                                "after": after["owners"]})

    # ------------------------------------------------ display

    @staticmethod
    def _owners_text(owners: Any, id_types: dict[str, str]) -> str:
        """One owner per line (the review's cell shows them under each other)."""
        return "\n".join(
            f"{o['name']} {id_types.get(o['id_type'], o['id_type'])} {o['id_no']}"
            + (f" {o['phone']}" if o.get("phone") else "")
            + (f" {o['share']}%" if o.get("share") else "") for o in owners or [])

    def _cells(self, data: Optional[dict[str, Any]], id_types: dict[str, str]) -> list[str]:
        if not data:
            return []
        return [data.get("code") or "",
                location_text(data.get("building"), data.get("unit"), data.get("room"),
                              data.get("floor")),
                self._owners_text(data.get("owners"), id_types)]

    def lines_table(self, order: BusinessOrder, lines: Any = None, *,
                    target: str = staging.HOUSE) -> LinesTable:
        id_types = code_map(object_session(order), KIND_ID_TYPE)
        rows = []
        for line in list(order.lines if lines is None else lines):
            before, after = self._cells(line.before, id_types), self._cells(line.after, id_types)
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)],
                                data={"code": (line.after or {}).get("code"),
                                      "owners": (line.after or {}).get("owners") or []}))
        return LinesTable(columns=[str(label) for label in COLUMNS.values()], rows=rows)

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        lines = staging.changes(session, order.id, staging.HOUSE)
        changed = sum(1 for _s, _t, before, after in lines if before != after)
        return _("%(n)d houses picked; the owners of %(c)d of them are changed.",
                 n=len(lines), c=changed)

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        rows = [[before.get("code") or "",
                 "、".join(o["name"] for o in before.get("owners") or []) or "—",
                 "、".join(o["name"] for o in after.get("owners") or [])]
                for _s, _t, before, after in staging.changes(session, order.id, staging.HOUSE)]
        return FormContent(
            lines=SummaryTable(headers=[_("House number"), _("Owners before"), _("Owners after")],
                               rows=rows, caption=_("Houses whose owners change")),
            totals=[(_("Houses"), len(rows))])


register_handler(OwnershipChangeHandler())
