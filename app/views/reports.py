"""统计报表 (§7): the report screens, their Excel export and prints, and the dashboards.

Thin: filters are parsed by the report service, the scope comes from the one tenant filter, and
every id a link or filter carries is only a filter value (another organisation's id finds nothing).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from typing import Any, Optional

from flask import request, send_file, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.documents.excel.export import export_rows
from app.documents.printing import html_to_pdf, render_html
from app.errors import ValidationFailed
from app.extensions import db
from app.models.codes import KIND_DISTRICT
from app.models.order import ORDER_STATES, ORDER_TYPES
from app.models.organisation import Organisation
from app.models.payment import CHANNELS, REFUND_STATES
from app.models.property import PropertyArea
from app.security.roles import RES_REPORTS
from app.security.tenant import current_scope, scoped_select
from app.services.payments.documents import CHANNEL_LABELS
from app.services.payments.notices import local_today
from app.services.reports import REPORTS, build_report, dashboard, deposits
from app.services.reports.common import LEVELS, Filters, Report, parse_filters
from app.services import standards
from app.services.options import area_labels, organisation_labels
from app.services.reports.labels import ORDER_TYPE_LABELS, REFUND_STATUS_LABELS, order_status_label
from app.views.base import code_choices, code_labels
from app.views.menus import CATEGORY_REPORTS
from app.views.notices import pdf_response
from app.views.payments import XLSX_MIMETYPE

REGISTER_ORDER = 80

REPORT_NAMES = "any(" + ",".join(REPORTS) + ")"
#: Reports a clerk prints: the statistics sheet, and the 催交通知 letters of the arrears list.
PRINTABLE_NAMES = ("deposits", "arrears", "renew", "journal")
PRINTABLE = "any(" + ",".join(PRINTABLE_NAMES) + ")"
PRINT_ROWS_LIMIT = 5000


def _filters() -> Filters:
    return parse_filters(request.args)


def _report(name: str, filters: Filters, everything: bool = False) -> Report:
    return build_report(db.session, current_scope(), name, filters, everything=everything,
                        renew_threshold=renew_threshold())


def renew_threshold() -> Decimal:
    """The 续筹 threshold in force today, in percent (data beside the deposit standards)."""
    return standards.renew_threshold(db.session)


def _link(target: str, row: dict[str, Any], filters: Filters) -> Optional[str]:
    """The list behind a figure: the next level of 交存统计, the arrears of a place, a house, a notice."""
    base = {k: v for k, v in filters.as_args().items() if k in ("district",)}
    if target == "deposits_area" and row.get("org_id"):
        return url_for("ReportsView.report", name="deposits", level="area", org_id=row["org_id"], **base)
    if target == "deposits_building" and row.get("area_id"):
        return url_for("ReportsView.report", name="deposits", level="building", area_id=row["area_id"],
                       **base)
    if target in ("arrears", "arrears_building", "arrears_org"):
        for key in ("building_id", "area_id", "org_id"):
            if row.get(key) and not (target == "arrears_org" and key != "org_id"):
                return url_for("ReportsView.report", name="arrears", **{key: row[key]}, **base)
    if target == "house" and row.get("house_id"):
        return url_for("HouseView.show", pk=row["house_id"])
    if target == "notice" and row.get("notice_id"):
        return url_for("NoticeView.show", pk=row["notice_id"])
    return None


def _choices(filters: Filters) -> dict[str, Any]:
    """The filter drop-downs. Developers and areas are too many to print (hundreds of developers,
    every area of the city): their boxes ask for options as the user types (ajax-select.js), and
    the page names only the values it was opened with, under the user's scope. A developer user
    gets no developer box at all: its reports cover its own organisation only.
    """
    scope = current_scope()
    chosen_orgs = organisation_labels(db.session, scope, [filters.org_id]) if filters.org_id else []
    chosen_areas = area_labels(db.session, scope, [filters.area_id]) if filters.area_id else []
    return {
        "org_box": scope.internal, "chosen_orgs": chosen_orgs, "chosen_areas": chosen_areas,
        "districts": code_choices(KIND_DISTRICT),
        "channels": [(c, str(CHANNEL_LABELS[c])) for c in CHANNELS],
        "order_types": [(t, str(ORDER_TYPE_LABELS.get(t, t))) for t in ORDER_TYPES],
        "order_statuses": [(s, order_status_label(s)) for s in ORDER_STATES],
        "refund_statuses": [(s, str(REFUND_STATUS_LABELS[s])) for s in REFUND_STATES],
        "levels": [(lv, str(label)) for lv, label in zip(LEVELS, (_l("Developer"), _l("Property area"),
                                                                 _l("Building")))],
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(report: Report, filters: Filters) -> dict[str, Any]:
    """Rows as displayed text with their links, and the totals row."""
    keys = [c.key for c in report.columns]
    numeric = {c.key for c in report.columns if c.type in ("int", "decimal")}
    rows = [[(_cell(row.get(k)), _link(report.links[k], row, filters) if k in report.links else None,
              k in numeric) for k in keys] for row in report.rows]
    totals = None
    if report.totals is not None:
        totals = [_cell(report.totals.get(k)) for k in keys]
        totals[0] = totals[0] or _("Total")
        if keys[0] in report.totals:
            totals[0] = _("Total: %(value)s", value=totals[0])
    return {"rows": rows, "totals": totals, "numeric": numeric}


def _export_rows(report: Report) -> list[dict[str, Any]]:
    """The rows as shown, then the totals row, so the sheet holds exactly the screen's table."""
    keys = [c.key for c in report.columns]
    rows = [{k: row.get(k) for k in keys} for row in report.rows]
    if report.totals is not None:
        total = {k: report.totals.get(k) for k in keys}
        first = total.get(keys[0])
        total[keys[0]] = _("Total") if first is None else _("Total: %(value)s", value=_cell(first))
        rows.append(total)
    return rows


