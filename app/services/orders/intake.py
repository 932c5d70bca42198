"""Houses coming into an order: 接口获取 from the trading system, or 导入 of the Excel template.

Both paths turn their input into building and house line data, check it against the area, the
order's lines and other unfinished orders, and then stage everything in one short transaction, or
nothing (with every problem named by Excel row or trading-system house code). They run as
background jobs (``app.services.orders.jobs``) and report progress as they go.
"""
from __future__ import annotations

import io
import os
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.excel import CellError, ExcelFileError, HouseCodes, ImportResult, mark_errors
from app.documents.excel.house_sheet import (ROOM, SHEET_NAME, consistent_buildings, house_columns,
                                             inner_area_fits, owner_all_or_none, price_rule,
                                             unique_houses)
from app.documents.excel.reader import read_sheet
from app.errors import Problem, ValidationFailed
from app.integrations.trading import TradeProject, TradeProjectHouses, TradingClient
from app.models.codes import KIND_HOUSE_USE, KIND_ID_TYPE, KIND_SALES_STATUS, KIND_STRUCTURE
from app.models.order import AREA_COLLECT, BusinessOrder
from app.models.organisation import Organisation
from app.models.property import SOURCE_EXCEL, SOURCE_TRADE, Building, House
from app.services.accounts import building_floors, existing_locations
from app.services.bulk import collector_paused
from app.services.orders import claims, staging, workflow
from app.services.orders.jobs import JobOutcome, JobRefused, Progress, Work
from app.services.orders.types import handler_for
from app.services.orders.types.new_houses import NewHousesHandler, deposit_point, numbered
from app.services.reference import code_map
from app.services.standards import NoStandard, PriceRequired, StandardBook
from app.services.unit_of_work import unit_of_work

IMPORT_SUBFOLDER = "imports"
LIFT_CODES = ((True, "有"), (False, "无"))


@dataclass
class Incoming:
    """Buildings and houses about to be staged, with the Excel row (or place) of each house.

    ``labels`` name each house for messages; a label is only worked out (and translated) when a
    message needs it, never for each of 100,000 houses that pass.
    """

    buildings: list[dict[str, Any]]
    houses: list[dict[str, Any]]
    rows: list[int]
    naming: Callable[[int, dict[str, Any]], str]

    @property
    def labels(self) -> "HouseLabels":
        return HouseLabels(self)


class HouseLabels(Sequence[str]):
    """The label of each incoming house, made on demand from its row number and data."""

    def __init__(self, incoming: Incoming) -> None:
        self.incoming = incoming

    def __len__(self) -> int:
        return len(self.incoming.houses)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.incoming.naming(self.incoming.rows[index], self.incoming.houses[index])


def _sheet_label(row: int, data: dict[str, Any]) -> str:
    return _("Row %(row)d (%(where)s)", row=row, where=staging.location_text(data))


def _trade_label(_row: int, data: dict[str, Any]) -> str:
    return f"{data['trade_house_code']} {staging.location_text(data)}"


# ---------------------------------------------------------------- checks shared by both paths

