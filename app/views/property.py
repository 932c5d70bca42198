"""物业区域管理 register screens: property areas, buildings and houses (read-only).

The register changes only through business orders, so these screens list, show and export; they
never add, edit or delete. Money shown comes from the ledger, aggregated per page.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any, Iterable, Sequence

from flask import request
from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import BaseFilter, Filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import aliased
from wtforms import SelectField

from app.documents.excel import Column, ColumnType
from app.domain.ids import row_id
from app.domain.money import quantize_money
from app.extensions import db
from app.models.base import ZERO
from app.models.codes import (KIND_DISTRICT, KIND_HOUSE_USE, KIND_ID_TYPE, KIND_PAYMENT_TYPE,
                              KIND_SALES_STATUS, KIND_STRUCTURE)
from app.models.ledger import (ENTRY_DEPOSIT, ENTRY_REFUND, ENTRY_REVERSAL, ENTRY_TRANSFER_IN,
                               ENTRY_TRANSFER_OUT)
from app.models.property import (HOUSE_CANCELLED, HOUSE_CLOSED, HOUSE_OPEN, SOURCE_EXCEL, SOURCE_ORDER,
                                 SOURCE_TRADE, Building, House, Owner, PropertyArea)
from app.security.roles import MODEL_VIEW_METHODS, RES_AREA, RES_BUILDING, RES_HOUSE
from app.security.tenant import current_scope, get_owned_or_404, scoped, tenant_filters
from app.services.options import area_labels, area_options, building_labels, building_options
from app.services.owners import ownership_history
from app.services.refunds import house_refunds, refund_number
from app.services.refunds import status_label as refund_status_label
from app.services.ledger import (STATE_PAID, STATE_PARTLY_PAID, STATE_UNPAID, balances, deposit_state,
                                 entries, group_totals, outstanding, paid_of)
from app.views.base import (ExportMixin, PlatformModelView, code_choices, code_formatter, code_labels,
                            export_chunks, money, options_answer, preload_parents, when, yes_no)
from app.views.menus import CATEGORY_PROPERTY
from app.views.refunds import refund_endpoint

REGISTER_ORDER = 20

HOUSE_STATUS_LABELS = {
    HOUSE_OPEN: _l("Open"),
    HOUSE_CANCELLED: _l("Cancelled"),
    HOUSE_CLOSED: _l("Closed (split or merged)"),
}
SOURCE_LABELS = {
    SOURCE_TRADE: _l("Trading system"),
    SOURCE_EXCEL: _l("Excel import"),
    SOURCE_ORDER: _l("Business order"),
}
ENTRY_LABELS = {
    ENTRY_DEPOSIT: _l("Deposit"),
    ENTRY_REFUND: _l("Refund"),
    ENTRY_TRANSFER_IN: _l("Transfer in"),
    ENTRY_TRANSFER_OUT: _l("Transfer out"),
    ENTRY_REVERSAL: _l("Reversal"),
}
DEPOSIT_STATE_LABELS = {
    STATE_PAID: _l("Fully paid"),
    STATE_PARTLY_PAID: _l("Partly paid"),
    STATE_UNPAID: _l("Not paid"),
}
#: Register screens are read-only; export is a permission of its own on houses.
READ_ONLY_ROUTES = {"list", "show", "export"}
#: Areas and buildings also answer the search boxes that filter by them.
OPTION_ROUTES = READ_ONLY_ROUTES | {"options"}


def _label(labels: dict[str, Any]) -> Any:
    return lambda value: str(labels.get(value, value or ""))


@dataclass
class Figures:
    """Counts and money of an area or building."""

    buildings: int = 0
    houses: int = 0
    due: Decimal = ZERO
    paid: Decimal = ZERO


def _figures(group_column: Any, ids: Sequence[int]) -> dict[int, Figures]:
    """Open houses, amount due and ledger balance per area or building id (one grouped query),
    and an area's building count (one more)."""
    result = {ident: Figures() for ident in ids}
    if not ids:
        return result
    for ident, totals in group_totals(db.session, group_column, ids).items():
        result[ident].houses, result[ident].due, result[ident].paid = totals.houses, totals.due, totals.paid
    if group_column is House.area_id:
        buildings = select(Building.area_id, func.count(Building.id)) \
            .where(Building.area_id.in_(ids)).group_by(Building.area_id)
        for ident, count in db.session.execute(buildings):
            result[ident].buildings = count
    return result