class ReportsView(BaseView):
    """Read / export / print on Reports (fund office, developer admins and payment staff)."""

    route_base = "/reports"
    class_permission_name = RES_REPORTS
    base_permissions = ["can_read", "can_export", "can_print"]
    method_permission_name = {"report": "read", "export": "export", "print_report": "print"}

    @expose(f"/<{REPORT_NAMES}:name>/")
    @has_access
    def report(self, name: str) -> Any:
        title, _builder, offered = REPORTS[name]
        try:
            filters = _filters()
        except ValidationFailed as error:
            return self.render_template("reports/report.html", name=name, title=str(title),
                                        offered=offered, filters=Filters(), args={}, error=error,
                                        report=None, table=None, printable=_printable(name),
                                        **_choices(Filters())), error.status
        report = _report(name, filters)
        return self.render_template("reports/report.html", name=name, title=str(title), offered=offered,
                                    filters=filters, args=filters.as_args(), error=None, report=report,
                                    table=_table(report, filters), printable=_printable(name),
                                    **_choices(filters))

    @expose(f"/<{REPORT_NAMES}:name>/export")
    @has_access
    def export(self, name: str) -> Any:
        report = _report(name, _filters(), everything=True)
        data = export_rows(report.columns, _export_rows(report), str(report.title)[:31])
        stamp = local_today().strftime("%Y%m%d")
        return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=f"{report.title}-{stamp}.xlsx")

    @expose(f"/<{PRINTABLE}:name>/print")
    @has_access
    def print_report(self, name: str) -> Any:
        filters = _filters()
        today = local_today()
        if name == "arrears" and request.args.get("letters") == "1":
            letters = deposits.arrears_by_building(db.session, current_scope(), filters)
            html = render_html("arrears_letter.html", letters=letters[:PRINT_ROWS_LIMIT], today=today)
            return _print_answer(html, f"催交通知-{today:%Y%m%d}.pdf")
        report = _report(name, filters, everything=True)
        report.rows = report.rows[:PRINT_ROWS_LIMIT]
        keys = [c.key for c in report.columns]
        total_width = sum(c.width for c in report.columns)
        html = render_html("report_table.html", title=str(report.title), today=today,
                           headers=[c.header for c in report.columns],
                           widths=[186.0 * c.width / total_width for c in report.columns],
                           numeric=[c.type in ("int", "decimal") for c in report.columns],
                           rows=[[row.get(k) for k in keys] for row in report.rows],
                           totals=[r for r in (_export_rows(report)[-1:] if report.totals else [])],
                           keys=keys, notes=[str(n) for n in report.notes],
                           filters=_filter_text(filters))
        return _print_answer(html, f"{report.title}-{today:%Y%m%d}.pdf")