def incoming_problems(session: Session, order: BusinessOrder, incoming: Incoming
                      ) -> list[tuple[int, str, Any]]:
    """(index, label, reason) of every incoming house that cannot join the order.

    Refused: houses already in the area or already in this order, listed twice, held by another
    unfinished order, or without a deposit standard.
    """
    handler = handler_for(order.type)
    if not isinstance(handler, NewHousesHandler):
        raise TypeError(f"{order.type} orders do not take new houses")
    area_id = handler.existing_area_id(order)
    in_area = existing_locations(session, area_id) if area_id else set()
    in_order = {staging.location(h): number for number, h
                in numbered(staging.staged(session, order.id, staging.HOUSE))}
    elsewhere = {}
    for problem in handler.open_order_conflicts(session, order, list(enumerate(incoming.houses))):
        elsewhere[problem.row] = problem.reason
    floors = building_floors(session, area_id, {
        **{b["name"]: b.get("floors") for _s, b in staging.staged(session, order.id, staging.BUILDING)},
        **{b["name"]: b.get("floors") for b in incoming.buildings}})
    book = StandardBook.load(session)
    on = deposit_point(order)
    seen: dict[tuple, int] = {}
    labels = incoming.labels
    result = claims.incoming_problems(session, order, area_id, incoming.houses, labels,
                                      incoming.buildings)
    for index, data in enumerate(incoming.houses):
        loc = staging.location(data)
        if loc in in_area:
            result.append((index, labels[index], _l("This house already exists in the property area.")))
        elif loc in in_order:
            result.append((index, labels[index], _l("Already in this order (line %(seq)d).",
                                                    seq=in_order[loc])))
        elif loc in seen:
            result.append((index, labels[index], _l("Listed twice: also at %(other)s.",
                                                    other=labels[seen[loc]])))
        if index in elsewhere:
            result.append((index, labels[index], elsewhere[index]))
        seen.setdefault(loc, index)
        try:
            book.price(data["use_code"], bool(data["has_lift"]), floors.get(data["building"]),
                       Decimal(data["building_area"]),
                       Decimal(data["price"]) if data.get("price") else None, on)
        except (NoStandard, PriceRequired) as error:
            result.append((index, labels[index], error.message))
    return result


def stage(session: Session, order_id: int, user: Any, incoming: Incoming,
          payload_update: Optional[Callable[[BusinessOrder], None]] = None) -> int:
    """Write the incoming buildings and houses as lines of the (still editable) order."""
    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        area_names: set[str] = set()
        if order.area_id:
            area_names = set(session.scalars(select(Building.name)
                                             .where(Building.area_id == order.area_id)))
        staged_names = {b["name"] for _s, b in staging.staged(session, order.id, staging.BUILDING)}
        buildings = staging.merge_buildings(area_names | staged_names, incoming.buildings)
        used = {h["building"] for h in incoming.houses}
        rows = [(staging.BUILDING, b) for b in buildings if b["name"] in used]
        rows += [(staging.HOUSE, h) for h in incoming.houses]
        staging.insert_lines(session, order.id, rows)
        if payload_update is not None:
            payload_update(order)
        return len(incoming.houses)


# ---------------------------------------------------------------- starting the jobs

def start_import(session: Session, app: Any, order_id: int, user: Any, data: bytes | BinaryIO,
                 filename: str, *, locale: str) -> Any:
    """Check the upload and the user's right to change the order, then import in the background.

    ``data`` is the upload's bytes or a binary stream of them: the web view passes the request's
    file, which is copied to disk (at most the size limit and one byte), so the web process
    never holds a 10 MB sheet in memory while the job reads it.
    """
    from app.services.orders import jobs

    config = app.config
    # The upload waits on disk, not in the queue's store: a message holds only its name.
    stored = _store_queued_upload(data, config["UPLOAD_FOLDER"], _upload_limit(config) + 1)
    path = queued_upload_path(stored, config["UPLOAD_FOLDER"])
    try:
        order = check_upload(session, config, order_id, user, path.stat().st_size)
        params = {"order_id": order.id, "user_id": user.id, "stored": stored,
                  "filename": filename or "import.xlsx", "order_type": order.type}
        return jobs.start(session, order, user, "import", params, app=app, locale=locale)
    except Exception:
        path.unlink(missing_ok=True)
        raise


def _upload_limit(config: Any) -> int:
    return int(config.get("IMPORT_MAX_MB", 50)) * 1024 * 1024


