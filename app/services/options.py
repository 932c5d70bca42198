"""Options of the search-as-you-type boxes: areas, buildings, users and developers matching a typed text.

A city has a thousand buildings; a filter box that printed them all would make every list page
as slow as the buildings are many. The boxes ask for one page of matching options at a time, and
for the labels of the values a page was opened with. Everything is read under the caller's scope:
another organisation's rows are neither offered nor named.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models.organisation import Organisation
from app.models.property import Building, PropertyArea
from app.security.models import PlatformUser
from app.security.tenant import Scope

#: Options per answer; the box asks for the next page when the user scrolls to the end.
OPTIONS_PAGE = 20
#: The longest text searched for (longer input is cut, not refused).
MAX_TEXT = 60


@dataclass
class OptionPage:
    options: list[tuple[int, str]]
    more: bool

    def to_dict(self) -> dict[str, Any]:
        """The shape select2's ajax transport reads."""
        return {"results": [{"id": ident, "text": text} for ident, text in self.options],
                "pagination": {"more": self.more}}


def _page(session: Session, query: Any, page: int) -> OptionPage:
    page = max(page, 1)
    rows = session.execute(query.offset((page - 1) * OPTIONS_PAGE).limit(OPTIONS_PAGE + 1)).all()
    return OptionPage([(ident, text) for ident, text in rows[:OPTIONS_PAGE]], len(rows) > OPTIONS_PAGE)


def _like(text: str) -> Optional[str]:
    text = (text or "").strip()[:MAX_TEXT]
    return text or None


def _matching(query: Any, text: str, *columns: Any) -> Any:
    """``query`` narrowed to the rows where one of ``columns`` contains the typed text (if any)."""
    like = _like(text)
    if not like:
        return query
    return query.where(or_(*(column.contains(like, autoescape=True) for column in columns)))


def _labels(session: Session, query: Any, id_column: Any, ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, label) of the given ids that ``query`` (already scoped) finds."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return [tuple(row) for row in session.execute(query.where(id_column.in_(ids)))]


def _area_query(scope: Scope) -> Any:
    return scope.apply(select(PropertyArea.id, PropertyArea.name), PropertyArea)


def area_options(session: Session, scope: Scope, text: str = "", page: int = 1, *,
                 active_only: bool = False) -> OptionPage:
    """The areas whose name or code contains ``text``, by name; ``active_only``: those still in
    use (the business forms take only those; a filter also finds the retired ones)."""
    query = _matching(_area_query(scope), text, PropertyArea.name, PropertyArea.code)
    if active_only:
        query = query.where(PropertyArea.active.is_(True))
    return _page(session, query.order_by(PropertyArea.name, PropertyArea.id), page)


def area_labels(session: Session, scope: Scope, ids: Iterable[int]) -> list[tuple[int, str]]:
    return _labels(session, _area_query(scope), PropertyArea.id, ids)


def opening_area(session: Session, scope: Scope, wanted: Optional[int] = None) -> list[tuple[int, str]]:
    """The (id, name) a business page's area box opens with: the ``wanted`` area when the scope
    holds it and it is in use, else the only area in use when there is just one (nothing to
    choose), else none. One bounded query however many areas the scope holds."""
    query = _area_query(scope).where(PropertyArea.active.is_(True))
    if wanted is not None:
        return [tuple(row) for row in session.execute(query.where(PropertyArea.id == wanted))]
    first = session.execute(query.order_by(PropertyArea.id).limit(2)).all()
    return [tuple(first[0])] if len(first) == 1 else []


def _building_query(scope: Scope) -> Any:
    # Building names repeat from area to area (every area has a "1栋"): the label names both.
    label = PropertyArea.name + " " + Building.name
    return scope.apply(select(Building.id, label).join(PropertyArea, PropertyArea.id == Building.area_id),
                       Building)


def building_options(session: Session, scope: Scope, text: str = "", page: int = 1,
                     area_id: Optional[int] = None) -> OptionPage:
    """The buildings whose name, code or area name contains ``text`` (of one area if given)."""
    query = _building_query(scope)
    if area_id is not None:
        query = query.where(Building.area_id == area_id)
    query = _matching(query, text, Building.name, Building.code, PropertyArea.name)
    return _page(session, query.order_by(PropertyArea.name, Building.name, Building.id), page)


def building_labels(session: Session, scope: Scope, ids: Iterable[int]) -> list[tuple[int, str]]:
    return _labels(session, _building_query(scope), Building.id, ids)


def _user_query(scope: Scope) -> Any:
    label = PlatformUser.username + " " + PlatformUser.last_name + PlatformUser.first_name
    query = select(PlatformUser.id, label)
    # Users belong to an organisation or to the platform: outside the fund office, only one's own.
    return query if scope.internal else query.where(PlatformUser.org_id == scope.org_id,
                                                    PlatformUser.org_id.is_not(None))


def user_options(session: Session, scope: Scope, text: str = "", page: int = 1) -> OptionPage:
    """The users whose user name or name contains ``text``, by user name."""
    query = _matching(_user_query(scope), text, PlatformUser.username, PlatformUser.last_name,
                      PlatformUser.first_name)
    return _page(session, query.order_by(PlatformUser.username, PlatformUser.id), page)


def user_labels(session: Session, scope: Scope, ids: Iterable[int]) -> list[tuple[int, str]]:
    return _labels(session, _user_query(scope), PlatformUser.id, ids)


def _organisation_query(scope: Scope) -> Any:
    # A developer's scope holds its own organisation only (Scope.apply filters Organisation.id).
    return scope.apply(select(Organisation.id, Organisation.name), Organisation)


def organisation_options(session: Session, scope: Scope, text: str = "",
                         page: int = 1) -> OptionPage:
    """The developer organisations whose name or 统一社会信用代码 contains ``text``, by name."""
    query = _matching(_organisation_query(scope), text, Organisation.name, Organisation.uscc)
    return _page(session, query.order_by(Organisation.name, Organisation.id), page)


def organisation_labels(session: Session, scope: Scope, ids: Iterable[int]) -> list[tuple[int, str]]:
    return _labels(session, _organisation_query(scope), Organisation.id, ids)
