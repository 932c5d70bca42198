"""房屋合同号设置 (§1.3.9): link houses to their sale contracts in the trading system.

Rows (house, owner name, ID number, contract number) are entered on screen or through Excel;
``match_rows`` asks the trading system about every row without writing anything; ``bind_contracts``
validates and matches again (the screen's earlier answer is never trusted), binds the matched
houses and queues their deposit-status pushes, in one transaction. There is no review (manual).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.documents.excel.columns import Column, ColumnType
from app.documents.excel.export import export_rows
from app.documents.excel.reader import ImportResult, read_sheet
from app.domain.validators import (ID_TYPE_RESIDENT_ID, ID_TYPES, agent_problems,
                                   normalise_id_number, normalise_phone, normalise_text,
                                   person_problems)
from app.errors import Problem, ValidationFailed
from app.integrations.trading import MatchItem, TradingClient
from app.models.base import utcnow
from app.models.property import HOUSE_OPEN, House, Owner, PropertyArea
from app.services.audit import record
from app.services.outbox import enqueue_deposit_push
from app.services.payments.notices import house_location
from app.services.unit_of_work import transaction

MAX_ROWS = 2000
_CONTRACT_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,59}\Z", re.ASCII)

SHEET_NAME = "房屋合同号"
HOUSE_CODE = "房屋编号"
LOCATION = "房屋坐落"
OWNER_NAME = "业主姓名"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
CONTRACT_NO = "合同号"


@dataclass
class ContractRow:
    """One line of the screen: a house and what the developer entered for it."""

    house_id: int
    owner_name: str = ""
    id_type: str = ID_TYPE_RESIDENT_ID
    id_no: str = ""
    contract_no: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "ContractRow":
        try:
            house_id = int(data.get("house_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            house_id = 0
        return cls(house_id=house_id,
                   owner_name=normalise_text(data.get("owner_name")),
                   id_type=normalise_text(data.get("id_type")) or ID_TYPE_RESIDENT_ID,
                   id_no=normalise_id_number(data.get("id_no")),
                   contract_no=normalise_contract_no(data.get("contract_no")))


@dataclass
class Agent:
    """经办人 of the setting: recorded with the binding."""

    name: str
    phone: str
    id_type: str
    id_no: str

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Agent":
        return cls(name=normalise_text(data.get("name")), phone=normalise_phone(data.get("phone")),
                   id_type=normalise_text(data.get("id_type")) or ID_TYPE_RESIDENT_ID,
                   id_no=normalise_id_number(data.get("id_no")))

    def problems(self) -> list[Problem]:
        return agent_problems(self.name, self.phone, self.id_type, self.id_no)


@dataclass
class RowOutcome:
    """A row after matching: matched, or the reason it is not."""

    house_id: int
    house_code: str
    location: str
    owner_name: str
    id_type: str
    id_no: str
    contract_no: str
    matched: bool
    reason: str = ""
    bound: bool = False
    trade_house_code: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class BindResult:
    bound: list[RowOutcome] = field(default_factory=list)
    not_matched: list[RowOutcome] = field(default_factory=list)


def normalise_contract_no(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()


def house_row(house: House) -> dict[str, Any]:
    """The screen's starting row for a picked house: its contract and first owner, if any."""
    owner = house.owners[0] if house.owners else None
    return {"house_id": house.id, "house_code": house.code, "location": house_location(house),
            "owner_name": owner.name if owner else "",
            "id_type": owner.id_type if owner else ID_TYPE_RESIDENT_ID,
            "id_no": owner.id_no if owner else "", "contract_no": house.contract_no or "",
            "bound": bool(house.contract_no)}


def _area_houses(session: Session, area: PropertyArea, house_ids: Iterable[int]) -> dict[int, House]:
    ids = sorted({int(i) for i in house_ids})
    if len(ids) > MAX_ROWS:
        raise ValidationFailed(_l("Choose at most %(n)d houses at a time.", n=MAX_ROWS))
    query = (select(House).where(House.id.in_(ids), House.area_id == area.id)
             .options(selectinload(House.owners), selectinload(House.building)))
    return {h.id: h for h in session.scalars(query)}