def check_upload(session: Session, config: Any, order_id: int, user: Any,
                 size: int) -> BusinessOrder:
    """The order an uploaded sheet of ``size`` bytes is for, once the user may edit it and the
    file may be read."""
    limit = _upload_limit(config)
    with unit_of_work(session):  # checks only: the job's own unit writes
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        if not size:
            raise ValidationFailed(_l("Please choose a file."), [Problem("file", _l("Required."))])
        if size > limit:
            raise ValidationFailed(_l("The file is too large (at most %(n)d MB).",
                                      n=limit // (1024 * 1024)), [])
    return order


def start_fetch(session: Session, app: Any, order_id: int, user: Any, project_ids: Sequence[Any],
                *, locale: str) -> Any:
    """Check the ticked projects and the user's right, then fetch them in the background."""
    from app.services.orders import jobs

    ids = [str(p).strip() for p in project_ids if str(p).strip()]
    with unit_of_work(session):  # checks only: the job's own unit writes
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        if not ids:
            raise ValidationFailed(_l("Tick at least one project."), [])
    params = {"order_id": order.id, "user_id": user.id, "project_ids": ids}
    return jobs.start(session, order, user, "trade_fetch", params, app=app, locale=locale)


def job_work(kind: str, params: dict[str, Any], config: Any) -> Work:
    """The work of a queued job from its plain parameters (``jobs.start``)."""
    if kind == "import":
        data = queued_upload_path(params["stored"], config["UPLOAD_FOLDER"]).read_bytes()
        # Each business reads its own sheet (the house template, a split plan …).
        return handler_for(params["order_type"]).import_work(
            params["order_id"], params["user_id"], data, params["filename"],
            upload_folder=config["UPLOAD_FOLDER"],
            max_rows=int(config.get("IMPORT_MAX_ROWS", 100_000)))
    if kind == "trade_fetch":
        return fetch_work(params["order_id"], params["user_id"], params["project_ids"],
                          lambda: trading_client(config))
    raise ValueError(f"unknown order job kind {kind!r}")


QUEUED_PREFIX = "queued-"


def _store_queued_upload(data: bytes | BinaryIO, upload_folder: str, most: int) -> str:
    return _store_import_file(data, upload_folder, QUEUED_PREFIX, most)


def queued_upload_path(name: str, upload_folder: str) -> Path:
    """Where a queued import's upload waits; the name comes from the queue, so it is checked."""
    return _import_file_path(name, upload_folder, QUEUED_PREFIX)


def discard_queued_upload(kind: str, params: dict[str, Any], config: Any) -> None:
    """A finished (or failed) import no longer needs its upload."""
    if kind == "import":
        queued_upload_path(params["stored"], config["UPLOAD_FOLDER"]).unlink(missing_ok=True)


def trading_client(config: Any) -> TradingClient:
    """The trading-system client for the configured address, token and timeouts."""
    return TradingClient.from_config(config)


# ---------------------------------------------------------------- 接口获取 (trading system)

def _label_to_code(session: Session, kind: str) -> dict[str, str]:
    return {name: code for code, name in code_map(session, kind).items()}


def trade_incoming(session: Session, projects: Sequence[TradeProjectHouses]) -> Incoming:
    """Buildings and houses of the fetched projects as line data (codes from the code tables)."""
    structures = _label_to_code(session, KIND_STRUCTURE)
    uses = _label_to_code(session, KIND_HOUSE_USE)
    incoming = Incoming([], [], [], _trade_label)
    for detail in projects:
        for b in detail.buildings:
            incoming.buildings.append(staging.building_data(
                name=b.name, structure_code=structures.get(b.structure, "other"),
                built_ym=b.built_ym, floors=b.floors_above, address=b.address,
                trade_building_code=b.building_code))
            for h in b.houses:
                data = staging.house_data(
                    building=b.name, unit=h.unit, floor=h.floor, room=h.room_no, address=h.address,
                    building_area=h.building_area, inner_area=h.inner_area,
                    use_code=uses.get(h.use, "other"), has_lift=b.has_lift,
                    sales_status=h.sales_status, price=h.price, trade_house_code=h.house_code,
                    source=SOURCE_TRADE)
                incoming.houses.append(data)
                incoming.rows.append(len(incoming.houses))
    return incoming


def list_trade_projects(session: Session, client: TradingClient, org: Organisation,
                        query: Optional[str] = None) -> list[dict[str, Any]]:
    """This developer's projects in the trading system, marked when already collected into an
    area or held by an unfinished order (``taken`` says which, in words)."""
    projects = client.list_projects(org.uscc, query or None)
    holders = claims.project_holders(session, [p.project_id for p in projects])
    return [_project_dict(p, holders.get(p.project_id)) for p in projects]


def _project_dict(project: TradeProject, holder: Optional[claims.Holder]) -> dict[str, Any]:
    taken = None
    if holder is not None:
        taken = (_("Already collected as %(name)s", name=holder.area_name) if holder.area_name
                 else _("Held by unfinished order %(number)s", number=holder.order_number))
    return {"project_id": project.project_id, "name": project.name, "address": project.address,
            "district_code": project.district_code, "presale_permit_no": project.presale_permit_no,
            "building_count": project.building_count, "house_count": project.house_count,
            "collected_as": holder.area_name if holder else None,
            "held_by": holder.order_number if holder else None, "taken": taken}


def fetch_work(order_id: int, user_id: int, project_ids: Sequence[str],
               client_factory: Callable[[], TradingClient]) -> Callable[[Session, Progress], JobOutcome]:
    """The background work of 接口获取: fetch each ticked project, check, stage."""

    def work(session: Session, progress: Progress) -> JobOutcome:
        from app.security.models import PlatformUser

        user = session.get(PlatformUser, user_id)
        order = session.get(BusinessOrder, order_id)
        org = session.get(Organisation, order.org_id)
        already = set((order.payload or {}).get("trade_project_ids") or [])
        repeated = [pid for pid in project_ids if pid in already]
        if repeated:
            raise JobRefused(_l("These projects are already in this order: %(ids)s.",
                                ids=", ".join(repeated)))
        taken = claims.project_problems(session, order, list(project_ids),
                                        handler_for(order.type).existing_area_id(order))
        if taken:
            raise JobRefused(_l("Nothing was added: these projects are already taken."), taken)
        total = len(project_ids) + 2
        fetched: list[TradeProjectHouses] = []
        with client_factory() as client:
            for index, pid in enumerate(project_ids):
                progress(index, total, _("Fetching project %(id)s from the trading system…", id=pid))
                fetched.append(client.get_project_houses(pid, uscc=org.uscc))
        incoming = trade_incoming(session, fetched)
        progress(len(project_ids), total, _("Checking %(n)d houses…", n=len(incoming.houses)))
        skipped = _skip_known_trade_houses(session, order, incoming)
        problems = incoming_problems(session, order, incoming)
        if problems:
            raise JobRefused(_l("Nothing was added: %(n)d houses cannot join this order.",
                                n=len(problems)),
                             [Problem(label, reason) for _i, label, reason in problems])
        if not incoming.houses:
            raise JobRefused(_l("Every house of these projects already has an account in the "
                                "property area."))
        progress(len(project_ids) + 1, total, _("Saving %(n)d houses…", n=len(incoming.houses)))

        def remember(target: BusinessOrder) -> None:
            payload = dict(target.payload or {})
            payload["trade_project_ids"] = sorted(already | set(project_ids))
            if target.type == AREA_COLLECT:
                payload["area"] = _prefill_area(payload.get("area") or {}, fetched[0].project)
            target.payload = payload

        added = stage(session, order_id, user, incoming, remember)
        message = _("%(n)d houses of %(p)d projects were added.", n=added, p=len(fetched))
        if skipped:
            message += " " + _("%(n)d houses already in the property area were left out.", n=skipped)
        return JobOutcome(message)

    return work


def _skip_known_trade_houses(session: Session, order: BusinessOrder, incoming: Incoming) -> int:
    """For a supplement, drop fetched houses that already have an account in the area."""
    if not order.area_id:
        return 0
    known = set(session.scalars(select(House.trade_house_code).where(
        House.area_id == order.area_id, House.trade_house_code.is_not(None))))
    if not known:
        return 0
    keep = [i for i, h in enumerate(incoming.houses) if h["trade_house_code"] not in known]
    skipped = len(incoming.houses) - len(keep)
    incoming.houses = [incoming.houses[i] for i in keep]
    incoming.rows = [incoming.rows[i] for i in keep]
    return skipped


def _prefill_area(area: dict[str, Any], project: TradeProject) -> dict[str, Any]:
    """Fill the new area's empty fields from the first fetched project (the user may edit them)."""
    filled = dict(area)
    for key, value in (("name", project.name), ("address", project.address),
                       ("district_code", project.district_code), ("project_name", project.name),
                       ("presale_permit_no", project.presale_permit_no)):
        if not filled.get(key):
            filled[key] = value
    return filled


# ---------------------------------------------------------------- 导入 (Excel template)

def house_codes(session: Session) -> HouseCodes:
    """The code tables the house sheet offers and accepts."""
    return HouseCodes(
        structures=list(code_map(session, KIND_STRUCTURE).items()),
        uses=list(code_map(session, KIND_HOUSE_USE).items()),
        lifts=LIFT_CODES,
        sales_statuses=list(code_map(session, KIND_SALES_STATUS).items()),
        id_types=list(code_map(session, KIND_ID_TYPE).items()),
    )


def sheet_incoming(rows: list[dict[str, Any]], row_numbers: Sequence[int]) -> Incoming:
    """Validated sheet rows as line data; rows of one building agree (the reader checked).

    Empties ``rows``: each sheet row is let go as soon as it has become line data, so 100,000
    rows are never held twice.
    """
    incoming = Incoming([], [], list(row_numbers), _sheet_label)
    buildings: dict[str, dict[str, Any]] = {}
    rows.reverse()
    for number in row_numbers:
        row = rows.pop()
        name = row["building_name"]
        if name not in buildings:
            buildings[name] = staging.building_data(
                name=name, structure_code=row.get("structure_code"), built_ym=row.get("built_ym"),
                floors=row.get("floors"))
        owners = []
        if row.get("owner_name"):
            owners.append({"name": row["owner_name"], "id_type": row["owner_id_type"],
                           "id_no": row["owner_id_no"], "phone": row.get("owner_phone")})
        data = staging.house_data(
            building=name, unit=row.get("unit"), floor=row["floor"], room=row["room"],
            address=row.get("address"), building_area=row["building_area"],
            inner_area=row.get("inner_area"), use_code=row["use_code"],
            has_lift=bool(row["has_lift"]), sales_status=row.get("sales_status"),
            price=row.get("price"), source=SOURCE_EXCEL, owners=owners)
        incoming.houses.append(data)
    incoming.buildings = list(buildings.values())
    return incoming


def save_marked_copy(data: bytes, filename: str, errors: Sequence[CellError],
                     upload_folder: str) -> Optional[str]:
    """Store the file with its bad cells marked; returns the stored name (None if it failed)."""
    try:
        marked = mark_errors(data, filename, errors)
    except ExcelFileError:
        return None
    return _store_import_file(marked, upload_folder)


def refuse_cells(result: ImportResult, data: bytes, filename: str, upload_folder: str
                 ) -> JobRefused:
    """The refusal of a sheet with bad cells: each named by row and column, a marked copy kept."""
    return cells_refused(
        _l("Nothing was imported: %(n)d cells need correcting.", n=result.error_count),
        data, filename, result.errors, upload_folder)


def cells_refused(message: Any, data: bytes, filename: str, errors: Sequence[CellError],
                  upload_folder: str) -> JobRefused:
    """The refusal of an uploaded sheet: every bad cell as a problem, and the marked copy."""
    return JobRefused(message, [Problem(e.column, e.reason, row=e.row, value=e.value or None,
                                        sheet=e.sheet) for e in errors],
                      save_marked_copy(data, filename, errors, upload_folder))


def marked_copy_path(name: str, upload_folder: str) -> Path:
    return _import_file_path(name, upload_folder)


#: Bytes copied at a time from an uploaded stream to its file.
COPY_BLOCK = 1024 * 1024


def _store_import_file(data: bytes | BinaryIO, upload_folder: str, prefix: str = "",
                       most: Optional[int] = None) -> str:
    """Store ``data`` (bytes, or a stream copied block by block, at most ``most`` bytes of it)
    under a generated name in the imports folder; returns the name."""
    folder = Path(upload_folder) / IMPORT_SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}{uuid.uuid4().hex}.xlsx"
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    left = sys.maxsize if most is None else most
    with open(folder / name, "wb") as out:
        while left > 0 and (block := stream.read(min(COPY_BLOCK, left))):
            out.write(block)
            left -= len(block)
    os.chmod(folder / name, 0o640)
    return name


def _import_file_path(name: str, upload_folder: str, prefix: str = "") -> Path:
    """The path of a stored import file; a name that is not one we generated is refused."""
    stem = name[len(prefix):-len(".xlsx")] if name.startswith(prefix) and name.endswith(".xlsx") else ""
    if not (len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)):
        raise ValueError("unexpected import file name")
    return Path(upload_folder) / IMPORT_SUBFOLDER / name


