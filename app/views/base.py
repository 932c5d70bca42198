"""What every platform ModelView shares: bounded pages, tenant-scoped dropdowns and actions,
no FAB file download, a hook to decorate a page's rows, and Excel export of the filtered list.

FAB trusts the ``psize_<View>`` argument (a user could ask for a million rows), loads action
items without ``base_filters`` and serves any file of UPLOAD_FOLDER through ``download/``; the
mixins below close those gaps once, so a view that uses them cannot forget.

    class MyView(PlatformModelView):          # or mix the parts into your own base
        datamodel = SQLAInterface(MyModel)
        base_filters = tenant_filters()
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from flask import abort, current_app, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, expose
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import Field

from app.documents.excel import export_rows, export_values
from app.domain.ids import row_id
from app.domain.localtime import local_today
from app.extensions import db
from app.models.codes import CodeItem
from app.security.tenant import current_scope, current_user, rel_query
from app.services.audit import record
from app.services.unit_of_work import flush_or_roll_back
from app.views.list_widgets import (PlatformListWidget, PlatformSearchWidget, PlatformShowWidget,
                                    keep_converted_filters)

#: The largest page any list shows, whatever ``psize_`` the request asks for.
MAX_PAGE_SIZE = 100
#: The most rows one Excel export writes (config EXPORT_MAX_ROWS), read in chunks of EXPORT_CHUNK.
EXPORT_MAX_ROWS = 100_000
EXPORT_CHUNK = 1000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PAGING_PREFIXES = ("page_", "psize_")


def bounded_page_size(requested: Optional[int], default: int, limit: int = MAX_PAGE_SIZE) -> int:
    """The page size to use: the request's if it is sane, never more than ``limit``."""
    if requested is None or requested < 1:
        return min(default, limit)
    return min(requested, limit)


def check_paging_args() -> None:
    """Refuse (400) non-numeric page arguments instead of letting FAB fail with a 500."""
    for name, value in request.args.items():
        if name.startswith(_PAGING_PREFIXES):
            try:
                int(value)
            except ValueError:
                abort(400)


def blank_none(value: Any) -> Any:
    return "" if value is None else value


def money(value: Any) -> str:
    """Show a Decimal amount as 1,234.50 (blank for None)."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def yes_no(value: Any) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def when(value: Any) -> str:
    """A date or timestamp in the user's locale and time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    return format_date(value, "yyyy-MM-dd")


def code_labels(kind: str) -> dict[str, str]:
    """code → label of one code table in the user's language, read once per request."""
    cache = g.setdefault("_code_labels", {})
    if kind not in cache:
        chinese = str(get_locale() or "zh").startswith("zh")
        rows = db.session.scalars(select(CodeItem).where(CodeItem.kind == kind)
                                  .order_by(CodeItem.sort_order, CodeItem.id))
        cache[kind] = {row.code: (row.name if chinese else row.name_en or row.name) for row in rows}
    return cache[kind]


