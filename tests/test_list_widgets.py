"""The platform's list, search and record widgets (app/views/list_widgets.py) print the page FAB's stock
widgets print, for every kind of user and language, and what they keep between requests (search
labels, filter names, plain fields' HTML) never carries one organisation's data or one language's
words onto another page."""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import select
from flask_appbuilder.widgets import ListWidget, SearchWidget, ShowWidget

from app.views.base import BoundedListMixin
from app.views.list_widgets import ROW_PK, PlatformSearchWidget, kept

def _normal(html: str) -> str:
    """The page without per-request tokens (script nonce, CSRF), the time of day FAB's search form
    offers as a timestamp's default, or whitespace between tags."""
    html = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", "(now)", html)
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'(name="csrf_token"[^>]*value=)"[^"]*"', r'\1""', html)
    html = re.sub(r'(value=)"[^"]*"([^>]*name="csrf_token")', r'\1""\2', html)
    html = re.sub(r'(name="csrf-token" content=)"[^"]*"', r'\1""', html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html)


def _first_difference(ours: str, theirs: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return f"ours: ...{ours[at - 120:at + 120]}...\nFAB's: ...{theirs[at - 120:at + 120]}..."


@pytest.fixture()
def stock(app: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """Switch every platform list view to FAB's own widgets (call it; undone after the test)."""

    def switch() -> Any:
        for view in app.appbuilder.baseviews:
            if isinstance(view, BoundedListMixin):
                monkeypatch.setattr(view, "list_widget", ListWidget)
                monkeypatch.setattr(view, "search_widget", SearchWidget)
                monkeypatch.setattr(view, "show_widget", ShowWidget)
        return monkeypatch

    return switch


@pytest.fixture(autouse=True)
def _fresh_kept() -> Iterator[None]:
    kept.clear()
    yield
    kept.clear()


def _pages(demo: Any) -> list[str]:
    return [
        "/property/houses/list/",
        "/property/houses/list/?q=1",
        f"/property/houses/list/?_flt_0_area={demo.area_a.id}&_flt_0_building={demo.building_a.id}",
        "/property/houses/list/?page_HouseView=1&_oc_HouseView=room&_od_HouseView=desc",
        f"/property/houses/list/?_flt_0_area={demo.area_b.id}",
        "/property/areas/list/",
        f"/property/buildings/list/?_flt_0_area={demo.area_a.id}",
        "/notices/list/",
        f"/property/areas/show/{demo.area_a.id}",
        f"/property/buildings/show/{demo.building_a.id}",
        f"/property/houses/show/{demo.house_a.id}",
    ]


def _visit(client_for: Callable[[str], Any], demo: Any, users: list[str]) -> dict[tuple, str]:
    seen = {}
    for user in users:
        client = client_for(user)
        for lang in ("zh", "en"):
            client.get(f"/lang/{lang}")
            for url in _pages(demo):
                response = client.get(url)
                assert response.status_code in (200, 404), (user, lang, url)
                seen[(user, lang, url)] = _normal(response.get_data(as_text=True))
    return seen


def test_pages_equal_fab_widgets_for_every_user_and_language(
        client_for: Callable[[str], Any], demo: Any, stock: Callable[[], Any]) -> None:
    users = ["dev_a", "dev_b", "dev_a_staff", "officer"]
    ours = _visit(client_for, demo, users)
    assert kept._items, "the search widget kept nothing: the comparison would prove little"
    stock()
    theirs = _visit(client_for, demo, users)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == theirs[key], (key, _first_difference(ours[key], theirs[key]))
    # The row buttons were rendered once per page and the placeholder replaced on every row.
    assert not any(ROW_PK in page for page in ours.values())
    assert any("/property/houses/show/" in page for page in ours.values())


def test_crud_buttons_and_actions_equal_fab_widgets(
        client_for: Callable[[str], Any], session: Any, demo: Any, stock: Callable[[], Any]) -> None:
    """A list with show and edit buttons (the code tables, an officer's) and one with actions
    (print the checked notices)."""
    from app.models.payment import Notice
    from tests.reports_support import pay

    pay(session, [demo.house_a], ["100.00"])
    pay(session, [demo.house_b], ["200.00"])
    client = client_for("officer")
    notice = session.scalar(select(Notice).order_by(Notice.id))
    urls = ["/fund/codes/list/", "/notices/list/", f"/notices/show/{notice.id}"]
    ours = [_normal(client.get(url).get_data(as_text=True)) for url in urls]
    assert "/fund/codes/edit/" in ours[0] and "/fund/codes/show/" in ours[0]
    assert 'class="action_check"' in ours[1]
    stock()
    theirs = [_normal(client.get(url).get_data(as_text=True)) for url in urls]
    for url, mine, fab in zip(urls, ours, theirs):
        assert mine == fab, (url, _first_difference(mine, fab))


def test_kept_search_parts_hold_no_organisation_data(
        client_for: Callable[[str], Any], demo: Any) -> None:
    """A filter on an area prints its name in the search box: that box is never kept, so the next
    user (another organisation) sees the empty box, and nothing kept names any area or building."""
    dev_a = client_for("dev_a")
    url = f"/property/houses/list/?_flt_0_area={demo.area_a.id}"
    assert demo.area_a.name in dev_a.get(url).get_data(as_text=True)
    dev_b_page = client_for("dev_b").get("/property/houses/list/").get_data(as_text=True)
    assert demo.area_a.name not in dev_b_page
    names = {demo.area_a.name, demo.area_b.name, demo.building_a.name, demo.building_b.name}
    for value in kept._items.values():
        text = str(value)
        assert not any(name in text for name in names), text
    assert not any(key[3] in ("area", "building") for key in kept._items if key[0] == "field")


def test_kept_parts_follow_the_language(client_for: Callable[[str], Any]) -> None:
    client = client_for("dev_a")
    client.get("/lang/zh")
    zh = client.get("/property/houses/list/").get_data(as_text=True)
    client.get("/lang/en")
    en = client.get("/property/houses/list/").get_data(as_text=True)
    assert "分户账状态" in zh and "分户账状态" not in en
    assert "Account status" in en
    assert {key[2] for key in kept._items} >= {"zh", "en"}


def test_keep_off_renders_the_same(client_for: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for("dev_a")
    kept_page = _normal(client.get("/property/houses/list/").get_data(as_text=True))
    kept_page = _normal(client.get("/property/houses/list/").get_data(as_text=True))  # from the kept parts
    monkeypatch.setattr(PlatformSearchWidget, "keep", False)
    kept.clear()
    fresh = _normal(client.get("/property/houses/list/").get_data(as_text=True))
    assert not kept._items
    assert kept_page == fresh


def _search_script(html: str) -> str:
    """The search form's fields as the page hands them to FAB's filter script (JSON)."""
    return html[html.index("new AdminFilters("):][:20000]


def test_a_renamed_code_shows_at_once_in_the_search_form(
        client_for: Callable[[str], Any], session: Any) -> None:
    """Select boxes fed by a code table are kept under their choices as read this request: a code
    renamed by the fund office shows on the next page, never the kept old name."""
    from app.models.codes import CodeItem
    from app.views.property import KIND_HOUSE_USE

    client = client_for("dev_a")
    item = session.scalar(select(CodeItem).where(CodeItem.kind == KIND_HOUSE_USE, CodeItem.active.is_(True))
                          .order_by(CodeItem.sort_order, CodeItem.id))
    before = _search_script(client.get("/property/houses/list/").get_data(as_text=True))
    assert json.dumps(item.name)[1:-1] in before
    assert any(key[3] == "use_code" for key in kept._items if key[0] == "field")
    item.name = "改名后的用途"
    session.commit()
    after = _search_script(client.get("/property/houses/list/").get_data(as_text=True))
    assert json.dumps("改名后的用途")[1:-1] in after
