"""FAB's list and search widgets, printing the same page for a fraction of the CPU.

A clerk's list page is mostly these two widgets, and FAB renders both cell by cell: per row a
macro that builds the show/edit/delete links with ``url_for`` and translates the buttons' titles,
per cell a template lookup of the column's formatter; per search field a fresh WTForms render
and per filter a translation of its name. Here the row buttons are rendered once per page (with
a marker in place of the row's id, filled in per row), the cells are formatted in Python with the
formatters looked up once, and the search form's fixed parts are kept:

* the labels' and filters' JSON of a view, per language (they depend on nothing else);
* the HTML of a search field whose output is fully determined by what is in the key: the view,
  the language, the field's class, its value and (select boxes) its choices. Fields that read the
  request or the user's scope (the search-as-you-type relation boxes, relation drop-downs) are
  rendered on every request, and so are the active filters and the nonce of the inline script:
  nothing one user saw can reach another's page.

A view's datamodel also converts its columns into filter objects once (``keep_converted_filters``)
instead of for every query of every page.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable, Optional, Sequence

from flask import current_app
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.widgets import ListWidget, SearchWidget, ShowWidget
from flask_babel import get_locale
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, DateTimeField, DecimalField, FloatField, IntegerField
from wtforms import SelectField, StringField

#: Stands for the row's id in the once-rendered row buttons (an id is an integer, never this).
ROW_PK = "__jm_row_pk__"
#: Field classes whose HTML depends only on the field itself (no request, no scope, no query).
_PLAIN_FIELDS = (StringField, IntegerField, FloatField, DecimalField, BooleanField, DateField,
                 DateTimeField, SelectField)
#: A bound on the kept field renders: keys are made of the forms' defaults and code tables, a few
#: hundred at most; past this the renders are simply not kept (a code table edited many times).
_MAX_KEPT = 2000


def once_per_value(formatter: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``formatter`` asked once per distinct value of a page: a code's or a flag's label is
    translated once, not once per row (a formatter reads only its value and the request)."""
    seen: dict[tuple, Any] = {}

    def format_value(value: Any) -> Any:
        key = (type(value), value)  # 1, True and Decimal("1") are equal keys otherwise
        try:
            return seen[key]
        except KeyError:
            shown = seen[key] = formatter(value)
            return shown
        except TypeError:  # an unhashable value
            return formatter(value)

    return format_value


def row_cells(values: Sequence[dict], columns: Sequence[str],
              formatters: dict[str, Callable[[Any], Any]]) -> list[Markup]:
    """Each row's ``<td>`` cells, as FAB's list template prints them (formatted, then escaped)."""
    chosen = [(column, once_per_value(formatters[column]) if formatters.get(column) else None)
              for column in columns]
    rows = []
    for item in values:
        rows.append(Markup("".join(
            f"<td>{escape(formatter(item[column]) if formatter else item[column])}</td>"
            for column, formatter in chosen)))
    return rows


class PlatformListWidget(ListWidget):
    """FAB's list table, with the row buttons rendered once per page and the cells in Python."""

    template = "appbuilder/general/widgets/platform_list.html"

    def __call__(self, **kwargs: Any) -> Any:
        args = {**self.template_args, **kwargs}
        pks = args.get("pks") or []
        cells = row_cells(args.get("value_columns") or [], args.get("include_columns") or [],
                          args.get("formatters_columns") or {})
        # Composite or string keys are URL-quoted by url_for: those rows build their own links.
        same_links = all(isinstance(pk, int) for pk in pks)
        return super().__call__(rows=list(zip(pks, cells)), row_pk=ROW_PK if same_links else None,
                                **kwargs)


class PlatformShowWidget(ShowWidget):
    """FAB's record page table, with every field's value formatted in Python beforehand."""

    template = "appbuilder/general/widgets/platform_show.html"

    def __call__(self, **kwargs: Any) -> Any:
        args = {**self.template_args, **kwargs}
        formatters = args.get("formatters_columns") or {}
        cells = {}
        for column, value in zip(args.get("include_columns") or [], args.get("value_columns") or []):
            formatter = formatters.get(column)
            cells.setdefault(column, formatter(value) if formatter else value)
        return super().__call__(cells=cells, **kwargs)


