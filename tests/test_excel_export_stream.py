"""The register exports stream from one query in chunks: same cells as the rows, whatever the chunk.

Each expected row is built here from the database on its own terms (names, code labels, ledger
sums), so a chunk boundary, a label resolved once instead of per row, or a parent reused from a
chunk's preload cannot change a cell unnoticed.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select


def _sheet(client: Any, url: str) -> list[tuple[Any, ...]]:
    response = client.get(url)
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Chunks of 7 rows, so the demo's houses cross dozens of chunk boundaries."""
    import app.views.base as base

    monkeypatch.setattr(base, "EXPORT_CHUNK", 7)
    yield 7


def status_names() -> dict[str, str]:
    return {"open": "已开户", "cancelled": "已注销", "closed": "已关闭（拆分合并）"}


def _expected_houses(session: Any) -> list[tuple[Any, ...]]:
    from app.models.codes import KIND_HOUSE_USE, CodeItem
    from app.models.ledger import LedgerEntry
    from app.models.property import Building, House, PropertyArea

    uses = {c.code: c.name for c in session.scalars(select(CodeItem).where(CodeItem.kind == KIND_HOUSE_USE))}
    status = status_names()
    paid = dict(session.execute(select(LedgerEntry.house_id, func.sum(LedgerEntry.amount))
                                .group_by(LedgerEntry.house_id)).all())
    rows = []
    for house, area, building in session.execute(
            select(House, PropertyArea.name, Building.name)
            .join(PropertyArea, PropertyArea.id == House.area_id)
            .join(Building, Building.id == House.building_id)
            .order_by(House.code, House.id)):
        balance = Decimal(paid.get(house.id) or 0)
        rows.append((house.code, area, building, house.unit, house.floor, house.room,
                     float(house.building_area), uses.get(house.use_code, house.use_code),
                     "是" if house.has_lift else "否", house.sales_status,
                     status.get(house.status, house.status), float(house.amount_due), float(balance),
                     float(max(house.amount_due - balance, Decimal(0))), house.standard_text,
                     house.contract_no))
    return rows


def test_house_export_is_every_row_with_its_labels_across_chunks(officer_client: Any, session: Any,
                                                                 small_chunks: int) -> None:
    from app.models.ledger import LedgerEntry
    from app.models.property import House

    houses = session.scalars(select(House).order_by(House.id).limit(3)).all()
    for house, amount in zip(houses, ("100.00", "2.50", "99999.99")):
        session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="deposit",
                                amount=Decimal(amount), payment_type="first"))
    session.commit()
    expected = _expected_houses(session)
    assert len(expected) > 20 * small_chunks

    rows = _sheet(officer_client, "/property/houses/export/")

    assert rows[0][:3] == ("房屋编号", "物业区域", "楼幢")
    labels = {row[10] for row in rows[1:]}
    assert labels <= set(status_names().values()), labels
    assert [tuple(row) for row in rows[1:]] == expected


def test_filtered_export_sums_the_ledger_of_its_own_houses(officer_client: Any, session: Any,
                                                          small_chunks: int) -> None:
    """A building's export: its houses only, each with its own balance, while houses of other
    buildings hold money too."""
    from app.models.ledger import LedgerEntry
    from app.models.property import Building, House

    building = session.scalars(select(Building).order_by(Building.id)).first()
    inside = session.scalars(select(House).where(House.building_id == building.id)
                             .order_by(House.id).limit(2)).all()
    outside = session.scalars(select(House).where(House.building_id != building.id)
                              .order_by(House.id).limit(2)).all()
    for house, amount in zip([*inside, *outside], ("100.00", "0.01", "555.55", "7.00")):
        session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="deposit",
                                amount=Decimal(amount), payment_type="first"))
    session.commit()
    names = {house.code for house in session.scalars(select(House).where(House.building_id == building.id))}
    expected = [row for row in _expected_houses(session) if row[0] in names]
    assert len(expected) > small_chunks

    rows = _sheet(officer_client, f"/property/houses/export/?_flt_0_building={building.id}")

    assert [tuple(row) for row in rows[1:]] == expected
    assert {row[12] for row in rows[1:]} >= {100.0, 0.01}


