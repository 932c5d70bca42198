"""The one tenant filter.

A developer user sees only rows of its own organisation (and, for staff limited to chosen
property areas, only those areas). Internal users (Admin, Fund Officer, Bank Teller) see all.
Every view (``base_filters``), related dropdown (``*_query_rel_fields``), API, action, download,
print and service lookup goes through the helpers below, so there is a single place to get it right.
"""
from __future__ import annotations

from typing import Any, Optional, TypeVar

from flask import abort, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.domain.ids import row_id
from app.security.roles import INTERNAL_ROLES, role_names

T = TypeVar("T")


class Scope:
    """What one user may see: everything, or one organisation (optionally some of its areas)."""

    def __init__(self, internal: bool, org_id: Optional[int], area_ids: Optional[frozenset[int]]):
        self.internal = internal
        self.org_id = org_id
        self.area_ids = area_ids

    @classmethod
    def everything(cls) -> "Scope":
        return cls(True, None, None)

    @classmethod
    def nothing(cls) -> "Scope":
        return cls(False, None, frozenset())

    @classmethod
    def for_user(cls, user: Any) -> "Scope":
        if user is None or not getattr(user, "is_authenticated", False):
            return cls.nothing()
        if role_names(user.roles) & set(INTERNAL_ROLES):
            return cls.everything()
        if getattr(user, "org_id", None) is None:
            return cls.nothing()
        areas = frozenset(a.id for a in user.areas) or None
        return cls(False, user.org_id, areas)

    def allows(self, obj: Any) -> bool:
        if self.internal:
            return True
        if obj is None or self.org_id is None or getattr(obj, "org_id", None) != self.org_id:
            return False
        area_id = getattr(obj, "area_id", None)
        return not (self.area_ids and area_id is not None and area_id not in self.area_ids)

    def apply(self, query: Any, model: Any) -> Any:
        """Narrow a legacy ``Query`` or a 2.0 ``Select`` over ``model`` to this scope."""
        if self.internal:
            return query
        if self.org_id is None:
            return query.filter(false())
        query = query.filter(_org_column(model) == self.org_id)
        if self.area_ids and _area_column(model) is not None:
            query = query.filter(_area_column(model).in_(sorted(self.area_ids)))
        return query


def _org_column(model: Any) -> Any:
    from app.models.organisation import Organisation

    return model.id if model is Organisation else model.org_id


def _area_column(model: Any) -> Any:
    from app.models.property import PropertyArea

    if model is PropertyArea:
        return model.id
    column = getattr(model, "area_id", None)
    return column if column is not None and hasattr(column, "in_") else None


def current_user() -> Any:
    """The logged-in user of this request (web session or JWT), or None."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def current_scope() -> Scope:
    if not has_request_context():
        # CLI commands and background jobs act as the platform itself.
        return Scope.everything()
    return Scope.for_user(current_user())


def is_internal_user(user: Any = None) -> bool:
    user = user if user is not None else current_user()
    return bool(user) and bool(role_names(user.roles) & set(INTERNAL_ROLES))


def scoped(query: Any, model: Any) -> Any:
    """Apply the current user's scope to a query over ``model``."""
    return current_scope().apply(query, model)


def scoped_select(model: type[T]) -> Any:
    return scoped(select(model), model)


def get_owned(session: Session, model: type[T], ident: Any) -> Optional[T]:
    """Load a row by id if the current user may see it, else None (never tell it exists)."""
    ident = row_id(ident)
    if ident is None:
        return None
    obj = session.get(model, ident)
    return obj if obj is not None and current_scope().allows(obj) else None


def get_owned_or_404(session: Session, model: type[T], ident: Any) -> T:
    obj = get_owned(session, model, ident)
    if obj is None:
        abort(404)
    return obj


class TenantFilter(BaseFilter):
    """FAB ``base_filters`` entry: ``base_filters = [["id", TenantFilter, lambda: []]]``."""

    name = "Organisation"
    arg_name = "tenant"

    def apply(self, query: Any, value: Any) -> Any:
        return scoped(query, self.model)


def tenant_filters() -> list[list[Any]]:
    """The ``base_filters`` value every tenant-owned view and API uses."""
    return [["id", TenantFilter, lambda: []]]


def rel_query(model: Any) -> list[list[Any]]:
    """Filters for ``*_query_rel_fields`` so dropdowns list only the user's own rows."""
    return [["id", TenantFilter, lambda: []]]
