"""A page reads the user's permissions once, not once per menu entry and button it checks."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from sqlalchemy import event


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("username, path", [
    ("dev_a", "/"), ("dev_a", "/orders/"), ("dev_a", "/property/houses/list/"),
    ("officer", "/review/"), ("officer", "/"),
])
def test_permission_checks_cost_one_query_per_page(app, client_for, username, path):
    from app.extensions import db

    client = client_for(username)
    with statements(db.engine) as seen:
        assert client.get(path).status_code == 200
    checks = [s for s in seen if "ab_permission_view_role" in s and "ab_view_menu" in s]
    assert len(checks) <= 2, f"{len(checks)} permission queries on {path}"


def test_a_permission_taken_away_is_refused_at_the_next_request(app, client_for, session):
    from app.security.roles import ROLE_DEV_ADMIN

    client = client_for("dev_a")
    assert client.get("/orders/").status_code == 200
    sm = app.appbuilder.sm
    role = sm.find_role(ROLE_DEV_ADMIN)
    pv = sm.find_permission_view_menu("can_read", "BusinessOrder")
    sm.del_permission_role(role, pv)
    assert client.get("/orders/").status_code in (302, 403)


def test_a_list_page_loads_the_rows_parents_once_not_per_row(app, client_for, session, demo):
    """The notice list shows each notice's area and building: one query each for the page."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.property import Building
    from app.services.payments.notices import HELD_KEEP, issue_building_notices

    client = client_for("dev_a")

    def count() -> int:
        with statements(db.engine) as seen:
            assert client.get("/notices/list/").status_code == 200
        return len(seen)

    issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None,
                           held=HELD_KEEP)
    few = count()
    others = session.scalars(select(Building.id).where(Building.area_id == demo.area_a.id,
                                                       Building.id != demo.building_a.id)).all()
    assert len(others) >= 2
    issue_building_notices(session, demo.area_a, others, user_id=None, held=HELD_KEEP)
    assert count() == few