def import_work(order_id: int, user_id: int, data: bytes, filename: str, *, upload_folder: str,
                max_rows: int) -> Callable[[Session, Progress], JobOutcome]:
    """The background work of 导入: read and check the sheet, check against the area, stage."""

    def work(session: Session, progress: Progress) -> JobOutcome:
        with collector_paused():  # 100,000 rows of dicts alive at once
            return read_check_stage(session, progress)

    def read_check_stage(session: Session, progress: Progress) -> JobOutcome:
        from app.security.models import PlatformUser

        user = session.get(PlatformUser, user_id)
        order = session.get(BusinessOrder, order_id)
        book = StandardBook.load(session)
        on = deposit_point(order)
        floors = _known_floors(session, order)

        def price_required(row: dict[str, Any]) -> bool:
            return book.needs_price(row["use_code"], bool(row["has_lift"]),
                                    row.get("floors") or floors.get(row["building_name"]), on)

        progress(0, 3, _("Reading the file…"))
        result, numbers = read_with_row_numbers(data, house_codes(session), price_required,
                                                max_rows)
        if not result.ok:
            raise refuse_cells(result, data, filename, upload_folder)
        incoming = sheet_incoming(result.rows, numbers)
        progress(1, 3, _("Checking %(n)d houses…", n=len(incoming.houses)))
        problems = incoming_problems(session, order, incoming)
        if problems:
            errors = [CellError(SHEET_NAME, incoming.rows[i], ROOM,
                                incoming.houses[i]["room"], str(reason)) for i, _lab, reason in problems]
            raise JobRefused(
                _l("Nothing was imported: %(n)d houses cannot join this order.", n=len(problems)),
                [Problem(ROOM, reason, row=incoming.rows[i], value=incoming.houses[i]["room"])
                 for i, _lab, reason in problems],
                save_marked_copy(data, filename, errors, upload_folder))
        progress(2, 3, _("Saving %(n)d houses…", n=len(incoming.houses)))
        added = stage(session, order_id, user, incoming)
        return JobOutcome(_("%(n)d houses were imported.", n=added))

    return work


