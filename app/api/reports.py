"""REST API of the reports: ``GET /api/v1/report/<name>`` with the screens' filters as query
arguments (``org_id``, ``area_id``, ``building_id``, ``district``, ``date_from``, ``date_to``,
``channel``, ``status``, ``order_type``, ``level``, ``threshold``, ``page``). JWT from
``/api/v1/security/login``; a developer's figures cover its own organisation only, whatever the
filters say. Answers the columns, the page's rows and the totals over every matching row.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.errors import DomainError
from app.extensions import db
from app.security.roles import RES_REPORTS
from app.security.tenant import current_scope
from app.services.reports import REPORTS, build_report
from app.services.reports.common import parse_filters
from app.views.reports import renew_threshold


def _plain(value: Any) -> Any:
    """JSON form of a cell: money as a string with two decimals, dates as ISO."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class ReportsApi(BaseApi):
    resource_name = "report"
    class_permission_name = RES_REPORTS
    method_permission_name = {"get_report": "read"}
    openapi_spec_tag = "Reports"

    @expose("/<string:name>", methods=["GET"])
    @protect()
    @safe
    def get_report(self, name: str) -> Any:
        """One report (deposits, arrears, renew, journal, orders, refunds) under the tenant filter.
        ---
        get:
          parameters:
          - in: path
            name: name
            required: true
            schema:
              type: string
              enum: [deposits, arrears, renew, journal, orders, refunds]
          - in: query
            name: org_id
            schema: {type: integer}
          - in: query
            name: area_id
            schema: {type: integer}
          - in: query
            name: date_from
            schema: {type: string, format: date}
          - in: query
            name: date_to
            schema: {type: string, format: date}
          - in: query
            name: page
            schema: {type: integer}
          responses:
            200:
              description: columns, rows of the page, totals, row_count, page, pages
            404:
              description: No such report
            422:
              description: A filter is invalid
        """
        if name not in REPORTS:
            return self.response_404()
        try:
            filters = parse_filters(request.args)
        except DomainError as error:
            return self.response(error.status, **error.to_dict())
        report = build_report(db.session, current_scope(), name, filters,
                              renew_threshold=renew_threshold())
        keys = [c.key for c in report.columns]
        return self.response(
            200, name=name, title=str(report.title),
            columns=[{"key": c.key, "header": c.header, "type": str(c.type)} for c in report.columns],
            rows=[{k: _plain(row.get(k)) for k in keys} for row in report.rows],
            totals={k: _plain(v) for k, v in (report.totals or {}).items() if k in keys},
            row_count=report.row_count, page=report.page, pages=report.pages,
            notes=[str(n) for n in report.notes])


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_api(ReportsApi)