def _attach(items: Sequence[Any], figures: dict[int, Figures]) -> None:
    for item in items:
        found = figures.get(item.id, Figures())
        item.building_count = found.buildings
        item.house_count = found.houses
        item.due_total = found.due
        item.paid_total = found.paid
        item.unpaid_total = max(found.due - found.paid, ZERO)


_FIGURE_LABELS = {
    "building_count": _l("Number of buildings"),
    "house_count": _l("Number of houses"),
    "due_total": _l("Amount due"),
    "paid_total": _l("Paid"),
    "unpaid_total": _l("Unpaid"),
}
_MONEY = {"due_total": money, "paid_total": money, "unpaid_total": money, "amount_due": money,
          "paid_amount": money, "outstanding_amount": money, "price": money}


class RegisterView(ExportMixin, PlatformModelView):
    """Common settings of the three register screens."""

    include_route_methods = READ_ONLY_ROUTES
    base_filters = tenant_filters()
    # Read-only: never rendered, and not built from every column (House has a computed balance).
    add_form = edit_form = DynamicForm
    list_template = "property/list.html"
    base_order = ("code", "asc")
    #: Placeholder text of the keyword box; None hides the box.
    keyword_hint: Any = None

    def find_options(self, text: str, page: int) -> Any:
        """The page of search-box options matching ``text`` (an OptionPage), or None: no box."""
        return None

    @expose("/options")
    @has_access_api
    def options(self) -> Any:
        """Search-as-you-type options for filter boxes: ``?q=text&page=n``, in the user's scope."""
        return options_answer(self.find_options)

    def can_export(self) -> bool:
        verb = self.method_permission_name.get("export", "export")
        return self.appbuilder.sm.has_access(f"can_{verb}", self.class_permission_name)

    def render_template(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("register_view", self)
        return super().render_template(template, **kwargs)


class PropertyAreaView(RegisterView):
    route_base = "/property/areas"
    datamodel = SQLAInterface(PropertyArea)
    class_permission_name = RES_AREA
    method_permission_name = {**MODEL_VIEW_METHODS, "export": "read", "options": "read"}
    include_route_methods = OPTION_ROUTES

    list_title = _l("Property areas")
    show_title = _l("Property area")
    list_columns = ["code", "name", "district_code", "address", "building_count", "house_count",
                    "due_total", "paid_total"]
    show_columns = ["code", "name", "organisation", "district_code", "address", "project_name",
                    "presale_permit_no", "land_use_cert_no", "planned_households",
                    "total_building_area", "contact", "contact_phone", "trade_project_ids",
                    "deposit_time_points", "building_count", "house_count", "due_total",
                    "paid_total", "unpaid_total", "created_at"]
    search_columns = ["name", "code", "address", "district_code", "project_name", "presale_permit_no"]
    search_form_extra_fields = {
        "district_code": SelectField(_l("District"), choices=lambda: code_choices(KIND_DISTRICT)),
    }
    label_columns = {
        "code": _l("Area code"), "name": _l("Property area name"), "organisation": _l("Developer"),
        "district_code": _l("District"), "address": _l("Address"), "project_name": _l("Project name"),
        "presale_permit_no": _l("Pre-sale permit No."), "land_use_cert_no": _l("Land use certificate No."),
        "planned_households": _l("Planned households"),
        "total_building_area": _l("Total building area (m²)"),
        "contact": _l("Contact person"), "contact_phone": _l("Contact phone"),
        "trade_project_ids": _l("Trading-system project"), "created_at": _l("Created"),
        "deposit_time_points": _l("Deposit time point"),
        **_FIGURE_LABELS,
    }
    formatters_columns = {"district_code": code_formatter(KIND_DISTRICT), "created_at": when, **_MONEY}
    export_file_name = "property-areas"
    export_sheet_name = _l("Property areas")

    def export_columns(self) -> list[Column]:
        return [
            Column(_("Area code"), "code"), Column(_("Property area name"), "name", width=24),
            Column(_("District"), "district_code", width=10,
                   codes=list(code_labels(KIND_DISTRICT).items())),
            Column(_("Address"), "address", width=30),
            Column(_("Number of buildings"), "building_count", ColumnType.INT, width=8),
            Column(_("Number of houses"), "house_count", ColumnType.INT, width=8),
            Column(_("Amount due"), "due_total", ColumnType.DECIMAL),
            Column(_("Paid"), "paid_total", ColumnType.DECIMAL),
            Column(_("Unpaid"), "unpaid_total", ColumnType.DECIMAL),
        ]

    def prepare_rows(self, items: Sequence[PropertyArea]) -> None:
        _attach(items, _figures(House.area_id, [item.id for item in items]))

    def find_options(self, text: str, page: int) -> Any:
        # The business forms' boxes ask with ?active=1: an order or a notice takes only areas in use.
        return area_options(db.session, current_scope(), text, page,
                            active_only=request.args.get("active") == "1")


class BuildingView(RegisterView):
    route_base = "/property/buildings"
    datamodel = SQLAInterface(Building)
    class_permission_name = RES_BUILDING
    method_permission_name = {**MODEL_VIEW_METHODS, "export": "read", "options": "read"}
    include_route_methods = OPTION_ROUTES
    ajax_search_relations = {"area": ("PropertyAreaView.options", area_labels)}

    list_title = _l("Buildings")
    show_title = _l("Building")
    list_columns = ["code", "name", "area", "structure_code", "built_ym", "floors", "house_count",
                    "due_total", "paid_total"]
    show_columns = ["code", "name", "area", "structure_code", "built_ym", "floors", "unit_count",
                    "address", "trade_building_code", "house_count", "due_total", "paid_total", "unpaid_total",
                    "created_at"]
    search_columns = ["name", "code", "area", "structure_code", "built_ym", "floors", "address"]
    search_form_extra_fields = {
        "structure_code": SelectField(_l("Building structure"), choices=lambda: code_choices(KIND_STRUCTURE)),
    }
    label_columns = {
        "code": _l("Building code"), "name": _l("Building name"), "area": _l("Property area"),
        "structure_code": _l("Building structure"), "built_ym": _l("Completed (year-month)"),
        "floors": _l("Floors"), "unit_count": _l("Units"), "address": _l("Address"),
        "trade_building_code": _l("Trading-system building code"), "created_at": _l("Created"),
        **_FIGURE_LABELS,
    }
    formatters_columns = {"structure_code": code_formatter(KIND_STRUCTURE), "created_at": when, **_MONEY}
    export_file_name = "buildings"
    export_sheet_name = _l("Buildings")

    def export_columns(self) -> list[Column]:
        return [
            Column(_("Building code"), "code", width=18), Column(_("Building name"), "name"),
            Column(_("Property area"), "area_name", width=24),
            Column(_("Building structure"), "structure_code",
                   codes=list(code_labels(KIND_STRUCTURE).items())),
            Column(_("Completed (year-month)"), "built_ym", width=10),
            Column(_("Floors"), "floors", ColumnType.INT, width=8),
            Column(_("Address"), "address", width=30),
            Column(_("Number of houses"), "house_count", ColumnType.INT, width=8),
            Column(_("Amount due"), "due_total", ColumnType.DECIMAL),
            Column(_("Paid"), "paid_total", ColumnType.DECIMAL),
        ]

    def export_row(self, item: Building, keys: Sequence[str]) -> dict[str, Any]:
        row = super().export_row(item, keys)
        row["area_name"] = item.area.name
        return row

    def prepare_rows(self, items: Sequence[Building]) -> None:
        preload_parents(items, ["area"])
        _attach(items, _figures(House.building_id, [item.id for item in items]))

    def find_options(self, text: str, page: int) -> Any:
        area_id = row_id(request.args.get("area_id")) if request.args.get("area_id") else None
        return building_options(db.session, current_scope(), text, page, area_id=area_id)


class HouseKeywordFilter(BaseFilter):
    """One box for house number, room, contract number, owner name or owner ID number."""

    name = _l("Keyword")
    arg_name = "kw"

    def apply(self, query: Any, value: Any) -> Any:
        text = (value or "").strip()
        if not text:
            return query
        # A union of one lookup per thing matched, not one OR: each part is answered by its own
        # index on PostgreSQL (trigram indexes for the "contains" parts), where an OR over a
        # subquery reads every house of the scope.
        matches = union(
            select(House.id).where(House.code.contains(text, autoescape=True)),
            select(House.id).where(House.room == text),
            select(House.id).where(House.contract_no.contains(text, autoescape=True)),
            select(Owner.house_id).where(or_(Owner.name.contains(text, autoescape=True),
                                             Owner.id_no == text.upper())))
        return query.filter(House.id.in_(matches))


class HouseView(RegisterView):
    route_base = "/property/houses"
    datamodel = SQLAInterface(House)
    class_permission_name = RES_HOUSE
    method_permission_name = {**MODEL_VIEW_METHODS, "export": "export"}
    show_template = "property/house_show.html"
    keyword_hint = _l("House No., room, contract No., owner name or ID number")

    list_title = _l("House list")
    show_title = _l("House")
    list_columns = ["code", "area", "building", "unit", "floor", "room", "building_area", "use_code",
                    "has_lift", "status", "amount_due", "paid_amount", "contract_no"]
    show_columns = ["code", "area", "building", "unit", "floor", "room", "address", "building_area",
                    "inner_area", "use_code", "has_lift", "sales_status", "price", "status",
                    "amount_due", "paid_amount", "outstanding_amount", "deposit_state",
                    "standard_text", "deposit_time_point", "opened_at", "source", "trade_house_code",
                    "contract_no", "contract_bound_at", "closed_at"]
    show_fieldsets = [
        (_l("House"), {"fields": ["code", "area", "building", "unit", "floor", "room", "address",
                                  "building_area", "inner_area", "use_code", "has_lift", "sales_status",
                                  "price", "source", "trade_house_code"]}),
        (_l("Fund account"), {"fields": ["status", "amount_due", "paid_amount", "outstanding_amount",
                                         "deposit_state", "standard_text", "deposit_time_point",
                                         "opened_at", "closed_at"]}),
        (_l("Sale contract"), {"fields": ["contract_no", "contract_bound_at"]}),
    ]
    ajax_search_relations = {"building": ("BuildingView.options", building_labels),
                             "area": ("PropertyAreaView.options", area_labels)}
    search_columns = ["code", "room", "unit", "floor", "building", "area", "status", "use_code",
                      "sales_status", "has_lift", "contract_no"]
    search_form_extra_fields = {
        "status": SelectField(_l("Account status"),
                              choices=[(k, v) for k, v in HOUSE_STATUS_LABELS.items()]),
        "use_code": SelectField(_l("House use"), choices=lambda: code_choices(KIND_HOUSE_USE)),
    }
    label_columns = {
        "code": _l("House No."), "area": _l("Property area"), "building": _l("Building"),
        "unit": _l("Unit"), "floor": _l("Floor"), "room": _l("Room"), "address": _l("Address"),
        "building_area": _l("Building area (m²)"), "inner_area": _l("Inner area (m²)"),
        "use_code": _l("House use"), "has_lift": _l("Lift"), "sales_status": _l("Sales status"),
        "price": _l("House price"), "status": _l("Account status"), "amount_due": _l("Amount due"),
        "paid_amount": _l("Paid"), "outstanding_amount": _l("Outstanding"),
        "deposit_state": _l("Deposit state"), "standard_text": _l("Deposit standard"),
        "deposit_time_point": _l("Deposit time point"), "opened_at": _l("Account opened"),
        "source": _l("Source"), "trade_house_code": _l("Trading-system house code"),
        "contract_no": _l("Contract No."), "contract_bound_at": _l("Contract bound"),
        "closed_at": _l("Closed"),
    }
    formatters_columns = {
        "use_code": code_formatter(KIND_HOUSE_USE), "has_lift": yes_no,
        "sales_status": code_formatter(KIND_SALES_STATUS),
        "status": _label(HOUSE_STATUS_LABELS), "source": _label(SOURCE_LABELS),
        "deposit_state": _label(DEPOSIT_STATE_LABELS), "deposit_time_point": when,
        "opened_at": when, "contract_bound_at": when, "closed_at": when, **_MONEY,
    }
    export_file_name = "houses"
    export_sheet_name = _l("House list")

    def export_columns(self) -> list[Column]:
        return [
            Column(_("House No."), "code", width=22),
            Column(_("Property area"), "area_name", width=20),
            Column(_("Building"), "building_name"), Column(_("Unit"), "unit", width=8),
            Column(_("Floor"), "floor", ColumnType.INT, width=8), Column(_("Room"), "room", width=8),
            Column(_("Building area (m²)"), "building_area", ColumnType.DECIMAL),
            Column(_("House use"), "use_code", codes=list(code_labels(KIND_HOUSE_USE).items())),
            Column(_("Lift"), "has_lift", width=8),
            Column(_("Sales status"), "sales_status", width=10),
            Column(_("Account status"), "status", width=10, codes=list(HOUSE_STATUS_LABELS.items())),
            Column(_("Amount due"), "amount_due", ColumnType.DECIMAL),
            Column(_("Paid"), "paid_amount", ColumnType.DECIMAL),
            Column(_("Outstanding"), "outstanding_amount", ColumnType.DECIMAL),
            Column(_("Deposit standard"), "standard_text", width=16),
            Column(_("Contract No."), "contract_no", width=20),
        ]

    def export_row(self, item: House, keys: Sequence[str]) -> dict[str, Any]:
        row = super().export_row(item, keys)
        row.update(area_name=item.area.name, building_name=item.building.name)
        return row

    def export_values(self, query: Any, columns: Sequence[Column]) -> Iterable[Sequence[Any]]:
        """A city's houses as plain rows from one statement: the area and building names joined,
        each house's balance joined from the ledger of the same houses (one grouped pass, not a
        query per chunk), paid and outstanding as ``prepare_rows`` sets them."""
        area, building = aliased(PropertyArea), aliased(Building)
        named = {"area_name": area.name, "building_name": building.name}
        figures = ("paid_amount", "outstanding_amount")
        stored = [key for key in (column.key for column in columns) if key not in figures]
        # The exported houses (same filters and scope) limit the ledger rows summed.
        paid = paid_of(query.with_entities(House.id).order_by(None).statement)
        # Each row is (amount due, *stored, balance); ``pick`` puts the cells of (amount due,
        # *stored, paid, outstanding) in the columns' order.
        slots = {key: 1 + n for n, key in enumerate(stored)}
        slots.update({key: 1 + len(stored) + n for n, key in enumerate(figures)})
        pick = itemgetter(*(slots[column.key] for column in columns))
        rows = (query.outerjoin(area, area.id == House.area_id)
                .outerjoin(building, building.id == House.building_id)
                .outerjoin(paid, paid.c.house_id == House.id)
                .with_entities(House.amount_due,
                               *(named[key] if key in named else getattr(House, key)
                                 for key in stored), paid.c.paid))
        for chunk in export_chunks(rows):
            for row in chunk:
                balance = quantize_money(Decimal(row[-1] or 0))
                yield pick((*row[:-1], balance, outstanding(row[0], balance)))

    def request_filters(self, filters: Filters) -> None:
        keyword = request.args.get("q", "").strip()
        if keyword and request.endpoint in (f"{self.endpoint}.list", f"{self.endpoint}.export"):
            filters.add_filter("id", HouseKeywordFilter, keyword[:60])

    def prepare_rows(self, items: Sequence[House]) -> None:
        # Set on the rows, so an export's 1,000-row chunk finds them without a query per row.
        preload_parents(items, ["building", "area"])
        found = balances(db.session, [item.id for item in items])
        for item in items:
            paid = found[item.id].balance
            item.paid_amount = paid
            item.outstanding_amount = outstanding(item.amount_due, paid)
            item.deposit_state = deposit_state(item.amount_due, paid)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: str) -> Any:
        widgets = self._show(pk)  # 404 for a house outside the user's scope
        house = get_owned_or_404(db.session, House, pk)
        owners = db.session.scalars(scoped(select(Owner), Owner).where(Owner.house_id == house.id)
                                    .order_by(Owner.seq, Owner.id)).all()
        return self.render_template(
            self.show_template, pk=pk, title=self.show_title, widgets=widgets,
            related_views=self._related_views, owners=owners, ledger=entries(db.session, house.id),
            ownership_history=ownership_history(db.session, house),
            refunds=house_refunds(db.session, current_scope(), house.id),
            refund_endpoint=refund_endpoint(), refund_number=refund_number,
            refund_status=refund_status_label,
            entry_labels=ENTRY_LABELS, id_types=code_labels(KIND_ID_TYPE),
            payment_types=code_labels(KIND_PAYMENT_TYPE), money=money, when=when,
        )


PropertyAreaView.related_views = [BuildingView, HouseView]
BuildingView.related_views = [HouseView]


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(PropertyAreaView, "Property areas", label=_l("Property areas"),
                        icon="fa-map-marked-alt", category=CATEGORY_PROPERTY)
    appbuilder.add_view(BuildingView, "Buildings", label=_l("Buildings"), icon="fa-building",
                        category=CATEGORY_PROPERTY)
    appbuilder.add_view(HouseView, "Houses", label=_l("House list"), icon="fa-home",
                        category=CATEGORY_PROPERTY)
