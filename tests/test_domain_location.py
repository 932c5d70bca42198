"""House locations as text: one helper, no doubled 单元/层, the same on every print."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.domain.location import floor_number, location_text, unit_number
from app.services.orders import staging
from app.services.payments.notices import house_location


@pytest.mark.parametrize("raw, expected", [("1单元", "1"), ("1", "1"), (" 2 单元 ", "2"),
                                           ("", ""), (None, ""), ("单元", "单元")])
def test_unit_number_drops_the_word(raw, expected):
    assert unit_number(raw) == expected


@pytest.mark.parametrize("raw, expected", [(3, "3"), ("3层", "3"), ("-1", "-1"), (None, "")])
def test_floor_number_drops_the_word(raw, expected):
    assert floor_number(raw) == expected


def test_a_unit_entered_with_its_word_is_not_doubled(app):
    with force_locale("zh"):
        assert location_text("甲3幢", "1单元", "0101") == "甲3幢1单元0101"
        assert location_text("甲3幢", "1", "0101") == "甲3幢1单元0101"
        assert location_text("甲3幢", "", "0101") == "甲3幢0101"
        assert location_text("甲3幢", "1单元", "0101", "1层") == "甲3幢1单元1层0101"
        assert location_text("甲3幢", None, "0101", 1) == "甲3幢1层0101"
    with force_locale("en"):
        assert location_text("甲3幢", "1单元", "0101") == "甲3幢 unit 1 room 0101"
        assert location_text("甲3幢", "1单元", "0101", 2) == "甲3幢 unit 1 floor 2 room 0101"


def test_notices_and_order_lines_use_the_same_words(app, session, demo):
    house = demo.house_a
    house.unit = "1单元"
    data = staging.house_data(building="甲3幢", unit="1单元", floor=1, room="0101",
                              building_area=Decimal("80"), use_code="residential", has_lift=True,
                              source="excel")
    with force_locale("zh"):
        assert house_location(house) == f"{house.building.name}1单元{house.room}"
        assert staging.location_text(data) == "甲3幢1单元1层0101"
    session.rollback()


def test_a_printed_notice_does_not_double_the_unit(app, session, demo, dev_a_client):
    from sqlalchemy import select

    from app.models.property import House
    from app.services.payments import issue_building_notices

    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id)).all()
    for house in houses:
        house.unit = f"{house.unit or '1'}单元".replace("单元单元", "单元")
    session.commit()
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id],
                                    user_id=None).notices[0]
    page = dev_a_client.get(f"/notices/print/{notice.id}?format=html")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "单元单元" not in text
    assert f"{demo.building_a.name}{houses[0].unit}{houses[0].room}" in text


def test_a_sheet_listing_a_house_as_unit_1_and_1danyuan_names_both_rows():
    from app.documents.excel.house_sheet import unique_houses

    row = {"building_name": "1栋", "floor": 1, "room": "101"}
    rows = [(2, {**row, "unit": "1"}), (3, {**row, "unit": "1单元"}), (4, {**row, "unit": "2"})]
    assert [(number, column) for number, column, _reason in unique_houses(rows)] == [(3, "room")]