def _known_floors(session: Session, order: BusinessOrder) -> dict[str, Optional[int]]:
    return building_floors(session, order.area_id, {
        b["name"]: b.get("floors") for _s, b in staging.staged(session, order.id, staging.BUILDING)})


def read_with_row_numbers(data: bytes, codes: HouseCodes, price_required: Callable[[Any], bool],
                          max_rows: int) -> tuple[ImportResult, list[int]]:
    """``read_houses`` plus the Excel row number of each returned row (for naming rows later)."""
    return read_numbered(data, house_columns(codes), max_rows=max_rows,
                         row_rules=(owner_all_or_none, inner_area_fits, price_rule(price_required)),
                         file_rules=(consistent_buildings, unique_houses))


def read_numbered(data: bytes, columns: Sequence[Any], *, max_rows: int,
                  row_rules: Sequence[Any] = (), file_rules: Sequence[Any] = ()
                  ) -> tuple[ImportResult, list[int]]:
    """``read_sheet`` plus the Excel row number of each returned row."""
    numbers: list[int] = []

    def capture(rows: Sequence[tuple[int, Any]]) -> list[tuple[int, str, Any]]:
        numbers.extend(number for number, _row in rows)
        return []

    result = read_sheet(data, columns, max_rows=max_rows, row_rules=row_rules,
                        file_rules=(*file_rules, capture))
    return result, numbers
