"""批量导出 / 批量导入: an order's lines out to Excel and back, edited.

A business mixes in ``LinesSheet`` and says which columns its sheet has and how a read row
changes a line (``sheet_columns``, ``sheet_rows``, ``sheet_changes``); the mixin gives it the
engine's ``SHEET_ROUNDTRIP`` hooks (``export_sheet``, ``import_work``). The import runs as a
background job like every import: every bad cell (format, a house not in the order or not the
user's, a value the business refuses) is listed with its row and column and marked in a copy of
the file, and then nothing is stored; otherwise the changed lines are written in one unit. Only
cells that differ from the line's current values count, so a file exported and imported unchanged
changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.documents.excel import export_rows
from app.models.order import BusinessOrder
from app.services.orders import staging
from app.services.orders.jobs import JobOutcome, Progress
from app.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class SheetRow:
    """One data row of an imported sheet: its Excel row number and its values by column key."""

    number: int
    values: dict[str, Any]


class LinesSheet:
    """The lines out to Excel and back (``SHEET_ROUNDTRIP``), edited cell by cell.

    The business writes the three hooks below (``required_hooks``: ``register_handler`` refuses
    a handler without them).
    """

    required_hooks = ("sheet_columns", "sheet_rows", "sheet_changes")
    #: ``sheet_columns(session, export=...)``: the sheet's ``Column``s, those read back plus
    #: guide columns when ``export``.
    sheet_columns: Callable[..., Sequence[Any]]
    #: ``sheet_rows(session, order)``: the lines as rows of the sheet (keys of ``sheet_columns``).
    sheet_rows: Callable[[Session, BusinessOrder], list[dict[str, Any]]]
    #: ``sheet_changes(session, user, order, rows)``: the lines' new ``after`` by seq from the
    #: read rows, only where a cell changed, and the ``CellError``s that refuse the whole file.
    sheet_changes: Callable[[Session, Any, BusinessOrder, Sequence[SheetRow]],
                            tuple[dict[int, dict[str, Any]], list[Any]]]

    #: The name of the sheet in the exported workbook.
    sheet_name: str = ""
    export_label = _l("Batch export")
    import_label = _l("Batch import")
    import_hint = _l("Import the exported file after editing it; houses are matched by their "
                     "house number and only changed cells count.")

    def export_sheet(self, session: Session, order: BusinessOrder) -> tuple[bytes, str]:
        return (export_rows(self.sheet_columns(session, export=True),
                            self.sheet_rows(session, order), self.sheet_name),
                f"{order.number}.xlsx")

    def import_work(self, order_id: int, user_id: int, data: bytes, filename: str, *,
                    upload_folder: str, max_rows: int
                    ) -> Callable[[Session, Progress], JobOutcome]:
        """The background work of 批量导入: read the sheet, match its rows to the lines, stage."""
        handler = self

        def work(session: Session, progress: Progress) -> JobOutcome:
            from app.security.models import PlatformUser
            from app.services.orders import intake, workflow  # intake imports the handlers

            user = session.get(PlatformUser, user_id)
            progress(0, 3, _("Reading the file…"))
            result, numbers = intake.read_numbered(
                data, handler.sheet_columns(session, export=False), max_rows=max_rows)
            if not result.ok:
                raise intake.refuse_cells(result, data, filename, upload_folder)
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
