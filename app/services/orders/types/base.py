"""What a business plugs into the order workflow: one handler per business.

A handler declares everything specific to its business: its slug (the address of its form), title,
menu entry, the template partial of its form's header, how the header fields are read and checked,
which ways of bringing lines in it offers (``intake``), how it validates an order before submit and
again before approval, what approval does, which existing houses it locks while it is open, and how
its lines and extra tables look on the review screen and the application form.

Handlers are discovered, not listed: importing ``app.services.orders.types`` imports every module of
that package, and each module registers its handler. Menus, the "new order" buttons, the review
queue's type filter, the REST API's order types and the roles' menu permissions all come from the
registry. The workflow never looks inside a business; a business never changes a status.
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
    "house": _l("House"), "building": _l("Building"), "area": _l("Property area"),
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
    #: The line's editable values (its ``after``) for businesses whose rows can be edited.
    data: Optional[dict[str, Any]] = None

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
class ExtraTable:
    """A table a business adds to its order page and review (e.g. amounts due before and after)."""

    key: str
    caption: str
    table: SummaryTable


@dataclass(frozen=True)
class FormContent:
    """What a business prints on its application form besides the common heading."""

    lines: SummaryTable
    totals: Sequence[tuple[str, Any]] = ()
    area_name: str = ""
    area_address: str = ""
    district_code: str = ""


#: Ways of bringing lines into an order (``OrderHandler.intake``); each has a toolbar partial
#: ``orders/intake/_<mode>.html`` and its routes in the order-form view.
TRADE_FETCH = "trade_fetch"          # 接口获取: projects of the trading system
TEMPLATE_IMPORT = "template_import"  # 导入 the house template
BUILDING_PICK = "building_pick"      # 选择需要变更的楼幢 + 批量修改 + row editing
HOUSE_PICK = "house_pick"            # houses chosen in the 楼盘表 (grid or list)
SHEET_ROUNDTRIP = "sheet_roundtrip"  # 导出 the lines to Excel, edit them there, 导入 them back
INTAKE_MODES = (TRADE_FETCH, TEMPLATE_IMPORT, BUILDING_PICK, HOUSE_PICK, SHEET_ROUNDTRIP)


class OrderHandler:
    """Base class of every business; override what the business needs."""

    #: BusinessOrder.type this handler serves (at most 20 characters).
    type: str = ""
    #: Upper-case letters that start the order number (app.domain.numbering.order_number).
    code: str = ""
    #: The form's address: ``/order-form/<slug>``.
    slug: str = ""
    title: LazyString = _l("Business order")
    form_title: LazyString = _l("Application form")
    #: FAB menu (and menu permission) name; English and stable, the label is ``title``.
    menu_name: str = ""
    menu_icon: str = "fa-file-alt"
    #: Position in the 物业区域管理 menu and among the "new order" buttons (the manual's order).
    menu_order: int = 50
    #: Template of the form's header fields, rendered inside the shared order page.
    form_partial: str = "orders/forms/_area_choice.html"
    #: Ways of bringing lines in, from ``INTAKE_MODES``.
    intake: tuple[str, ...] = ()
    #: Tabs of the lines table: (line target, label).
    line_targets: tuple[tuple[str, LazyString], ...] = (("house", _l("House lines")),)
    #: False for a business the manual completes on 保存 (no review): saving applies it at once.
    needs_review: bool = True
    #: Whether ``POST /api/v1/order/`` creates drafts of this business.
    api_enabled: bool = True
    #: Whether the business prints a 开户清册 (account opening list).
    prints_account_list: bool = False
    #: Whether the order has a 交存时点 (shown in its summary, even while empty).
    has_deposit_point: bool = False
    #: Whether each line has an 编辑 button (its ``after`` given to the page's line editor).
    rows_editable: bool = False
    #: Whether the lines have 批量修改 (the page's ``#jm-modify-modal`` sets values on many lines).
    batch_modify: bool = False
    #: States of the 楼盘表 a house may be picked in (``HOUSE_PICK``), see picker/README.md.
    pickable_states: tuple[str, ...] = ()
    #: Labels of the header fields, so every message names a field as the form shows it.
    field_labels: dict[str, LazyString] = {}
    #: The ``SHEET_ROUNDTRIP`` buttons; ``services/orders/sheets.LinesSheet`` says 批量导出 / 批量导入.
    export_label: LazyString = _l("Export")
    import_label: LazyString = _l("Import")
    import_hint: LazyString | str = ""

    # ------------------------------------------------ the draft's header fields

    def read_fields(self, source: Any) -> dict[str, Any]:
        """The business's header fields from a form (``MultiDict``) or a JSON object, as text."""
        return {}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     fields: dict[str, Any]) -> list[Problem]:
        """Store the header fields on the draft; problems for values that cannot be stored."""
        return []

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder],
                    args: Any) -> dict[str, str]:
        """The header fields' values shown when the form opens (``args``: the page's query)."""
        return {}

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        """Whatever else the business's partials need (choices, areas…)."""
        return {}

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        """(label, value) pairs of the order's area for the order's summary."""
        return []

    def extra_tables(self, session: Session, order: BusinessOrder) -> list[ExtraTable]:
        """Tables the order page, the review and the application form show below the lines."""
        return []

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        """One line above the order's lines (e.g. houses, floor area and amount due)."""
        return ""

    def lines_warning(self, session: Session, order: BusinessOrder) -> str:
        """What is wrong with the lines now, shown beside the summary (e.g. unpriced houses)."""
        return ""

    def deposit_point(self, order: BusinessOrder) -> Optional[Any]:
        """The order's 交存时点, for businesses that have one."""
        return None

    # ------------------------------------------------ change lines

    #: Targets whose change lines are checked against the register before submit and approval.
    snapshot_targets: tuple[str, ...] = ()

    def current_snapshots(self, session: Session, target: str, ids: Sequence[int]
                          ) -> dict[int, dict[str, Any]]:
        """The register's rows ``ids`` of ``target`` as the snapshots the lines hold."""
        return {}

    def pick(self, session: Session, user: Any, order: BusinessOrder, ids: list[int]) -> int:
        """Stage the existing rows ``ids`` (checked to be the user's) as change lines."""
        raise InvalidTransition(_l("This business does not take rows from the register."))

    def modify(self, session: Session, user: Any, order: BusinessOrder,
               seqs: Optional[list[int]], values: dict[str, Any]) -> int:
        """Set ``values`` on the ``after`` of the lines ``seqs`` (all when None); problems refuse."""
        raise InvalidTransition(_l("This business has no lines to modify."))

    def export_sheet(self, session: Session, order: BusinessOrder) -> tuple[bytes, str]:
        """导出: the order's lines as an .xlsx to edit, and its file name (``SHEET_ROUNDTRIP``)."""
        raise InvalidTransition(_l("This business does not export its lines."))

    def import_work(self, order_id: int, user_id: int, data: bytes, filename: str, *,
                    upload_folder: str, max_rows: int) -> Any:
        """导入: the background work (``jobs.Work``) that reads ``data`` into the order's lines.

        It checks everything first and stores nothing on any problem, naming each bad cell by
        row and column and saving a marked copy (``intake.refuse_cells``). It runs in the
        queue's consumer, so it is given ids, not rows.
        """
        raise InvalidTransition(_l("This business does not import Excel files."))

    def line_name(self, target: str, snapshot: dict[str, Any]) -> str:
        """How a message names the row of a line (e.g. the building's name)."""
        return str(snapshot.get("name") or snapshot.get("code") or TARGET_LABELS.get(target, target))

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

    def refund_form(self, session: Session, order: BusinessOrder) -> Optional[Any]:
        """The 退款申请表 (``print_models.RefundForm``) the order prints, or None."""
        return None

    def area_name(self, order: BusinessOrder) -> str:
        return order.area.name if order.area is not None else ""