def code_choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs of the active items of a code table, for select fields."""
    chinese = str(get_locale() or "zh").startswith("zh")
    rows = db.session.scalars(select(CodeItem).where(CodeItem.kind == kind, CodeItem.active.is_(True))
                              .order_by(CodeItem.sort_order, CodeItem.id))
    return [(row.code, row.name if chinese else row.name_en or row.name) for row in rows]


def code_formatter(kind: str) -> Callable[[Any], str]:
    """A ``formatters_columns`` entry showing a code as its label."""

    def label(value: Any) -> str:
        if value is None:
            return ""
        return code_labels(kind).get(value, str(value))

    return label


def is_tenant_model(model: Any) -> bool:
    """Rows of this model belong to an organisation (the tenant filter applies)."""
    return hasattr(model, "org_id")


class AjaxSelectWidget:
    """A select2 box that asks ``endpoint`` for options as the user types (app/static/js/ajax-select.js).

    Only the options of the values the page was opened with are printed (a search form opened
    with ``_flt_0_building=7`` shows building 7 by name), so the page costs the same however many
    rows the box can offer.
    """

    def __call__(self, field: "AjaxRelationField", **kwargs: Any) -> Markup:
        chosen = field.chosen_options()
        options = [Markup('<option value=""></option>')] + [
            Markup('<option value="{}">{}</option>').format(ident, text) for ident, text in chosen]
        return Markup('<select class="form-control jm-ajax-select" name="{}" data-url="{}">{}</select>').format(
            field.name, url_for(field.endpoint), Markup("").join(options))


class AjaxRelationField(Field):
    """A search-form field for a relation with many possible rows (areas, buildings).

    ``labels(session, scope, ids)`` names the values the request filters by, under the user's
    scope; the filter itself is FAB's relation filter on the submitted id.
    """

    widget = AjaxSelectWidget()

    def __init__(self, label: Any, endpoint: str,
                 labels: Callable[[Any, Any, list[int]], list[tuple[int, str]]], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.endpoint = endpoint
        self.labels = labels

    def chosen_options(self) -> list[tuple[int, str]]:
        suffix = f"_{self.name}"
        ids = {row_id(value) for key, value in request.args.items(multi=True)
               if key.startswith("_flt_") and key.endswith(suffix)} - {None}
        return self.labels(db.session, current_scope(), sorted(ids)) if ids else []


def options_answer(find: Callable[[str, int], Any]) -> Any:
    """The JSON answer of a search box's options endpoint: ``?q=text&page=n`` → ``find(text, n)``
    (an ``app.services.options.OptionPage``; None: the view has no such box, 404)."""
    page = row_id(request.args.get("page", "1")) or 1
    found = find(request.args.get("q", ""), page)
    if found is None:
        abort(404)
    return jsonify(found.to_dict())


class BoundedListMixin:
    """Cap page sizes, scope relation dropdowns, and let a view decorate the rows it shows."""

    page_size = 25
    max_page_size = MAX_PAGE_SIZE
    list_widget = PlatformListWidget
    search_widget = PlatformSearchWidget
    show_widget = PlatformShowWidget
    #: Relation search columns whose options are fetched as the user types:
    #: column → (options endpoint, labels(session, scope, ids)). The rest print every option.
    ajax_search_relations: dict[str, tuple[str, Callable[..., list[tuple[int, str]]]]] = {}

    def _init_forms(self) -> None:
        extra = dict(getattr(self, "search_form_extra_fields", None) or {})
        for column, (endpoint, labels) in self.ajax_search_relations.items():
            label = (self.label_columns or {}).get(column, column)
            extra.setdefault(column, AjaxRelationField(label, endpoint, labels))
        self.search_form_extra_fields = extra
        # Any relation to a tenant model gets the tenant filter in search, add and edit forms
        # unless the view chose its own filter: a dropdown must never list another organisation.
        for attr, columns in (("search_form_query_rel_fields", self.search_columns),
                              ("add_form_query_rel_fields", getattr(self, "add_columns", None)),
                              ("edit_form_query_rel_fields", getattr(self, "edit_columns", None))):
            chosen = dict(getattr(self, attr, None) or {})
            for column in columns or []:
                if column in chosen or not self.datamodel.is_relation(column):
                    continue
                if is_tenant_model(self.datamodel.get_related_model(column)):
                    chosen[column] = rel_query(self.datamodel.get_related_model(column))
            setattr(self, attr, chosen)
        super()._init_forms()

    def _init_properties(self) -> None:
        keep_converted_filters(self.datamodel)
        super()._init_properties()
        # FAB offers ordering by any list column, also figures a view attaches in prepare_rows;
        # only real columns can be ordered by the database.
        real = self.datamodel.list_columns
        self.order_columns = [c for c in self.order_columns if c in real or "." in c]
        # FAB prints an empty value as "None"; show nothing instead.
        formatters = dict(self.formatters_columns or {})
        for column in [*self.list_columns, *self.show_columns]:
            formatters.setdefault(column, blank_none)
        self.formatters_columns = formatters

    def prepare_rows(self, items: Sequence[Any]) -> None:
        """Hook: attach figures to the rows of one page in a few queries (no N+1)."""

    def request_filters(self, filters: Filters) -> None:
        """Hook: add filters that come from this view's own request arguments (e.g. a keyword)."""

    def list_filters(self, filters: Filters) -> Filters:
        """The user's search filters joined with the base (tenant) filters and the view's own."""
        joined = filters.get_joined_filters(self._base_filters)
        self.request_filters(joined)
        return joined

    def _list(self, **kwargs: Any) -> Any:
        check_paging_args()
        return super()._list(**kwargs)

    def _show(self, pk: Any) -> Any:
        check_paging_args()
        if row_id(pk) is None:
            abort(404)
        return super()._show(pk)

    def _get_list_widget(self, filters: Filters, actions: Any = None, order_column: str = "",
                         order_direction: str = "", page: Optional[int] = None,
                         page_size: Optional[int] = None, widgets: Optional[dict] = None,
                         **kwargs: Any) -> dict:
        """FAB's list widget, with a bounded page and the ``prepare_rows`` hook."""
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = bounded_page_size(page_size, self.page_size, self.max_page_size)
        page = max(page or 0, 0)
        if order_column not in self.order_columns:
            order_column = ""  # FAB would hand any _oc_ argument to ORDER BY (a 500)
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        count, items = self.datamodel.query(self.list_filters(filters), order_column,
                                            order_direction, page=page, page_size=page_size)
        preload_parents(items, self.list_columns)
        self.prepare_rows(items)
        pks = [self._serialize_pk_if_composite(pk) for pk in self.datamodel.get_keys(items)]
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(items, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=count,
            pks=pks,
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **kwargs,
        )
        return widgets

    def _get_search_widget(self, form: Any = None, exclude_cols: Any = None,
                           widgets: Optional[dict] = None) -> dict:
        """FAB's, naming the view: the search widget keeps a view's labels and plain fields."""
        widgets = widgets or {}
        widgets["search"] = self.search_widget(
            route_base=self.route_base, form=form, include_cols=self.search_columns,
            exclude_cols=exclude_cols or [], filters=self._filters,
            modelview_name=self.__class__.__name__)
        return widgets

    def _get_show_widget(self, pk: Any, item: Any, widgets: Optional[dict] = None,
                         actions: Any = None, show_fieldsets: Any = None) -> dict:
        self.prepare_rows([item])
        return super()._get_show_widget(pk, item, widgets=widgets, actions=actions,
                                        show_fieldsets=show_fieldsets)


