"""Crafted request arguments become a 400/404 before any view (FAB's own included) sees them.

FAB trusts its list arguments: a filter index past a column's filters (``_flt_9_area``) is an
IndexError, an unknown action name an AttributeError (before the permission check), a page number
past 64 bits or a negative page an SQL error, an unknown ``_oc_`` column an SQL compile error, and
its ``download/<filename>`` serves uploads (or crashes) on views that have no file at all. Checking
the arguments once, here, for every route, means no view can forget, and FAB's security screens
(users, roles, groups, permissions) are covered as well as ours.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import prison
from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict

#: Page numbers and sizes beyond this are refused (an OFFSET past it only ever finds nothing).
MAX_PAGE_ARG = 1_000_000
_FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")
_PAGE_ARG = re.compile(r"(page|psize)_(.+)")
_ORDER_ARG = re.compile(r"_oc_(.+)")


def _views(app: Flask) -> dict[str, Any]:
    """Blueprint name and class name → view, built once per app."""
    views = app.extensions.get("jm_views_by_name")
    if views is None:
        views = {}
        for view in app.appbuilder.baseviews:
            views.setdefault(view.__class__.__name__, view)
            if getattr(view, "endpoint", None):
                views.setdefault(view.endpoint, view)
        app.extensions["jm_views_by_name"] = views
    return views


def _bad_request(message: str) -> None:
    abort(400, description=message)


def _int_arg(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or abs(number) > MAX_PAGE_ARG:
        _bad_request(_("The page argument %(name)s is not a usable number.", name=name))
    return number


def _check_actions(view: Any, method_name: str) -> None:
    if method_name == "download" and hasattr(view, "datamodel"):
        # The platform keeps no file columns: FAB's download would only serve (or crash on) files
        # that belong to no row of this screen.
        abort(404)
    if method_name in ("action", "action_post"):
        if method_name == "action":
            name = (request.view_args or {}).get("name")
        else:
            name = request.form.get("action")
        if not name or name not in (getattr(view, "actions", None) or {}):
            abort(404, description=_("There is no such action."))


def _filter_value_problem(view: Any, column: str, values: list[str]) -> Optional[str]:
    """Why FAB cannot use these values for ``column``: it hands anything but "y" to a boolean
    column and any text to a relation's id, which PostgreSQL refuses (a 500)."""
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return None
    try:
        boolean, relation = datamodel.is_boolean(column), datamodel.is_relation(column)
    except Exception:  # noqa: BLE001 - a dotted or unknown column: FAB ignores it
        return None
    for value in values:
        if boolean and value != "y":
            return "boolean"
        if relation and not value.isdigit():
            return "relation"
    return None


def _check_filters(view: Optional[Any]) -> set[str]:
    """Refuse impossible filters; returns the empty ones to drop (an unfinished search row)."""
    filters = getattr(getattr(view, "_filters", None), "_all_filters", None) or {}
    empty: set[str] = set()
    for arg in request.args:
        match = _FILTER_ARG.fullmatch(arg)
        if match is None:
            continue
        index, column = int(match.group(1)), match.group(2)
        if column not in filters:
            continue
        if index >= len(filters[column]):
            _bad_request(_("The search filter %(name)s does not exist.", name=arg))
        values = request.args.getlist(arg)
        if not any(values):
            if _filter_value_problem(view, column, ["x"]):
                empty.add(arg)
            continue
        if _filter_value_problem(view, column, values):
            _bad_request(_("The value of the search filter %(name)s is not valid.", name=arg))
    return empty


def _cleaned_list_args(views: dict[str, Any], dropped: set[str]) -> Optional[ImmutableMultiDict]:
    """The query arguments with paging checked and ``dropped`` left out; None when nothing needs
    dropping.

    A page size below 1 falls back to the screen's default and an order column the screen does
    not offer is ignored, as on the platform's own lists; anything that is not a number is a 400.
    """
    for arg in request.args:
        page = _PAGE_ARG.fullmatch(arg)
        if page is not None:
            number = _int_arg(arg, request.args[arg])
            if page.group(1) == "page" and number < 0:
                _bad_request(_("The page argument %(name)s is not a usable number.", name=arg))
            if page.group(1) == "psize" and number < 1:
                dropped.add(arg)
            continue
        order = _ORDER_ARG.fullmatch(arg)
        if order is not None:
            view = views.get(order.group(1))
            if view is None or request.args[arg] not in (getattr(view, "order_columns", None) or ()):
                dropped.add(arg)
    if not dropped:
        return None
    return ImmutableMultiDict([(key, value) for key, value in request.args.items(multi=True)
                               if key not in dropped])


def _check_rison() -> None:
    """FAB validates ``q``'s shape but not how large its page numbers are."""
    raw = request.args.get("q")
    if not raw:
        return
    try:
        args = prison.loads(raw)
    except Exception:  # noqa: BLE001 - FAB answers broken rison with its own 400
        return
    if not isinstance(args, dict):
        return
    for key in ("page", "page_size"):
        value = args.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_PAGE_ARG or (key == "page" and value < 0):
                _bad_request(_("The page argument %(name)s is not a usable number.", name=key))


def check_request_arguments() -> None:
    """``before_request``: refuse crafted list, action and API arguments on every route."""
    if request.endpoint is None or request.endpoint in ("static", "appbuilder.static"):
        return
    views = _views(current_app)
    blueprint, _dot, method_name = request.endpoint.rpartition(".")
    view = views.get(blueprint) if blueprint else None
    if view is not None:
        _check_actions(view, method_name)
    empty_filters = _check_filters(view)
    if request.path.startswith("/api/"):
        _check_rison()
    cleaned = _cleaned_list_args(views, set(empty_filters))
    if cleaned is not None:
        request.args = cleaned


def install(app: Flask) -> None:
    app.before_request(check_request_arguments)
