"""What a business plugs into the order workflow.

A handler validates an order before submit and again before approval, applies it on approval, lists
existing houses it must lock while it is open, and describes its lines for the review screen and the
application form. The workflow never looks inside a business; a business never changes a status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.documents.print_models import SummaryTable
from app.errors import InvalidTransition, Problem
from app.models.order import BusinessOrder, OrderLine

ACTION_LABELS: dict[str, LazyString] = {
    "add": _l("Add"), "update": _l("Change"), "close": _l("Close"), "cancel": _l("Cancel"),
}
TARGET_LABELS: dict[str, LazyString] = {
    "area": _l("Property area"), "building": _l("Building"), "house": _l("House"),
    "owner": _l("Owner"),
}


@dataclass
class LineRow:
    """One order line as the review shows it: before and after side by side, changes marked."""

    seq: int
    action: str
    target: str
    before: list[str]
    after: list[str]
    changed: list[bool]

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def target_label(self) -> str:
        return str(TARGET_LABELS.get(self.target, self.target))


@dataclass
class LinesTable:
    """Column labels and the rows of one page of lines."""

    columns: list[str]
    rows: list[LineRow] = field(default_factory=list)

    @property
    def has_before(self) -> bool:
        """Whether any row shows a before snapshot (a page of additions shows none)."""
        return any(any(cell for cell in row.before) for row in self.rows)


@dataclass(frozen=True)
class FormContent:
    """What a business prints on its application form besides the common heading."""

    lines: SummaryTable
    totals: Sequence[tuple[str, Any]] = ()
    area_name: str = ""
    area_address: str = ""
    district_code: str = ""


class OrderHandler:
    """Base class of every business; override what the business needs."""

    #: BusinessOrder.type this handler serves.
    type: str = ""
    #: Upper-case letters that start the order number (app.domain.numbering.order_number).
    code: str = ""
    title: LazyString = _l("Business order")
    form_title: LazyString = _l("Application form")
    #: Whether the business prints a 开户清册 (account opening list).
    prints_account_list: bool = False

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        """Every reason the order cannot be submitted or approved now (empty: it can)."""
        return []

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        """Wrongly formatted fields, checked whenever a draft is saved (nothing is required yet)."""
        return []

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        """Make the order's changes to the register, inside the approval's transaction."""
        # Only order types with a handler of their own can be created; this guards the others.
        raise InvalidTransition(_l("Orders of this kind cannot be approved on this platform yet."))

    def house_ids_to_lock(self, session: Session, order: BusinessOrder) -> list[int]:
        """Existing houses the order changes; they are locked from submit until approval/withdrawal."""
        return []

    def lines_table(self, order: BusinessOrder, lines: Optional[Sequence[OrderLine]] = None,
                    *, target: str = "house") -> LinesTable:
        """The given lines (default: all of the order's) of ``target`` for the review screen.

        By default every key of the snapshots is a column, so a new business shows its lines
        before it describes them better.
        """
        lines = list(order.lines if lines is None else lines)
        keys: list[str] = []
        for line in lines:
            for snapshot in (line.before, line.after):
                keys += [k for k in (snapshot or {}) if k not in keys]

        def cells(snapshot: Optional[dict[str, Any]]) -> list[str]:
            return ["" if (snapshot or {}).get(k) is None else str(snapshot[k]) for k in keys]

        rows = []
        for line in lines:
            before, after = cells(line.before), cells(line.after)
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)]))
        return LinesTable(columns=keys, rows=rows)

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        """Lines and totals for the application form."""
        return FormContent(lines=SummaryTable(headers=[], rows=[]))

    def area_name(self, order: BusinessOrder) -> str:
        return order.area.name if order.area is not None else ""


_HANDLERS: dict[str, OrderHandler] = {}


def register_handler(handler: OrderHandler) -> OrderHandler:
    """Make ``handler`` serve its order type (one handler per type)."""
    if not handler.type or not handler.code:
        raise ValueError("an order handler needs a type and a number code")
    _HANDLERS[handler.type] = handler
    return handler


def handler_for(order_type: str) -> OrderHandler:
    from app.services.orders import types  # noqa: F401 - importing registers the handlers

    try:
        return _HANDLERS[order_type]
    except KeyError:
        raise LookupError(f"no handler for order type {order_type!r}") from None


class GenericHandler(OrderHandler):
    """Shows (never applies) an order of a business whose handler does not exist yet."""

    def __init__(self, order_type: str) -> None:
        self.type = order_type
        self.title = order_type


def display_handler(order_type: str) -> OrderHandler:
    """The handler for showing and printing an order: the business's own, or the generic one."""
    try:
        return handler_for(order_type)
    except LookupError:
        return GenericHandler(order_type)


def registered_types() -> list[str]:
    from app.services.orders import types  # noqa: F401

    return list(_HANDLERS)
