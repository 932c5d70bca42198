"""批量导出 / 批量导入: an order's lines out to Excel and back, edited.

The business (``OrderHandler.lines_sheet``) says which columns its sheet has and how a read row
changes a line (``sheet_columns``, ``sheet_rows``, ``sheet_changes``). The import runs as a
background job like the house template's: every bad cell (format, a house not in the order or not
the user's, a value the business refuses) is listed with its row and column and marked in a copy
of the file, and then nothing is stored; otherwise the changed lines are written in one unit.
Only cells that differ from the line's current values count, so a file exported and imported
unchanged changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.documents.excel import export_rows
from app.errors import InvalidTransition
from app.models.order import BusinessOrder, OrderJob
from app.services.orders import intake, jobs, staging, workflow
from app.services.orders.jobs import JobOutcome, Progress
from app.services.orders.types import OrderHandler, handler_for
from app.services.unit_of_work import unit_of_work

JOB_KIND = "sheet_import"


@dataclass(frozen=True)
class SheetRow:
    """One data row of an imported sheet: its Excel row number and its values by column key."""

    number: int
    values: dict[str, Any]


def sheet_handler(order: BusinessOrder) -> OrderHandler:
    handler = handler_for(order.type)
    if not handler.lines_sheet:
        raise InvalidTransition(_l("This business has no Excel export of its lines."))
    return handler


def export_lines(session: Session, order: BusinessOrder) -> bytes:
    """The order's lines as an .xlsx (the business's columns), to edit and import back."""
    handler = sheet_handler(order)
    return export_rows(handler.sheet_columns(session, export=True),
                       handler.sheet_rows(session, order), handler.sheet_name)


def start_sheet_import(session: Session, app: Any, order_id: int, user: Any, data: bytes,
                       filename: str, *, locale: str) -> OrderJob:
    """Check the upload and the user's right to change the order, then import in the background."""
    config = app.config
    order = intake.check_upload(session, config, order_id, user, data)
    sheet_handler(order)
    work = sheet_work(order.id, user.id, data, filename or "lines.xlsx",
                      upload_folder=config["UPLOAD_FOLDER"],
                      max_rows=int(config.get("IMPORT_MAX_ROWS", 100_000)))
    return jobs.start(session, order, user, JOB_KIND, work, app=app, locale=locale)


def sheet_work(order_id: int, user_id: int, data: bytes, filename: str, *, upload_folder: str,
               max_rows: int) -> Callable[[Session, Progress], JobOutcome]:
    """The background work of 批量导入: read the sheet, match its rows to the lines, stage."""

    def work(session: Session, progress: Progress) -> JobOutcome:
        from app.security.models import PlatformUser

        user = session.get(PlatformUser, user_id)
        order = session.get(BusinessOrder, order_id)
        handler = sheet_handler(order)
        progress(0, 3, _("Reading the file…"))
        result, numbers = intake.read_numbered(data, handler.sheet_columns(session, export=False),
                                               max_rows=max_rows)
        if not result.ok:
            raise intake.cells_refused(
                _l("Nothing was imported: %(n)d cells need correcting.", n=result.error_count),
                data, filename, result.errors, upload_folder)
        rows = [SheetRow(number, values) for number, values in zip(numbers, result.rows)]
        progress(1, 3, _("Checking %(n)d rows…", n=len(rows)))
        with unit_of_work(session):  # joins the job's unit: checked and written under the lock
            order = workflow.load_for_update(session, order_id)
            workflow.check_may(order, "edit", user)
            changes, errors = handler.sheet_changes(session, user, order, rows)
            if errors:
                raise intake.cells_refused(
                    _l("Nothing was imported: %(n)d cells need correcting.", n=len(errors)),
                    data, filename, errors, upload_folder)
            staging.set_after(session, order.id, changes)
        if not changes:
            return JobOutcome(_("The file changes nothing: every cell is as the order has it."))
        return JobOutcome(_("The file changed %(n)d houses.", n=len(changes)))

    return work
