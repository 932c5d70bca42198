"""The generic reader with a non-house column set: header search, normalising, all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from app.documents.excel import CellError, Column, ColumnType, ExcelFileError, read_sheet
from tests.fixtures.excel.workbooks import xls, xlsx, zip_bytes

# A later business (binding contract numbers to houses) reusing the reader with its own columns.
COLUMNS = (
    Column("房屋编号", "house_code", required=True, max_length=20),
    Column("合同编号", "contract_no", required=True, max_length=30),
    Column("签约年月", "signed_ym", ColumnType.YEAR_MONTH),
    Column("套数", "count", ColumnType.INT, minimum=1),
    Column("金额", "amount", ColumnType.DECIMAL, money=True),
    Column(
        "状态",
        "status",
        ColumnType.CODE,
        codes=[("A", "有效"), ("B", "作废")],
        aliases={"正常": "有效"},
    ),
)
HEADERS = [c.header for c in COLUMNS]


def read(data: bytes, **options: Any) -> Any:
    return read_sheet(data, COLUMNS, **options)


def test_rows_come_back_as_dicts_with_python_types() -> None:
    result = read(xlsx([["0101", "HT-1", "2024-05", 2, 1234.5, "有效"]], headers=HEADERS))
    assert result.ok and result.errors == [] and result.error_count == 0
    assert result.rows == [
        {
            "house_code": "0101",
            "contract_no": "HT-1",
            "signed_ym": "2024-05",
            "count": 2,
            "amount": Decimal("1234.50"),
            "status": "A",
        }
    ]


def test_columns_are_found_in_any_order_with_spaces_full_width_and_marks() -> None:
    headers = [" 金额 ", "状态　", "*合同编号", "房屋编号*", "签约年月", "套数", "备注"]
    result = read(
        xlsx(
            [["１,０００", "正常", "HT-2", 101.0, datetime(2024, 5, 1), "３", "ignored"]],
            headers=headers,
        )
    )
    assert result.rows == [
        {
            "house_code": "101",
            "contract_no": "HT-2",
            "signed_ym": "2024-05",
            "count": 3,
            "amount": Decimal("1000.00"),
            "status": "A",
        }
    ]


def test_title_rows_above_the_header_are_skipped() -> None:
    def more_titles(book: object, ws: Any) -> None:
        ws.insert_rows(1, 3)
        ws["A1"] = "江门市"

    data = xlsx(
        [["0101", "HT-1", None, None, None, None]],
        headers=HEADERS,
        title="合同清单",
        edit=more_titles,
    )
    result = read(data)
    assert [r["house_code"] for r in result.rows] == ["0101"]


def test_header_below_row_five_is_not_found() -> None:
    def push_down(book: object, ws: Any) -> None:
        ws.insert_rows(1, 5)

    with pytest.raises(ExcelFileError, match="No header row found"):
        read(xlsx([["0101", "HT-1", None, None, None, None]], headers=HEADERS, edit=push_down))


def test_a_column_twice_in_the_header_is_refused() -> None:
    with pytest.raises(ExcelFileError, match="合同编号 appears more than once"):
        read(xlsx([], headers=[*HEADERS, "合同编号"]))


def test_empty_rows_are_skipped_and_errors_carry_excel_row_numbers() -> None:
    rows = [
        ["0101", "HT-1", None, None, None, None],
        [None] * 6,
        ["  ", "", None, None, None, None],
        ["0103", None, None, "x", None, None],
    ]
    result = read(xlsx(rows, headers=HEADERS, title="标题"))
    assert result.rows == []
    assert result.errors == [
        CellError("房屋信息", 6, "合同编号", "", "Required."),
        CellError("房屋信息", 6, "套数", "x", "Must be a whole number."),
    ]


def test_one_bad_cell_means_no_rows_at_all() -> None:
    good = [[f"01{i:02d}", f"HT-{i}", "2024-01", 1, 10, "有效"] for i in range(20)]
    bad = ["0199", "HT-99", "2024-13", 1, 10, "有效"]
    result = read(xlsx([*good, bad], headers=HEADERS))
    assert result.rows == [] and not result.ok
    assert [(e.row, e.column, e.value) for e in result.errors] == [(22, "签约年月", "2024-13")]


def test_every_cell_is_validated_and_errors_are_ordered_by_row_then_column() -> None:
    rows = [["0101", "HT-1", "bad", 0, "x", "无"], ["0102", None, None, None, None, "作废"]]
    result = read(xlsx(rows, headers=HEADERS))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "签约年月"),
        (2, "套数"),
        (2, "金额"),
        (2, "状态"),
        (3, "合同编号"),
    ]
    assert "有效、作废" in result.errors[3].reason


def test_errors_beyond_the_maximum_are_counted_not_kept() -> None:
    rows = [[f"01{i:02d}", None, None, None, None, None] for i in range(30)]
    result = read(xlsx(rows, headers=HEADERS), max_errors=10)
    assert len(result.errors) == 10 and result.error_count == 30 and result.rows == []


def test_row_rules_run_on_rows_whose_cells_parsed() -> None:
    seen: list[Mapping[str, Any]] = []

    def amount_needs_count(row: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        seen.append(row)
        if row["amount"] is not None and row["count"] is None:
            yield "count", "Needed with an amount."

    rows = [["0101", "HT-1", None, None, 5, None], ["0102", "HT-2", "bad", None, 5, None]]
    result = read(xlsx(rows, headers=HEADERS), row_rules=[amount_needs_count])
    assert [r["house_code"] for r in seen] == ["0101"]
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "套数", "Needed with an amount."),
        (3, "签约年月", "Must be a year and month such as 2005-03."),
    ]


def test_file_rules_see_all_good_rows_with_their_numbers() -> None:
    def unique_contract(
        rows: Sequence[tuple[int, Mapping[str, Any]]],
    ) -> Iterable[tuple[int, str, str]]:
        first: dict[str, int] = {}
        for number, row in rows:
            if first.setdefault(row["contract_no"], number) != number:
                yield number, "contract_no", f"Also in row {first[row['contract_no']]}."

    rows = [["0101", "HT-1", None, None, None, None], ["0102", "HT-1", None, None, None, None]]
    result = read(xlsx(rows, headers=HEADERS), file_rules=[unique_contract])
    assert result.errors == [CellError("房屋信息", 3, "合同编号", "HT-1", "Also in row 2.")]


def test_legacy_xls_is_read_the_same_way() -> None:
    rows = [
        ["0101", "HT-1", "2024-05", 2, 1234.5, "有效"],
        [None] * 6,
        ["0102", "HT-2", 202406, "1", "99", "B"],
    ]
    result = read(xls(rows, headers=HEADERS))
    assert result.rows == [
        {
            "house_code": "0101",
            "contract_no": "HT-1",
            "signed_ym": "2024-05",
            "count": 2,
            "amount": Decimal("1234.50"),
            "status": "A",
        },
        {
            "house_code": "0102",
            "contract_no": "HT-2",
            "signed_ym": "2024-06",
            "count": 1,
            "amount": Decimal("99.00"),
            "status": "B",
        },
    ]


def test_data_starting_in_a_later_column_is_read() -> None:
    def shift(book: object, ws: Any) -> None:
        ws.insert_cols(1, 2)

    result = read(xlsx([["0101", "HT-1", None, None, None, None]], headers=HEADERS, edit=shift))
    assert result.rows[0]["contract_no"] == "HT-1"


def test_boolean_cells_are_not_confused_with_numbers() -> None:
    rows = [["0101", "HT-1", None, 1, None, None], ["0102", "HT-2", None, True, None, None]]
    result = read(xlsx(rows, headers=HEADERS))
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "套数", "TRUE")]


def test_prefixed_namespace_rich_and_inline_strings_without_cell_refs_are_read() -> None:
    # Writers other than Excel (WPS, .NET SDK, Java libraries) use x: prefixes, rich-text shared
    # strings, inline strings and cells without r attributes.
    main = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    header = "".join(f'<x:c t="inlineStr"><x:is><x:t>{h}</x:t></x:is></x:c>' for h in HEADERS)
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<x:workbook {main} xmlns:r="{rel}"><x:sheets>'
        '<x:sheet name="合同" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<x:sst {main}><x:si><x:r><x:t>HT-</x:t></x:r><x:r><x:t>7'
        "</x:t></x:r></x:si></x:sst>",
        "xl/worksheets/sheet1.xml": f"<x:worksheet {main}><x:sheetData><x:row>{header}</x:row>"
        '<x:row><x:c t="inlineStr"><x:is><x:t>0101</x:t></x:is></x:c><x:c t="s"><x:v>0</x:v>'
        "</x:c><x:c><x:v>38412</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row></x:sheetData>"
        "</x:worksheet>",
    }
    result = read(zip_bytes(parts))
    assert result.errors == []
    assert result.rows == [
        {"house_code": "0101", "contract_no": "HT-7", "signed_ym": "2005-03", "count": 2,
         "amount": None, "status": None}
    ]
