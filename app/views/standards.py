"""Fund office: 交存标准 (deposit standards) with an amount-due checker.

The standards are data: officers add, edit and end them here (every change audited); the checker
answers "which standard applies to this house, and how much is due" through the same
``StandardBook`` the business orders use.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Optional

from flask import request
from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError
from wtforms.validators import Optional as OptionalValue

from app.errors import DomainError, Problem, ValidationFailed
from app.extensions import db
from app.models.codes import KIND_HOUSE_USE
from app.models.property import House
from app.models.standard import BASIS_AREA, BASIS_PRICE, DepositStandard, RenewThreshold
from app.security.roles import MODEL_VIEW_METHODS, RES_STANDARD
from app.services.standards import (NoRenewThreshold, StandardBook, renew_threshold,
                                    renew_threshold_problems)
from app.views.base import AuditedMixin, PlatformModelView, code_choices, code_formatter, when
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 60

BASIS_LABELS = {BASIS_AREA: _l("Per m² of building area"), BASIS_PRICE: _l("Share of the house price")}
LIFT_CHOICES = [("", _l("Any")), ("1", _l("With lift")), ("0", _l("Without lift"))]


def _lift(value: Any) -> Optional[bool]:
    """Select value → None (any) / True / False; model values pass through."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, bool):
        return value
    return str(value) in ("1", "True", "true", "y")


def lift_label(value: Optional[bool]) -> str:
    if value is None:
        return str(_l("Any"))
    return str(_l("With lift")) if value else str(_l("Without lift"))


def day(value: Any) -> Markup:
    """A date kept on one line: the narrow date columns would otherwise break "2020-01-01"."""
    return Markup('<span class="text-nowrap">%s</span>') % when(value) if value else Markup("")


def example_badge(value: bool) -> Markup:
    """Examples must stand out: the office replaces them with the city's current standard."""
    if value:
        return Markup('<span class="label label-warning jm-example">%s</span>') % _("Example")
    return Markup("")


def rate_text(standard: DepositStandard) -> str:
    if standard.basis == BASIS_PRICE:
        return f"{(standard.rate * 100).normalize():f}%"
    rate = standard.rate.quantize(Decimal("0.01"))
    return _("%(rate)s yuan/m²", rate=rate)


def standard_problems(basis: Optional[str], rate: Optional[Decimal], min_floors: Optional[int],
                      max_floors: Optional[int], effective_from: Optional[dt.date],
                      effective_to: Optional[dt.date]) -> list[Problem]:
    """Every reason a standard's values cannot be saved."""
    problems: list[Problem] = []
    if basis not in (BASIS_AREA, BASIS_PRICE):
        problems.append(Problem("basis", _l("Choose how the amount is computed.")))
    if rate is None or rate <= 0:
        problems.append(Problem("rate", _l("The rate must be greater than zero.")))
    elif basis == BASIS_PRICE and rate > 1:
        problems.append(Problem("rate", _l("A share of the price is a fraction: at most 1 "
                                           "(e.g. 0.02 for 2 per cent).")))
    if min_floors is not None and max_floors is not None and min_floors > max_floors:
        problems.append(Problem("max_floors", _l("The highest floor count must not be below the lowest.")))
    if effective_from and effective_to and effective_to <= effective_from:
        problems.append(Problem("effective_to", _l("The end date must be after the start date.")))
    return problems


def _field_rule(field_name: str):  # noqa: ANN202 - a WTForms validator
    """A WTForms validator reporting this field's problems from ``standard_problems``."""

    def check(form: Any, field: Any) -> None:
        problems = standard_problems(
            form.basis.data, form.rate.data, form.min_floors.data, form.max_floors.data,
            form.effective_from.data, form.effective_to.data,
        )
        for problem in problems:
            if problem.field == field_name:
                raise ValidationError(str(problem.reason))

    return check


def _standard_fields() -> dict[str, Any]:
    return {
        "use_code": SelectField(_l("House use"), choices=lambda: code_choices(KIND_HOUSE_USE),
                                validators=[DataRequired()]),
        "has_lift": SelectField(_l("Lift"), choices=LIFT_CHOICES, coerce=_lift,
                                description=_l("Any: the standard applies with and without lift.")),
        "basis": SelectField(_l("Basis"), choices=list(BASIS_LABELS.items()),
                             validators=[_field_rule("basis")]),
        # FAB makes a non-nullable boolean "required", so an unticked box would never validate.
        "is_example": BooleanField(
            _l("Example"), description=_l("Seeded examples are marked until the office replaces them.")),
    }