_HANDLERS: dict[str, OrderHandler] = {}


def missing_hooks(handler: OrderHandler) -> list[str]:
    """The hooks the classes ``handler`` mixes in name in their ``required_hooks`` (declared there,
    written by each business) that the handler does not write.

    Checked when a business registers, so a missing hook stops the start-up rather than a clerk's
    click. Not ``abc.abstractmethod``: ABCMeta probes every class attribute, which turns a
    subclass's lazy ``title`` into text at import, outside any app or locale.
    """
    wanted = {name for klass in type(handler).__mro__
              for name in vars(klass).get("required_hooks", ())}
    return sorted(name for name in wanted if not callable(getattr(handler, name, None)))


def register_handler(handler: OrderHandler) -> OrderHandler:
    """Make ``handler`` serve its order type (one handler per type, one type per slug)."""
    if not handler.type or not handler.code or not handler.slug:
        raise ValueError("an order handler needs a type, a number code and a slug")
    if len(handler.type) > 20:
        raise ValueError(f"order type {handler.type!r} is longer than 20 characters")
    unknown = set(handler.intake) - set(INTAKE_MODES)
    if unknown:
        raise ValueError(f"unknown intake modes {sorted(unknown)}")
    missing = missing_hooks(handler)
    if missing:
        raise TypeError(f"{type(handler).__name__} does not write {', '.join(missing)}, "
                        "which the classes it mixes in need")
    for other in _HANDLERS.values():
        if other.type != handler.type and other.slug == handler.slug:
            raise ValueError(f"slug {handler.slug!r} is taken by {other.type}")
    _HANDLERS[handler.type] = handler
    return handler


def unregister_handler(order_type: str) -> None:
    """Take a handler out of the registry (tests that register a business of their own)."""
    _HANDLERS.pop(order_type, None)


def _discover() -> None:
    from app.services.orders import types  # noqa: F401 - importing registers the handlers


def handler_for(order_type: str) -> OrderHandler:
    _discover()
    try:
        return _HANDLERS[order_type]
    except KeyError:
        raise LookupError(f"no handler for order type {order_type!r}") from None


def handler_by_slug(slug: str) -> Optional[OrderHandler]:
    _discover()
    return next((h for h in _HANDLERS.values() if h.slug == slug), None)


def handlers() -> list[OrderHandler]:
    """Every registered business, in the manual's (menu) order."""
    _discover()
    return sorted(_HANDLERS.values(), key=lambda h: (h.menu_order, h.type))


class GenericHandler(OrderHandler):
    """Shows (never applies) an order of a business whose handler no longer exists."""

    def __init__(self, order_type: str) -> None:
        self.type = order_type
        self.title = order_type
        self.line_targets = tuple(TARGET_LABELS.items())


def display_handler(order_type: str) -> OrderHandler:
    """The handler for showing and printing an order: the business's own, or the generic one."""
    try:
        return handler_for(order_type)
    except LookupError:
        return GenericHandler(order_type)


def registered_types() -> list[str]:
    return [h.type for h in handlers()]
