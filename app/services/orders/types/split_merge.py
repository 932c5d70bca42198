"""房屋拆分合并 (§1.3.4): split a house into several, or merge several into one; money moves along.

The developer chooses the area and picks the houses in the 楼盘表; each becomes a ``close`` line
holding the house as it is. 导出 writes them to Excel (one row per house, its 房屋编号 in
原房屋编号); the developer edits the rows into the houses that result (several rows naming one
house split it, one row naming several houses merges them) and 导入 reads them back as ``add``
lines, every bad cell named by row and column with a marked copy, nothing stored on any problem.

The review shows each old house beside the houses it becomes: floor area, amount due and balance
before and after. Approval, in one transaction, closes the old houses (``HOUSE_CLOSED``), opens the
new ones with their amounts due from the deposit standard, and moves every old balance with
transfer-out / transfer-in ledger rows: a split shares it by floor area (half-up to the cent, the
remainder on the last house), a merge adds them up. A new house whose balance falls short of its
amount due owes the difference (补交: its outstanding amount); one holding more gets a refund record
of the excess to the account the developer entered. No money is created or lost: the balances
before and after add up to the same cent, which approval checks against the ledger.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.excel.split_sheet import (SOURCES, export_split_sheet, read_split_sheet,
                                             source_codes)
from app.documents.print_models import RefundForm, RefundLine, SummaryTable
from app.domain.location import location_text
from app.domain.money import share_by_weights
from app.errors import Conflict, Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.order import APPROVED, HOUSE_SPLIT_MERGE, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_CLOSED, HOUSE_OPEN, SOURCE_ORDER, Building, House
from app.services.accounts import open_houses
from app.services.audit import record
from app.services.ledger import balances, book_transfer
from app.services.orders import claims, fields, house_picks, staging
from app.services.orders.jobs import JobOutcome, JobRefused, Progress
from app.services.orders.types import refund_account
from app.services.orders.types.base import (HOUSE_PICK, SHEET_ROUNDTRIP, ExtraTable, FormContent,
                                            LineRow, LinesTable, register_handler)
from app.services.orders.types.refund_account import RefundAccountHandler
from app.services.outbox import enqueue_deposit_pushes
from app.services.standards import NoStandard, PriceRequired, StandardBook

SPLIT = "split"
MERGE = "merge"
KIND_LABELS = {SPLIT: _l("Split"), MERGE: _l("Merge")}
#: A house as the lines show it, old and new alike (a new one by the houses it comes from).
HOUSE_COLUMNS: dict[str, Any] = {
    "code": _l("House number"), "building": _l("Building"),
    "unit": _l("Unit"), "floor": _l("Floor"), "room": _l("Room"),
    "building_area": _l("Floor area"), "status": _l("Status"),
}
STATUS_LABELS = {HOUSE_OPEN: _l("Open"), HOUSE_CLOSED: _l("Closed (split or merged)")}


def snapshot(house: House, building_name: str) -> dict[str, Any]:
    """What a close line keeps of an old house; a change of any of it refuses the approval."""
    return {"code": house.code, "building": building_name, "unit": house.unit or "",
            "floor": str(house.floor), "room": house.room, "address": house.address or "",
            "building_area": f"{house.building_area:.2f}",
            "inner_area": "" if house.inner_area is None else f"{house.inner_area:.2f}",
            "use_code": house.use_code, "has_lift": bool(house.has_lift),
            "sales_status": house.sales_status,
            "price": "" if house.price is None else f"{house.price:.2f}",
            "amount_due": f"{house.amount_due:.2f}", "status": house.status}


# ---------------------------------------------------------------- the shape of the result

def shape_problems(rows: Sequence[tuple[int, Sequence[str]]], picked: Iterable[str]
                   ) -> tuple[list[tuple[int, Any]], list[str]]:
    """Whether the new houses ``rows`` ((row, 原房屋编号)) split or merge the ``picked`` houses.

    Returns (row, reason) for rows naming a house that was not picked, merging a house that is
    also split or merged elsewhere, or splitting a house into one house only; and the picked
    houses no row comes from.
    """
    picked = list(picked)
    known = set(picked)
    uses: dict[str, list[int]] = {}
    merged: set[str] = set()
    for number, sources in rows:
        for code in sources:
            uses.setdefault(code, []).append(number)
        if len(sources) > 1:
            merged.update(sources)
    problems: list[tuple[int, Any]] = []
    for number, sources in rows:
        unknown = [code for code in sources if code not in known]
        if unknown:
            problems.append((number, _l("%(codes)s is not one of the houses picked for this "
                                        "order.", codes="、".join(unknown))))
        elif len(sources) > 1:
            shared = [code for code in sources if len(uses[code]) > 1]
            if shared:
                problems.append((number, _l("%(codes)s is also in another row: a merged house "
                                            "must be merged whole, in one row.",
                                            codes="、".join(shared))))
        elif sources[0] in merged:
            problems.append((number, _l("%(codes)s is also in another row: a merged house "
                                        "must be merged whole, in one row.", codes=sources[0])))
        elif len(uses[sources[0]]) == 1:
            problems.append((number, _l("A split needs at least two resulting houses: add the "
                                        "other parts of %(code)s.", code=sources[0])))
    return problems, [code for code in picked if code not in uses]


# ---------------------------------------------------------------- the plan: who gets what

@dataclass
class OldHouse:
    house: House
    building: str
    balance: Decimal


@dataclass
class NewHouse:
    seq: int
    data: dict[str, Any]
    sources: list[str]
    standard: Any = None
    due: Optional[Decimal] = None
    #: What moves in, by old house code.
    incoming: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return sum(self.incoming.values(), ZERO)

    @property
    def shortfall(self) -> Decimal:
        """补交: what the new house still owes towards its amount due."""
        return max((self.due or ZERO) - self.balance, ZERO)

    @property
    def refund(self) -> Decimal:
        """退款: what the new house holds above its amount due."""
        return max(self.balance - (self.due if self.due is not None else self.balance), ZERO)


@dataclass
class Group:
    kind: str
    old: list[OldHouse]
    new: list[NewHouse]


@dataclass
class Plan:
    groups: list[Group]
    problems: list[Problem]

    @property
    def balance_before(self) -> Decimal:
        return sum((o.balance for g in self.groups for o in g.old), ZERO)

    @property
    def balance_after(self) -> Decimal:
        return sum((n.balance for g in self.groups for n in g.new), ZERO)

    @property
    def new_houses(self) -> list[NewHouse]:
        return [n for g in self.groups for n in g.new]


def new_house_label(seq: int, data: Mapping[str, Any]) -> str:
    return _("Line %(seq)d (%(where)s)", seq=seq, where=staging.location_text(data))


# ---------------------------------------------------------------- the register's checks

@dataclass
class AreaFacts:
    """What a new house is checked against: the area's buildings and who holds which place."""

    floors: dict[str, Optional[int]]
    #: Open houses of the area not being closed by this order: place → house number.
    taken: dict[tuple[str, str, int, str], str]
    elsewhere: dict[tuple[str, str, int, str], str]
    book: StandardBook

    @classmethod
    def load(cls, session: Session, order: BusinessOrder, closing: Iterable[int]) -> "AreaFacts":
        closing = set(closing)
        floors = dict(session.execute(select(Building.name, Building.floors)
                                      .where(Building.area_id == order.area_id)).all())
        taken = {}
        for house_id, code, name, unit, floor, room in session.execute(
                select(House.id, House.code, Building.name, House.unit, House.floor, House.room)
                .join(Building, Building.id == House.building_id)
                .where(House.area_id == order.area_id, House.status == HOUSE_OPEN)):
            if house_id not in closing:
                taken[staging.location({"building": name, "unit": unit, "floor": floor,
                                        "room": room})] = code
        return cls(floors, taken,
                   claims.locations_added_elsewhere(session, order.area_id, order.id),
                   StandardBook.load(session))

    def problems(self, data: Mapping[str, Any], on: Optional[dt.date]
                 ) -> list[tuple[str, Any]]:
        """(column key, reason) of everything that stops this house being opened."""
        if data["building"] not in self.floors:
            return [("building_name", _l("Choose a building of the property area."))]
        found: list[tuple[str, Any]] = []
        place = staging.location(data)
        if place in self.taken:
            found.append(("room", _l("House %(code)s already is at this place.",
                                     code=self.taken[place])))
        if place in self.elsewhere:
            found.append(("room", _l("Also added by unfinished order %(number)s.",
                                     number=self.elsewhere[place])))
        try:
            self.price(data, on)
        except (NoStandard, PriceRequired) as error:
            found.append(("use_code", error.message))
        return found

    def price(self, data: Mapping[str, Any], on: Optional[dt.date]) -> tuple[Any, Decimal]:
        return self.book.price(data["use_code"], bool(data["has_lift"]),
                               self.floors.get(data["building"]), Decimal(data["building_area"]),
                               Decimal(data["price"]) if data.get("price") else None, on)