class ScopedActionsMixin:
    """FAB's action routes, but items load through ``base_filters`` (another tenant's id: 404)."""

    def _scoped_action(self, name: Optional[str]) -> Any:
        action = self.actions.get(name) if name else None
        if action is None:
            abort(404)
        permission = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission, self.class_permission_name):
            abort(403)
        return action

    def _scoped_item(self, pk: Any) -> Any:
        if row_id(pk) is None:
            abort(404)
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name: str, pk: Any) -> Any:
        if not self.is_get_mutation_allowed():
            abort(405)
        action = self._scoped_action(name)
        return action.func(self._scoped_item(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self) -> Any:
        action = self._scoped_action(request.form.get("action"))
        items = [self._scoped_item(pk) for pk in request.form.getlist("rowid")]
        if not items:
            return redirect(self.get_redirect())
        return action.func(items)


class ExportMixin:
    """``/export/``: the list as the user filtered it, as .xlsx, through the shared Excel engine.

    A view's ``export_columns()`` returns its ``app.documents.excel.Column`` specs and
    ``export_row`` turns an item into a row dict; figures come from ``prepare_rows`` as on screen.
    The columns are built once per export, so headers and code labels are translated once, not
    per row: a code shown as its label is a column with ``codes`` (the Excel engine maps them).
    """

    export_sheet_name: Any = _l("List")
    export_file_name = "export"

    def export_columns(self) -> list[Any]:
        """The sheet's columns, for the current request's language (code tables read here)."""
        return []

    def export_row(self, item: Any, keys: Sequence[str]) -> dict[str, Any]:
        """The cells of one row: the item's attributes named by the columns' ``keys``."""
        return {key: getattr(item, key, None) for key in keys}

    def export_values(self, query: Any, columns: Sequence[Any]
                      ) -> Optional[Iterable[Sequence[Any]]]:
        """The rows as sequences of values in the columns' order, read from ``query`` (the
        filtered, ordered list query) as plain database rows; None (the default) exports the
        items through ``prepare_rows`` and ``export_row``. A view with a very long list (the
        houses of a city) gives them here: no model object and no dict per row."""
        return None

    def _export_query(self) -> Any:
        """The list's query as the user filtered and ordered it (``export_chunks`` applies the
        export's row limit)."""
        check_paging_args()
        get_filter_args(self._filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if order_column not in self.order_columns:
            order_column = ""
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        filters = self.list_filters(self._filters)
        return self.datamodel.apply_all(self.datamodel.session.query(self.datamodel.obj), filters,
                                        order_column, order_direction)

    def _export_items(self, query: Any) -> Iterable[Any]:
        """The rows of one query read a thousand at a time (an officer may export the city): no
        count and no OFFSET per chunk. A chunk's rows are only weakly held by the session
        (nothing changes them), so memory stays flat."""
        for items in export_chunks(query):
            self.prepare_rows(items)
            yield from items

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        columns = self.export_columns()
        keys = [column.key for column in columns]
        sheet_name = str(self.export_sheet_name)[:31]
        try:
            query = self._export_query()
            values = self.export_values(query, columns)
            if values is None:
                rows = (self.export_row(item, keys) for item in self._export_items(query))
                data = export_rows(columns, rows, sheet_name)
            else:
                data = export_values(columns, values, sheet_name)
        except FABException:
            # a filter FAB could not apply (its list page flashes it; a download cannot)
            abort(400)
        stamp = local_today().strftime("%Y%m%d")
        return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=f"{self.export_file_name}-{stamp}.xlsx")


def export_chunks(query: Any) -> Iterator[list[Any]]:
    """The rows of ``query`` an export writes (config EXPORT_MAX_ROWS), in lists of
    EXPORT_CHUNK read from one statement."""
    stream = iter(query.limit(current_app.config.get("EXPORT_MAX_ROWS", EXPORT_MAX_ROWS))
                  .yield_per(EXPORT_CHUNK))
    while chunk := list(islice(stream, EXPORT_CHUNK)):
        yield chunk


def preload_parents(items: Sequence[Any], columns: Iterable[str]) -> None:
    """Load the many-to-one relations a list shows (a notice's area and building) for the whole
    page in one query each: the rows then find them in the session instead of one query per row.
    Rows whose relation is already loaded (by an earlier call for the same page) are left alone."""
    if not items:
        return
    mapper = sa_inspect(type(items[0]))
    for name in columns:
        relation = mapper.relationships.get(name)
        if relation is None or relation.direction.name != "MANYTOONE" \
                or len(relation.local_columns) != 1:
            continue
        target = relation.mapper
        if len(target.primary_key) != 1 or set(relation.remote_side) != set(target.primary_key):
            continue
        key = mapper.get_property_by_column(next(iter(relation.local_columns))).key
        pending = [item for item in items if name in sa_inspect(item).unloaded]
        ids = {getattr(item, key) for item in pending} - {None}
        if not ids:
            continue
        # Set on each row (the session only keeps weak references, so loading is not enough).
        pk = target.get_property_by_column(target.primary_key[0]).key
        parents = {getattr(obj, pk): obj for obj in db.session.scalars(
            select(target.class_).where(target.primary_key[0].in_(ids)))}
        for item in pending:
            set_committed_value(item, name, parents.get(getattr(item, key)))


class PlatformModelView(BoundedListMixin, ScopedActionsMixin, ModelView):
    """A FAB ModelView with the platform's safety defaults; set ``base_filters`` as usual."""

    # We keep no FileColumn/ImageColumn: FAB's download/<filename> would serve any upload.
    exclude_route_methods = {"download"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def row_snapshot(item: Any) -> dict[str, Any]:
    """The item's loaded column values as JSON-safe data (for the audit log)."""
    state = sa_inspect(item)
    return {attr.key: _jsonable(getattr(item, attr.key)) for attr in state.mapper.column_attrs
            if attr.key not in state.unloaded}


def row_changes(item: Any) -> dict[str, dict[str, Any]]:
    """{field: {"before": .., "after": ..}} for every column the pending edit changes."""
    changes: dict[str, dict[str, Any]] = {}
    state = sa_inspect(item)
    columns = {attr.key for attr in state.mapper.column_attrs}
    for attr in state.attrs:
        history = attr.history
        if attr.key in columns and history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changes[attr.key] = {"before": _jsonable(before), "after": _jsonable(after)}
    return changes


class AuditedMixin:
    """Write an audit row for every add, edit and delete made on this screen, in the same commit.

    FAB commits in ``datamodel.add/edit/delete`` right after the ``pre_*`` hooks, so the audit row
    added here is part of that one transaction.
    """

    audit_object_type = ""

    def _audit(self, action: str, item: Any, detail: dict[str, Any]) -> None:
        user = current_user()
        record(db.session, action, self.audit_object_type, getattr(item, "id", None),
               user_id=getattr(user, "id", None), org_id=getattr(item, "org_id", None), detail=detail)

    def pre_add(self, item: Any) -> None:
        super().pre_add(item)
        db.session.add(item)
        flush_or_roll_back(db.session)  # the new id goes into the audit row
        self._audit("create", item, row_snapshot(item))

    def pre_update(self, item: Any) -> None:
        super().pre_update(item)
        changes = row_changes(item)
        if changes:
            self._audit("update", item, {"changes": changes})

    def pre_delete(self, item: Any) -> None:
        super().pre_delete(item)
        self._audit("delete", item, row_snapshot(item))