def _printable(name: str) -> bool:
    return name in PRINTABLE_NAMES


def _print_answer(html: str, name: str) -> Any:
    """The PDF; ``?format=html`` gives the printable page itself (browser printing)."""
    if request.args.get("format") == "html":
        return html
    return pdf_response(html_to_pdf(html), name)


def _filter_text(filters: Filters) -> str:
    """The filters printed under a report's title, with names instead of ids."""
    parts = []
    if filters.org_id:
        org = db.session.scalar(scoped_select(Organisation).where(Organisation.id == filters.org_id))
        parts.append(_("Developer: %(name)s", name=org.name if org else "-"))
    if filters.area_id:
        area = db.session.scalar(scoped_select(PropertyArea).where(PropertyArea.id == filters.area_id))
        parts.append(_("Property area: %(name)s", name=area.name if area else "-"))
    if filters.district:
        parts.append(_("District: %(name)s", name=code_labels(KIND_DISTRICT).get(filters.district, "-")))
    if filters.date_from or filters.date_to:
        parts.append(_("Period: %(start)s to %(end)s", start=filters.date_from or "…",
                       end=filters.date_to or "…"))
    if filters.channel:
        parts.append(_("Channel: %(name)s", name=CHANNEL_LABELS[filters.channel]))
    return "　".join(parts)


class DashboardView(BaseView):
    """The dashboards: the fund office's city-wide one, or a developer's own (read on Reports)."""

    route_base = "/dashboard"
    class_permission_name = RES_REPORTS
    base_permissions = ["can_read"]
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        scope = current_scope()
        if scope.internal:
            charts = dashboard.office_dashboard(db.session, scope, code_labels(KIND_DISTRICT), local_today())
        else:
            charts = dashboard.developer_dashboard(db.session, scope)
        tables, data = [], []
        for chart in charts:
            links = [_chart_link(chart, args) for args in chart.links]
            tables.append({"head": chart.table_head,
                           "rows": [([_cell(v) for v in row], link)
                                    for row, link in zip(chart.table_rows, links)]})
            clicks = links if chart.category_args is None else [
                _chart_link(chart, args) for args in chart.category_args]
            data.append({**chart.as_json(), "links": clicks})
        return self.render_template("reports/dashboard.html", charts=charts, tables=tables,
                                    charts_data=data, office=scope.internal)


def _chart_link(chart: dashboard.Chart, args: Optional[dict[str, Any]]) -> Optional[str]:
    if chart.link_report == "outbox":
        return url_for("TradeOutboxView.list")
    if chart.link_report == "notices":
        return url_for("NoticeView.list")
    if args is None or chart.link_report not in REPORTS:
        return None
    return url_for("ReportsView.report", name=chart.link_report, **args)


MENU_DASHBOARD = "Dashboard"
MENU_ITEMS = [("deposits", "Deposit statistics", "fa-table"), ("arrears", "Arrears list", "fa-exclamation-circle"),
              ("renew", "Replenishment warnings", "fa-battery-quarter"),
              ("journal", "Payment journal", "fa-stream"), ("orders", "Order statistics", "fa-tasks"),
              ("refunds", "Refund ledger", "fa-undo")]


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(DashboardView, MENU_DASHBOARD, label=_l("Dashboard"), href="/dashboard/",
                        icon="fa-chart-pie", category=CATEGORY_REPORTS)
    appbuilder.add_view_no_menu(ReportsView)
    for name, menu, icon in MENU_ITEMS:
        appbuilder.add_link(menu, label=REPORTS[name][0], href=f"/reports/{name}/", icon=icon,
                            category=CATEGORY_REPORTS)