def sheet_house(row: Mapping[str, Any]) -> dict[str, Any]:
    """An imported row as the ``after`` of an add line (the house data and its 原房屋编号)."""
    data = staging.house_data(
        building=row["building_name"], unit=row.get("unit"), floor=row["floor"], room=row["room"],
        address=row.get("address"), building_area=row["building_area"],
        inner_area=row.get("inner_area"), use_code=row["use_code"],
        has_lift=bool(row["has_lift"]), sales_status=row.get("sales_status"),
        price=row.get("price"), source=SOURCE_ORDER)
    return {**data, "sources": list(row["sources"])}


class SplitMergeHandler(house_picks.PickedHouses, RefundAccountHandler):
    pick_action = staging.CLOSE
    type = HOUSE_SPLIT_MERGE
    code = "CF"
    slug = "house-split"
    title = _l("House split and merge")
    form_title = _l("House Split and Merge Application Form")
    menu_name = "House split merge"
    menu_icon = "fa-object-ungroup"
    menu_order = 40
    form_partial = "orders/forms/_split_merge.html"
    intake = (HOUSE_PICK, SHEET_ROUNDTRIP)
    line_targets = ((staging.HOUSE, _l("Houses")),)
    snapshot_targets = (staging.HOUSE,)
    pickable_states = ("not_opened", "unpaid", "partly_paid", "paid")
    field_labels = {**fields.LABELS, **refund_account.LABELS, "houses": _l("Houses"),
                    "new_houses": _l("Resulting houses")}

    # ------------------------------------------------ picking the old houses

    def house_snapshot(self, house: House, building_name: str) -> dict[str, Any]:
        return snapshot(house, building_name)

    def picked_after(self, before: dict[str, Any]) -> dict[str, Any]:
        return {**before, "status": HOUSE_CLOSED}

    def pick_refusal(self, count: int) -> Any:
        return _l("%(n)d of the houses cannot be split or merged.", n=count)

    def pick_problems(self, session: Session, order: BusinessOrder,
                      houses: Sequence[House]) -> list[Problem]:
        """Closed or held houses, and houses an unpaid notice would still credit."""
        return house_picks.unclosable(session, order, houses)

    # ------------------------------------------------ 导出 / 导入

    def export_sheet(self, session: Session, order: BusinessOrder) -> tuple[bytes, str]:
        from app.services.orders.intake import house_codes

        rows = [{"sources": before["code"], "building_name": before["building"],
                 "unit": before["unit"], "floor": int(before["floor"]), "room": before["room"],
                 "address": before["address"], "building_area": Decimal(before["building_area"]),
                 "inner_area": Decimal(before["inner_area"]) if before["inner_area"] else None,
                 "use_code": before["use_code"], "has_lift": bool(before["has_lift"]),
                 "sales_status": before["sales_status"],
                 "price": Decimal(before["price"]) if before["price"] else None}
                for _s, _t, before, _a in staging.changes(session, order.id, staging.HOUSE)]
        if not rows:
            raise ValidationFailed(_l("Pick the houses to split or merge first."),
                                   [Problem("houses", _l("Pick the houses to split or merge."))])
        return export_split_sheet(house_codes(session), rows), f"{order.number}.xlsx"

    def import_work(self, order_id: int, user_id: int, data: bytes, filename: str, *,
                    upload_folder: str, max_rows: int) -> Callable[[Session, Progress], JobOutcome]:
        def work(session: Session, progress: Progress) -> JobOutcome:
            from app.security.models import PlatformUser
            from app.services.orders import intake, workflow

            order = session.get(BusinessOrder, order_id)
            picked = house_picks.staged_houses(session, order)
            if not picked:
                raise JobRefused(_l("Pick the houses to split or merge first."))
            facts = AreaFacts.load(session, order, [h.id for h in picked])
            points = {h.code: h.deposit_time_point for h in picked}
            unused: list[str] = []

            def register_rule(rows: Sequence[tuple[int, Mapping[str, Any]]]
                              ) -> Iterable[tuple[int, str, Any]]:
                listed = [(n, source_codes(row["sources"])) for n, row in rows]
                problems, missing = shape_problems(listed, [h.code for h in picked])
                unused.extend(missing)
                yield from ((n, "sources", reason) for n, reason in problems)
                for (number, row), (_n, sources) in zip(rows, listed):
                    data = sheet_house({**row, "sources": sources})
                    on = points.get(data["sources"][0])
                    yield from ((number, key, reason) for key, reason in facts.problems(data, on))

            def price_required(row: Mapping[str, Any]) -> bool:
                return facts.book.needs_price(row["use_code"], bool(row["has_lift"]),
                                              facts.floors.get(row["building_name"]))

            progress(0, 2, _("Reading the file…"))
            result = read_split_sheet(data, intake.house_codes(session),
                                      price_required=price_required, max_rows=max_rows,
                                      file_rules=(register_rule,))
            if not result.ok:
                raise intake.refuse_cells(result, data, filename, upload_folder)
            if unused:
                raise JobRefused(_l("Nothing was imported: no row comes from %(codes)s.",
                                    codes="、".join(unused)),
                                 [Problem(SOURCES, _l("No row comes from %(code)s; every picked "
                                                      "house must be split or merged.", code=code))
                                  for code in unused])
            progress(1, 2, _("Saving %(n)d houses…", n=len(result.rows)))
            user = session.get(PlatformUser, user_id)
            order = workflow.load_for_update(session, order_id)
            workflow.check_may(order, "edit", user)
            # 导入 again replaces the resulting houses of the previous import.
            staging.delete_lines(session, order.id, [seq for seq, _d in staging.staged(
                session, order.id, staging.HOUSE)])
            added = staging.insert_lines(session, order.id,
                                         [(staging.HOUSE, sheet_house(row)) for row in result.rows])
            return JobOutcome(_("%(n)d resulting houses were imported.", n=added))

        return work

    # ------------------------------------------------ the plan

    def new_lines(self, session: Session, order: BusinessOrder) -> list[tuple[int, dict[str, Any]]]:
        return staging.staged(session, order.id, staging.HOUSE)

    def plan(self, session: Session, order: BusinessOrder) -> Plan:
        """Old houses, the houses they become and the money each gets, read from the lines now."""
        picked = house_picks.staged_houses(session, order)
        names = dict(session.execute(select(Building.id, Building.name).where(
            Building.id.in_({h.building_id for h in picked} or {0}))).all())
        money = balances(session, [h.id for h in picked])
        old = {h.code: OldHouse(h, names.get(h.building_id, ""), money[h.id].balance)
               for h in picked}
        lines = self.new_lines(session, order)
        shape, unused = shape_problems([(seq, data.get("sources") or []) for seq, data in lines],
                                       list(old))
        by_seq = dict(lines)
        problems = [Problem(new_house_label(seq, by_seq[seq]), reason, row=seq)
                    for seq, reason in shape]
        problems += [Problem(code, _l("No resulting house comes from it; import the split or "
                                      "merged houses again.")) for code in unused]
        # Only money held moves; an account in debt has a correction pending, not a balance.
        problems += [Problem(o.house.code, _l("Its balance is negative (%(amount)s yuan); it "
                                              "cannot be split or merged.",
                                              amount=f"{o.balance:,.2f}"))
                     for o in old.values() if o.balance < 0]
        if problems or not lines:
            return Plan([], problems)
        facts = AreaFacts.load(session, order, [h.id for h in picked])
        groups: dict[tuple[str, ...], Group] = {}
        for seq, data in lines:
            sources = list(data["sources"])
            house = NewHouse(seq, data, sources)
            key = tuple(sources)
            group = groups.setdefault(key, Group(MERGE if len(sources) > 1 else SPLIT,
                                                 [old[c] for c in sources], []))
            group.new.append(house)
            on = old[sources[0]].house.deposit_time_point
            for _key, reason in facts.problems(data, on):
                problems.append(Problem(new_house_label(seq, data), reason, row=seq))
            try:
                house.standard, house.due = facts.price(data, on)
            except (NoStandard, PriceRequired):
                pass  # reported above
        for group in groups.values():
            if group.kind == MERGE:
                group.new[0].incoming = {o.house.code: o.balance for o in group.old}
                continue
            source = group.old[0]
            shares = share_by_weights(source.balance, [Decimal(n.data["building_area"])
                                                       for n in group.new])
            for house, share in zip(group.new, shares):
                house.incoming = {source.house.code: share}
            if any(share < 0 for share in shares):
                problems.append(Problem(source.house.code, _l(
                    "Its balance of %(amount)s yuan cannot be shared by floor area to the cent.",
                    amount=f"{source.balance:,.2f}")))
        return Plan(list(groups.values()), problems)

    # ------------------------------------------------ checks

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, True) + fields.required_area(session, order, True)
        houses = house_picks.staged_houses(session, order)
        if not houses:
            return problems + [Problem("houses", _l("Pick the houses to split or merge."))]
        problems += self.pick_problems(session, order, houses)
        if not self.new_lines(session, order):
            return problems + [Problem("new_houses", _l(
                "Export the picked houses, edit them into the resulting houses and import the "
                "file."))]
        plan = self.plan(session, order)
        problems += plan.problems
        refunds = any(n.refund > 0 for n in plan.new_houses)
        return problems + self.account_problems(order, required=refunds)

    # ------------------------------------------------ approval

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        picked = house_picks.staged_houses(session, order)
        # Row locks on the old houses before their balances are read for the last time.
        session.scalars(select(House.id).where(House.id.in_([h.id for h in picked]))
                        .with_for_update()).all()
        plan = self.plan(session, order)
        if plan.problems:  # validate() ran in this transaction; this only guards a bug
            raise ValidationFailed(_l("Order %(number)s cannot be approved: %(n)d problems.",
                                      number=order.number, n=len(plan.problems)), plan.problems)
        now = utcnow()
        reason = _("Split or merged by order %(number)s", number=order.number)
        for house in picked:
            house.status = HOUSE_CLOSED
            house.closed_at = now
        session.flush()  # the old places are free for the new houses
        area, book = order.area, StandardBook.load(session)
        # A new house keeps the 交存时点 (and so the standard) of the house it comes from.
        by_point: dict[Optional[dt.date], list[NewHouse]] = {}
        for group in plan.groups:
            by_point.setdefault(group.old[0].house.deposit_time_point, []).extend(group.new)
        opened: dict[int, House] = {}
        for on, news in by_point.items():
            ids = open_houses(session, area, [], [staging.to_house_input(n.data) for n in news],
                              book, source=SOURCE_ORDER, order_id=order.id,
                              deposit_time_point=on, on=on, validate=False).house_ids
            opened.update({n.seq: session.get(House, i) for n, i in zip(news, ids)})
        outcome = []
        for group in plan.groups:
            for new in group.new:
                house = opened[new.seq]
                for code, amount in new.incoming.items():
                    if amount > 0:
                        old = next(o.house for o in group.old if o.house.code == code)
                        book_transfer(session, old, house, amount, order_id=order.id,
                                      user_id=user.id, memo=reason)
                if new.refund > 0:
                    session.add(self.new_refund(order, house, new.refund, reason))
                record(session, "house_opened", "House", house.id, user_id=user.id,
                       org_id=order.org_id, detail={
                           "order": order.number, "from": new.sources,
                           "transferred_in": f"{new.balance:.2f}",
                           "amount_due": f"{house.amount_due:.2f}",
                           "refund": f"{new.refund:.2f}"})
            for old in group.old:
                record(session, "house_closed", "House", old.house.id, user_id=user.id,
                       org_id=order.org_id, detail={
                           "order": order.number, "kind": group.kind,
                           "to": [opened[n.seq].code for n in group.new],
                           "transferred_out": f"{old.balance:.2f}"})
            outcome += self._outcome_rows(group, opened)
        session.flush()
        self._check_conserved(session, plan, picked, list(opened.values()))
        order.payload = {**(order.payload or {}), "outcome": outcome,
                         "outcome_totals": [f"{plan.balance_before:.2f}",
                                            f"{plan.balance_after:.2f}"]}
        enqueue_deposit_pushes(session, [*picked, *opened.values()], reason=reason)

    def _check_conserved(self, session: Session, plan: Plan, old: Sequence[House],
                         new: Sequence[House]) -> None:
        """The ledger after the moves: old houses empty, the new ones holding exactly the old sum.

        A deposit booked on an old house by a payment committed while this approval ran would
        break it; the whole approval is refused then rather than leave money on a closed house.
        """
        after = balances(session, [h.id for h in [*old, *new]])
        left = sum((after[h.id].balance for h in old), ZERO)
        moved = sum((after[h.id].balance for h in new), ZERO)
        if left != ZERO or moved != plan.balance_before:
            raise Conflict(_l("A payment reached these houses while the order was approved. "
                              "Reload the order and approve it again."))

    # ------------------------------------------------ display

    def _outcome_rows(self, group: Group, opened: Optional[Mapping[int, House]] = None
                      ) -> list[list[str]]:
        """Old houses beside the houses they become, one row per house of the larger side.

        The columns of ``PLAN_HEADERS``, then the new house's building and room (the 申请表's
        narrow column).
        """
        rows = []
        for i in range(max(len(group.old), len(group.new))):
            old = group.old[i] if i < len(group.old) else None
            new = group.new[i] if i < len(group.new) else None
            code = opened[new.seq].code if new is not None and opened is not None else ""
            rows.append([
                str(KIND_LABELS[group.kind]) if i == 0 else "",
                old.house.code if old else "",
                f"{old.house.building_area:,.2f}" if old else "",
                f"{old.house.amount_due:,.2f}" if old else "",
                f"{old.balance:,.2f}" if old else "",
                code or (_("(new)") if new else ""),
                staging.location_text(new.data) if new else "",
                f"{Decimal(new.data['building_area']):,.2f}" if new else "",
                f"{new.due:,.2f}" if new and new.due is not None else "",
                f"{new.balance:,.2f}" if new else "",
                f"{new.shortfall:,.2f}" if new else "",
                f"{new.refund:,.2f}" if new else "",
                f"{new.data['building']} {new.data['room']}" if new else ""])
        return rows

    def _plan_table(self, session: Session, order: BusinessOrder) -> SummaryTable:
        headers = [_("Kind"), _("Old house"), _("Floor area"), _("Amount due"),
                   _("Balance before"), _("New house"), _("Location"), _("Floor area"),
                   _("Amount due"), _("Balance after"), _("To top up"), _("Refund")]
        payload = order.payload or {}
        if order.status == APPROVED and "outcome" in payload:
            rows, (before, after) = payload["outcome"], payload["outcome_totals"]
        else:
            plan = self.plan(session, order)
            rows = [row for group in plan.groups for row in self._outcome_rows(group)]
            before, after = f"{plan.balance_before:.2f}", f"{plan.balance_after:.2f}"
        if rows:
            rows = rows + [[_("Total"), "", "", "", f"{Decimal(before):,.2f}", "", "", "", "",
                            f"{Decimal(after):,.2f}", "", "", ""]]
        return SummaryTable(headers=headers, rows=rows,
                            caption=_("Old houses and the houses they become"))

    def extra_tables(self, session: Session, order: BusinessOrder) -> list[ExtraTable]:
        table = self._plan_table(session, order)
        shown = SummaryTable(headers=table.headers, rows=[row[:-1] for row in table.rows],
                             caption=table.caption)
        return [ExtraTable("plan", table.caption, shown)]

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        old = len(staging.changes(session, order.id, staging.HOUSE))
        new = len(self.new_lines(session, order))
        return _("%(old)d old houses, %(new)d resulting houses.", old=old, new=new)

    def _cells(self, data: Optional[dict[str, Any]]) -> list[str]:
        if not data:
            return []
        cells = []
        for key in HOUSE_COLUMNS:
            value = data.get(key)
            if key == "code" and not value:  # a resulting house: numbered on approval
                value = _("From %(codes)s", codes="、".join(data.get("sources") or []))
            elif key == "status":
                value = STATUS_LABELS.get(value or HOUSE_OPEN, value)
            cells.append("" if value is None else str(value))
        return cells

    def lines_table(self, order: BusinessOrder, lines: Any = None, *,
                    target: str = staging.HOUSE) -> LinesTable:
        rows = []
        for line in list(order.lines if lines is None else lines):
            before, after = self._cells(line.before), self._cells(line.after)
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)]))
        return LinesTable(columns=[str(label) for label in HOUSE_COLUMNS.values()], rows=rows)

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        table = self._plan_table(session, order)
        # Four columns: the print gives each an equal share, and a house number is long.
        # The sums go to the totals below the list, not into a numbered row.
        houses, sums = table.rows[:-1], table.rows[-1] if table.rows else None
        plan_rows = [[row[1], row[4], row[5] if row[5] not in ("", _("(new)")) else row[12],
                      row[9]] for row in houses]
        refunds = self._refunds(session, order)
        total = sum((line.refund for line in refunds), ZERO)
        totals: list[tuple[str, Any]] = [
            (_("Old houses"), len(staging.changes(session, order.id, staging.HOUSE))),
            (_("New houses"), len(self.new_lines(session, order)))]
        if sums is not None:
            totals += [(_("Balance before"), sums[4]), (_("Balance after"), sums[9])]
        totals.append((_("Refunds"), f"{total:,.2f}"))
        if refunds:
            account = self.account(order)
            totals += [(str(label), account[key] or "") for key, label in refund_account.LABELS.items()]
        return FormContent(
            lines=SummaryTable(headers=[_("Old house"), _("Balance before"), _("New house"),
                                        _("Balance after")],
                               rows=plan_rows, caption=table.caption),
            totals=totals)

    def _refunds(self, session: Session, order: BusinessOrder) -> list[RefundLine]:
        """Each new house's balance above its amount due: the refund records once approved,
        the plan (the houses not numbered yet) before."""
        if order.status == APPROVED:
            return [RefundLine(h.code, location_text(h.building.name, h.unit, h.room, h.floor),
                               h.building_area, h.amount_due + amount, h.amount_due, amount)
                    for h, amount in session.execute(
                        select(House, Refund.amount).join(Refund, Refund.house_id == House.id)
                        .where(Refund.order_id == order.id).order_by(Refund.id))]
        return [RefundLine(_("(new)"), staging.location_text(n.data),
                           Decimal(n.data["building_area"]), n.balance, n.due or ZERO, n.refund)
                for n in self.plan(session, order).new_houses if n.refund > 0]

    def refund_form(self, session: Session, order: BusinessOrder) -> Optional[RefundForm]:
        """The 退款申请表 of the balances above the new houses' amounts due (None when none)."""
        return self.build_refund_form(session, order, self._refunds(session, order))


register_handler(SplitMergeHandler())