def test_chunk_size_does_not_change_a_cell(officer_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.views.base as base

    urls = ("/property/houses/export/", "/property/buildings/export/", "/property/areas/export/")
    whole = [_sheet(officer_client, url) for url in urls]
    monkeypatch.setattr(base, "EXPORT_CHUNK", 3)
    assert [_sheet(officer_client, url) for url in urls] == whole
    officer_client.get("/lang/en")
    english = _sheet(officer_client, "/property/houses/export/")
    assert english[0][0] == "House No." and english[1][8] in ("Yes", "No")
    assert [row[0] for row in english][1:] == [row[0] for row in whole[0][1:]]


def test_export_stops_at_the_row_limit(app: Any, officer_client: Any, small_chunks: int,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 10)
    rows = _sheet(officer_client, "/property/houses/export/")
    assert len(rows) == 1 + 10


def test_export_statements_grow_with_chunks_not_rows(app: Any, officer_client: Any, session: Any,
                                                     small_chunks: int) -> None:
    """Rows of a chunk share its queries (balances, areas, buildings): none is read per row."""
    from app.extensions import db
    from app.models.property import House

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = _sheet(officer_client, "/property/houses/export/")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    houses = session.scalar(select(func.count()).select_from(House))
    assert len(rows) - 1 == houses
    chunks = -(-houses // small_chunks)
    per_chunk = [s for s in statements if "ledger_entry" in s or "FROM building" in s
                 or "FROM property_area" in s]
    assert len(per_chunk) <= 3 * chunks
    assert len(statements) < 3 * chunks + 60


def _workbook_dump(data: bytes) -> dict[str, Any]:
    """Everything a reader sees in an export: every cell's value, type, number format, font and
    fill, the column widths, the sheet's name, its frozen header and its filter range."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    cells = [(cell.coordinate, cell.value, cell.data_type, cell.number_format, cell.font.b,
              cell.font.name, cell.font.sz, cell.fill.fgColor.rgb, cell.border.left.style)
             for row in sheet.iter_rows() for cell in row]
    return {"sheets": book.sheetnames, "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref,
            "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
            "cells": cells}


@pytest.mark.parametrize("user", ["officer", "dev_a"])
def test_house_export_as_plain_rows_is_the_file_of_the_items(client_for: Any, session: Any, user: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The house export reads plain rows (names joined, no model objects) and writes them by
    type; the file is the one the generic path (items, ``prepare_rows``, ``export_row``) makes,
    cell for cell and format for format, in both languages and in another order."""
    from app.models.ledger import LedgerEntry
    from app.models.property import House
    from app.views.property import HouseView

    house = session.scalars(select(House).order_by(House.id)).first()
    session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="deposit",
                            amount=Decimal("12.34"), payment_type="first"))
    session.commit()
    client = client_for(user)
    urls = ("/property/houses/export/",
            "/property/houses/export/?_oc_HouseView=floor&_od_HouseView=desc")
    files = {}
    for lang in ("zh", "en"):
        client.get(f"/lang/{lang}")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            files[lang, url] = _workbook_dump(response.data)
    monkeypatch.setattr(HouseView, "export_values", lambda self, query, columns: None)
    for lang in ("zh", "en"):
        client.get(f"/lang/{lang}")
        for url in urls:
            generic = _workbook_dump(client.get(url).data)
            assert files[lang, url] == generic, (lang, url)
    dump = files["zh", urls[0]]
    assert dump["freeze"] == "A2" and dump["filter"].startswith("A1:P")
    formats = {coordinate[0]: number_format for coordinate, _v, kind, number_format, *_r
               in dump["cells"][16:] if kind == "n"}
    assert formats["G"] == formats["L"] == formats["M"] == formats["N"] == "#,##0.00"
    assert formats["E"] == "General"