def keep_converted_filters(datamodel: Any) -> None:
    """FAB builds a ``Filters`` for every query (the joined and inner filters of a list page) and
    each one converts every column of the model into its filter objects again, some hundred
    objects a page. A model's conversion never changes, and FAB already shares one view's filter
    objects between requests (they hold no value), so this datamodel converts each column once."""
    base = datamodel.filter_converter_class
    if getattr(base, "converts_once", False):
        return
    converted: dict[str, Any] = {}

    class ConvertOnce(base):  # type: ignore[misc, valid-type]
        converts_once = True

        def convert(self, col_name: str) -> Any:
            if col_name not in converted:
                converted[col_name] = super().convert(col_name)
            found = converted[col_name]
            # a new list: Filters appends a view's own search filters to it
            return None if found is None else list(found)

    datamodel.filter_converter_class = ConvertOnce


class _Kept:
    """A small thread-safe dict (gunicorn runs threads); a miss just renders again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Hashable, Any] = {}

    def get(self, key: Hashable) -> Any:
        return self._items.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            if len(self._items) < _MAX_KEPT:
                self._items[key] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


kept = _Kept()


def _tojson(value: Any) -> Markup:
    """Jinja's ``tojson`` filter exactly (Flask's JSON provider, keys sorted)."""
    policies = current_app.jinja_env.policies
    return htmlsafe_json_dumps(value, dumps=policies["json.dumps_function"],
                               **policies["json.dumps_kwargs"])


def field_key(view: str, language: str, field: Any) -> Optional[tuple]:
    """What a plain field's HTML depends on; None: the field reads more (request, scope, query)."""
    if type(field) not in _PLAIN_FIELDS or field.render_kw or field.errors:
        return None
    choices: Any = None
    if isinstance(field, SelectField):
        # Iterated as the render would (a callable's choices are read now, once).
        choices = tuple((str(choice[0]), str(choice[1]), bool(choice[2]))
                        for choice in field.iter_choices())
    data = field.data
    if not isinstance(data, (str, int, float, bool, type(None))):
        return None
    return ("field", view, language, field.name, type(field).__name__, data,
            tuple(field.raw_data or ()), choices)


class PlatformSearchWidget(SearchWidget):
    """FAB's search widget; labels, filter names and plain fields' HTML kept per language."""

    template = "appbuilder/general/widgets/platform_search.html"
    #: Tests turn this off to compare a kept render with a fresh one.
    keep = True

    def _static(self, view: str, language: str, form: Any, columns: Sequence[str]) -> tuple:
        key = ("search", view, language, tuple(columns))
        found = kept.get(key) if self.keep else None
        if found is None:
            filters = self.filters.get_search_filters()
            labels = {col: as_unicode(form[col].label.text) for col in columns}
            names = {col: [as_unicode(flt.name) for flt in filters[col]] for col in columns}
            found = (labels, _tojson(labels), _tojson(names))
            if self.keep:
                kept.put(key, found)
        return found

    def _field_html(self, view: str, language: str, field: Any) -> Any:
        key = field_key(view, language, field) if self.keep else None
        if key is None:
            return field()
        html = kept.get(key)
        if html is None:
            html = field()
            kept.put(key, html)
        return html

    def __call__(self, **kwargs: Any) -> Any:
        form = self.template_args["form"]
        columns = self.template_args["include_cols"]
        view = self.template_args.get("modelview_name") or self.template_args.get("route_base", "")
        language = str(get_locale() or "")
        labels, labels_json, filters_json = self._static(view, language, form, columns)
        fields = {col: self._field_html(view, language, form[col]) for col in columns}
        kwargs["label_columns_json"] = labels_json
        kwargs["search_filters_json"] = filters_json
        kwargs["form_fields_json"] = _tojson(fields)
        kwargs["active_filters_json"] = _tojson(self.filters.get_filters_values_tojson())
        kwargs["label_columns"] = labels
        return super(SearchWidget, self).__call__(**kwargs)