def rows_for_houses(session: Session, area: PropertyArea, house_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Starting rows for the picked houses of the area (others are ignored)."""
    houses = _area_houses(session, area, house_ids)
    return [house_row(h) for h in sorted(houses.values(), key=lambda h: h.code)]


def validate_rows(session: Session, area: PropertyArea, rows: Sequence[ContractRow]
                  ) -> tuple[dict[int, House], list[Problem]]:
    """Every reason a row cannot be matched: unknown house, bad owner / ID / contract, duplicates."""
    if not rows:
        raise ValidationFailed(_l("Add at least one house."))
    houses = _area_houses(session, area, [r.house_id for r in rows])
    problems: list[Problem] = []
    houses_seen: set[int] = set()
    contracts_seen: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        house = houses.get(row.house_id)
        if house is None:
            problems.append(Problem("house", _l("The house is not in this property area."), row=number))
            continue
        where = house.code
        if house.status != HOUSE_OPEN:
            problems.append(Problem(where, _l("The house account is cancelled or closed."), row=number))
        if house.locked_by_order_id:
            problems.append(Problem(where, _l("The house is held by an unfinished business order."),
                                    row=number))
        if row.house_id in houses_seen:
            problems.append(Problem(where, _l("The house is listed twice."), row=number))
        houses_seen.add(row.house_id)
        for name, message in _row_checks(row):
            problems.append(Problem(name, message, row=number))
        if row.contract_no:
            other = contracts_seen.get(row.contract_no)
            if other:
                problems.append(Problem(where, _l("Contract number %(no)s is also entered for %(other)s.",
                                                  no=row.contract_no, other=other), row=number))
            contracts_seen.setdefault(row.contract_no, where)
    problems += _contracts_bound_elsewhere(session, rows, houses)
    return houses, problems


def _row_checks(row: ContractRow) -> list[tuple[str, Any]]:
    # Field names, not labels: the screen marks the cell by name and shows the registered label.
    checks: list[tuple[str, Any]] = [
        ({"name": "owner_name"}.get(part, part), message)
        for part, message in person_problems(row.owner_name, None, row.id_type, row.id_no)]
    if not row.contract_no:
        checks.append(("contract_no", _l("The contract number is required.")))
    elif not _CONTRACT_RE.match(row.contract_no):
        checks.append(("contract_no", _l(
            "The contract number may hold 3 to 60 letters, digits and dashes.")))
    return [(name, message) for name, message in checks if message is not None]


def _contracts_bound_elsewhere(session: Session, rows: Sequence[ContractRow],
                               houses: Mapping[int, House]) -> list[Problem]:
    numbers = [r.contract_no for r in rows if r.contract_no]
    if not numbers:
        return []
    taken = {no: (hid, code) for no, hid, code in session.execute(
        select(House.contract_no, House.id, House.code).where(House.contract_no.in_(numbers)))}
    problems = []
    for number, row in enumerate(rows, start=1):
        hit = taken.get(row.contract_no)
        if hit and hit[0] != row.house_id and row.house_id in houses:
            problems.append(Problem(houses[row.house_id].code, _l(
                "Contract number %(no)s is already bound to another house.", no=row.contract_no),
                row=number))
    return problems


def match_rows(session: Session, area: PropertyArea, rows: Sequence[ContractRow],
               client: TradingClient) -> list[RowOutcome]:
    """Ask the trading system about every row (nothing is written). Invalid rows raise first."""
    houses, problems = validate_rows(session, area, rows)
    if problems:
        raise ValidationFailed(_l("%(n)d problems must be corrected before matching.",
                                  n=len(problems)), problems)
    items = [MatchItem(house_code=houses[r.house_id].trade_house_code or None,
                       owner_name=r.owner_name, id_number=r.id_no, contract_no=r.contract_no)
             for r in rows]
    results = client.match_contracts(items, uscc=area.organisation.uscc)
    outcomes = []
    for row, result in zip(rows, results):
        house = houses[row.house_id]
        outcomes.append(RowOutcome(
            house_id=house.id, house_code=house.code, location=house_location(house),
            owner_name=row.owner_name, id_type=row.id_type, id_no=row.id_no,
            contract_no=row.contract_no, matched=result.matched,
            reason="" if result.matched else str(result.reason or ""),
            trade_house_code=result.house_code))
    return outcomes


@transaction
def bind_contracts(session: Session, area: PropertyArea, rows: Sequence[ContractRow],
                   client: TradingClient, *, agent: Agent, user_id: Optional[int]) -> BindResult:
    """Submit: match again, bind every matched house to its contract, push their deposit status."""
    problems = agent.problems()
    if problems:
        raise ValidationFailed(problems=problems)
    outcomes = match_rows(session, area, rows, client)
    houses = _area_houses(session, area, [o.house_id for o in outcomes if o.matched])
    result = BindResult()
    now = utcnow()
    changes = []
    for outcome in outcomes:
        if not outcome.matched:
            result.not_matched.append(outcome)
            continue
        house = houses[outcome.house_id]
        changes.append({"house": house.code, "before": house.contract_no, "after": outcome.contract_no})
        house.contract_no = outcome.contract_no
        house.contract_bound_at = now
        if not house.trade_house_code and outcome.trade_house_code:
            house.trade_house_code = outcome.trade_house_code
        if not house.owners:
            house.owners = [Owner(org_id=house.org_id, seq=1, name=outcome.owner_name,
                                  id_type=outcome.id_type, id_no=outcome.id_no)]
        outcome.bound = True
        result.bound.append(outcome)
    session.flush()
    for outcome in result.bound:
        house = houses[outcome.house_id]
        if house.trade_house_code:
            enqueue_deposit_push(session, house, reason="contract_bound")
    record(session, "contract.bind", "PropertyArea", area.id, user_id=user_id, org_id=area.org_id,
           detail={"agent": {"name": agent.name, "phone": agent.phone, "id_type": agent.id_type,
                             "id_no": agent.id_no},
                   "bound": changes, "not_matched": len(result.not_matched)})
    return result


# ------------------------------------------------------------------------------------------ Excel

def contract_columns() -> tuple[Column, ...]:
    """The contract-number sheet: house code (the key back), location, owner, ID, contract."""
    id_types = [(code, str(label)) for code, label in ID_TYPES.items()]
    return (
        Column(HOUSE_CODE, "house_code", required=True, max_length=40, width=22,
               note=_l("House account number; do not change it.")),
        Column(LOCATION, "location", max_length=200, width=30, note=_l("For reference only.")),
        Column(OWNER_NAME, "owner_name", max_length=50, width=12,
               note=_l("One owner is enough when the house has several.")),
        Column(ID_TYPE, "id_type", ColumnType.CODE, codes=id_types, width=18,
               note=_l("Empty means resident ID card.")),
        Column(ID_NUMBER, "id_no", ColumnType.ID_NUMBER, max_length=30, width=22),
        Column(CONTRACT_NO, "contract_no", max_length=60, width=20,
               note=_l("Sale contract number in the trading system.")),
    )


def export_contract_rows(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows on screen as an .xlsx to fill in."""
    return export_rows(contract_columns(), rows, SHEET_NAME)


def import_contract_rows(session: Session, area: PropertyArea, data: bytes) -> list[dict[str, Any]]:
    """Read a filled-in sheet back into screen rows; houses must be in the area.

    Raises ExcelFileError for an unusable file and ValidationFailed listing each bad cell.
    """
    result: ImportResult = read_sheet(data, contract_columns())
    if len(result.rows) > MAX_ROWS:
        raise ValidationFailed(_l("Choose at most %(n)d houses at a time.", n=MAX_ROWS))
    if not result.ok:
        raise ValidationFailed(_l("%(n)d cells must be corrected.", n=result.error_count),
                               [Problem(e.column, e.reason, row=e.row, value=e.value or None)
                                for e in result.errors])
    codes = [r["house_code"].upper() for r in result.rows]
    houses = {h.code: h for h in session.scalars(
        select(House).where(House.code.in_(codes), House.area_id == area.id)
        .options(selectinload(House.building), selectinload(House.owners)))}
    problems, rows = [], []
    for number, item in enumerate(result.rows, start=2):
        house = houses.get(item["house_code"].upper())
        if house is None:
            problems.append(Problem(HOUSE_CODE, _l("The house is not in this property area."),
                                    row=number, value=item["house_code"]))
            continue
        rows.append({**house_row(house), "owner_name": item.get("owner_name") or "",
                     "id_type": item.get("id_type") or ID_TYPE_RESIDENT_ID,
                     "id_no": item.get("id_no") or "",
                     "contract_no": normalise_contract_no(item.get("contract_no"))})
    if problems:
        raise ValidationFailed(_l("%(n)d cells must be corrected.", n=len(problems)), problems)
    return rows