def checked_on_save(item_problems: Callable[[Any], list[Problem]]) -> type:
    """A view mixin refusing a row ``item_problems`` (the service's rule, applied to the row) finds
    problems with, before FAB adds or saves it (the form validators show the same problems under
    their fields; this is the backstop)."""

    class CheckedOnSave:
        def pre_add(self, item: Any) -> None:
            _refuse(item_problems(item))
            super().pre_add(item)  # type: ignore[misc]

        def pre_update(self, item: Any) -> None:
            _refuse(item_problems(item))
            super().pre_update(item)  # type: ignore[misc]

    return CheckedOnSave


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)


def _standard_problems(item: DepositStandard) -> list[Problem]:
    return standard_problems(item.basis, item.rate, item.min_floors, item.max_floors,
                             item.effective_from, item.effective_to)


def _threshold_problems(item: RenewThreshold) -> list[Problem]:
    return renew_threshold_problems(item.percent, item.effective_from)


class DepositStandardView(checked_on_save(_standard_problems), AuditedMixin, PlatformModelView):
    route_base = "/fund/standards"
    datamodel = SQLAInterface(DepositStandard)
    class_permission_name = RES_STANDARD
    method_permission_name = {**MODEL_VIEW_METHODS, "check": "read"}
    include_route_methods = {"list", "show", "add", "edit", "delete", "check"}
    audit_object_type = "DepositStandard"
    base_order = ("use_code", "asc")
    list_template = "standards/list.html"

    list_title = _l("Deposit standards")
    show_title = _l("Deposit standard")
    add_title = _l("Add deposit standard")
    edit_title = _l("Edit deposit standard")
    list_columns = ["is_example", "name", "use_code", "has_lift", "min_floors", "max_floors",
                    "basis", "rate", "effective_from", "effective_to"]
    show_columns = ["name", "is_example", "use_code", "has_lift", "min_floors", "max_floors", "basis",
                    "rate", "effective_from", "effective_to", "note", "created_at"]
    add_columns = ["name", "use_code", "has_lift", "min_floors", "max_floors", "basis", "rate",
                   "effective_from", "effective_to", "is_example", "note"]
    edit_columns = add_columns
    search_columns = ["name", "use_code", "basis", "effective_from", "effective_to", "is_example"]
    label_columns = {
        "name": _l("Standard name"), "use_code": _l("House use"), "has_lift": _l("Lift"),
        "min_floors": _l("Floors from"), "max_floors": _l("Floors to"), "basis": _l("Basis"),
        "rate": _l("Rate"), "effective_from": _l("Effective from"),
        "effective_to": _l("Effective until (exclusive)"), "is_example": _l("Example"),
        "note": _l("Note"), "created_at": _l("Created"),
    }
    description_columns = {
        "rate": _l("Yuan per m² for the area basis; a fraction of the price for the price basis "
                   "(0.02 is 2 per cent)."),
        "min_floors": _l("Optional storey class: total floors of the building, inclusive."),
        "max_floors": _l("Optional storey class: total floors of the building, inclusive."),
        "effective_to": _l("Leave empty while the standard is in force."),
        "is_example": _l("Seeded examples are marked until the office replaces them."),
    }
    formatters_columns = {
        "use_code": code_formatter(KIND_HOUSE_USE), "has_lift": lift_label,
        "basis": lambda v: str(BASIS_LABELS.get(v, v)), "is_example": example_badge,
        "effective_from": day, "effective_to": day, "created_at": when,
        "rate": lambda v: f"{Decimal(v).normalize():f}" if v is not None else "",
    }
    validators_columns = {
        "name": [DataRequired()],
        "rate": [InputRequired(), _field_rule("rate")],
        "min_floors": [OptionalValue(), NumberRange(min=0, max=200)],
        "max_floors": [OptionalValue(), NumberRange(min=0, max=200), _field_rule("max_floors")],
        "effective_from": [DataRequired()],
        "effective_to": [OptionalValue(), _field_rule("effective_to")],
    }
    add_form_extra_fields = _standard_fields()
    edit_form_extra_fields = _standard_fields()

    def pre_delete(self, item: DepositStandard) -> None:
        used = db.session.scalar(select(func.count(House.id)).where(House.standard_id == item.id))
        if used:
            raise DomainError(_l("%(n)d houses were priced with this standard: set an end date "
                                 "instead of deleting it.", n=used))
        super().pre_delete(item)

    @expose("/check")
    @has_access
    def check(self) -> Any:
        form = StandardCheckForm(request.args)
        result = error = None
        if request.args and form.validate():
            try:
                standard, amount = StandardBook.load(db.session).price(
                    form.use_code.data, bool(form.has_lift.data), form.floors.data,
                    form.building_area.data, form.price.data, form.on.data)
                result = {"standard": standard, "amount": amount, "rate": rate_text(standard)}
            except DomainError as exc:
                error = str(exc.message)
        return self.render_template("standards/check.html", title=_("Amount-due checker"), form=form,
                                    result=result, error=error, basis_labels=BASIS_LABELS,
                                    lift_label=lift_label)

    def render_template(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            kwargs.setdefault("check_form", StandardCheckForm())
            try:
                kwargs.setdefault("renew_percent", percent_text(renew_threshold(db.session)))
            except NoRenewThreshold:
                kwargs.setdefault("renew_percent", None)
        return super().render_template(template, **kwargs)


def _percent_rule(form: Any, field: Any) -> None:
    """The service's check of the percentage, shown under the field."""
    for problem in renew_threshold_problems(field.data, form.effective_from.data):
        if problem.field == "percent":
            raise ValidationError(str(problem.reason))


def percent_text(value: Any) -> str:
    return f"{Decimal(value).normalize():f}%" if value is not None else ""


class RenewThresholdView(checked_on_save(_threshold_problems), AuditedMixin, PlatformModelView):
    """续筹 threshold (§4): dated rows; the one with the latest start on or before a day applies."""

    route_base = "/fund/renew-threshold"
    datamodel = SQLAInterface(RenewThreshold)
    class_permission_name = RES_STANDARD
    method_permission_name = MODEL_VIEW_METHODS
    include_route_methods = {"list", "show", "add", "edit"}
    audit_object_type = "RenewThreshold"
    base_order = ("effective_from", "desc")

    list_title = _l("Replenishment threshold")
    show_title = _l("Replenishment threshold")
    add_title = _l("Set a new replenishment threshold")
    edit_title = _l("Edit replenishment threshold")
    list_columns = ["percent", "effective_from", "note", "created_at"]
    # Not ``percent``: FAB compares a numeric column with the typed text, which PostgreSQL refuses.
    search_columns = ["effective_from", "note"]
    show_columns = list_columns
    add_columns = ["percent", "effective_from", "note"]
    edit_columns = add_columns
    label_columns = {"percent": _l("Threshold (percent of the first deposit)"),
                     "effective_from": _l("Effective from"), "note": _l("Note"),
                     "created_at": _l("Created")}
    description_columns = {
        "percent": _l("A house is due for replenishment (续筹) when its balance is below this share "
                      "of its first deposit, e.g. 30."),
        "effective_from": _l("The threshold applies from this day until a later one starts."),
    }
    formatters_columns = {"percent": percent_text, "effective_from": day, "created_at": when}
    validators_columns = {"percent": [InputRequired(), _percent_rule], "effective_from": [DataRequired()]}


class StandardCheckForm(FlaskForm):
    """The checker's inputs: what the business orders know about a house."""

    class Meta:
        csrf = False  # a read-only GET form

    use_code = SelectField(_l("House use"), choices=lambda: code_choices(KIND_HOUSE_USE),
                           validators=[DataRequired()])
    has_lift = BooleanField(_l("Lift"))
    floors = IntegerField(_l("Floors of the building"),
                          validators=[OptionalValue(), NumberRange(min=0, max=200)])
    building_area = DecimalField(_l("Building area (m²)"),
                                 validators=[DataRequired(), NumberRange(min=Decimal("0.01"))])
    price = DecimalField(_l("House price"), validators=[OptionalValue(), NumberRange(min=Decimal("0.01"))])
    on = DateField(_l("On date"), validators=[OptionalValue()],
                   description=_l("Empty: today."))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(DepositStandardView, "Deposit standards", label=_l("Deposit standards"),
                        icon="fa-ruler", category=CATEGORY_FUND_OFFICE)
    appbuilder.add_view(RenewThresholdView, "Replenishment threshold",
                        label=_l("Replenishment threshold"), icon="fa-battery-quarter",
                        category=CATEGORY_FUND_OFFICE)

