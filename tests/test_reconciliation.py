"""银行对账: every kind of difference, idempotent re-import, malformed files, resolve and 日结."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from sqlalchemy import func, select

from tests.reports_support import pay

DAY = dt.date(2026, 3, 2)


def _xlsx(rows: list[list[Any]], header: list[str]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("流水")
    sheet.write_row(0, 0, ["某某银行 对账单"])  # a title above the header, as banks print
    sheet.write_row(1, 0, header)
    for n, row in enumerate(rows, start=2):
        sheet.write_row(n, 0, row)
    book.close()
    return buffer.getvalue()


def _csv(rows: list[list[Any]], header: list[str], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return "\n".join(lines).encode(encoding)


@pytest.fixture()
def day_data(session: Any, demo: Any) -> dict[str, Any]:
    """Notices confirmed on DAY: one the bank agrees with, one it has another amount for, one it lacks;
    plus an unpaid notice the bank has a payment for."""
    from app.domain.numbering import notice_number
    from app.models.payment import Notice
    from app.models.property import House

    houses = list(session.scalars(select(House).where(House.building_id == demo.building_a.id)
                                  .order_by(House.id).limit(4)))
    ok = pay(session, houses[:1], ["100.00"], day=DAY, serial="S-OK")
    differs = pay(session, houses[1:2], ["200.00"], day=DAY, serial="S-DIFF")
    missing_in_bank = pay(session, houses[2:3], ["300.00"], day=DAY, serial="S-PLATFORM")
    unpaid = Notice(org_id=houses[3].org_id, number=notice_number(DAY, 999), area_id=houses[3].area_id,
                    payer_type="developer", payer_name="测试", payment_type="first",
                    total=Decimal("400.00"), status="unpaid", created_at=dt.datetime(2026, 3, 1, 9))
    session.add(unpaid)
    session.flush()
    from app.models.payment import NoticeLine
    session.add(NoticeLine(org_id=houses[3].org_id, notice_id=unpaid.id, house_id=houses[3].id,
                           amount=Decimal("400.00")))
    session.commit()
    rows = [["S-OK", ok.number, "100.00", "2026-03-02", "专户银行"],
            ["S-DIFF", differs.number, "210.00", "2026/3/2", "POS"],
            ["S-BANK", unpaid.number, "400.00", "2026-03-02", "侨都之窗"]]
    return {"ok": ok, "differs": differs, "platform": missing_in_bank, "unpaid": unpaid, "rows": rows}


HEADER = ["银行流水号", "通知单号", "金额", "日期", "渠道"]


def _kinds(statement: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in statement.items:
        found.setdefault(item.kind, []).append(item.bank_serial or item.notice_number)
    return {k: sorted(v) for k, v in found.items()}


def test_statement_with_every_kind_of_difference(session: Any, day_data: dict[str, Any]) -> None:
    from app.services.reconciliation import import_statement

    statement = import_statement(session, DAY, "流水.xlsx", _xlsx(day_data["rows"], HEADER), None)
    assert _kinds(statement) == {"matched": ["S-OK"], "amount_differs": ["S-DIFF"],
                                 "bank_only": ["S-BANK"], "platform_only": ["S-PLATFORM"]}
    differs = next(i for i in statement.items if i.kind == "amount_differs")
    assert (differs.bank_amount, differs.platform_amount) == (Decimal("210.00"), Decimal("200.00"))
    assert statement.bank_total == Decimal("710.00") and statement.bank_count == 3


def test_reimporting_the_same_file_changes_nothing(session: Any, day_data: dict[str, Any]) -> None:
    from app.models.reconciliation import ReconItem, StatementLine
    from app.services.reconciliation import import_statement, resolve

    data = _csv(day_data["rows"], HEADER)
    statement = import_statement(session, DAY, "流水.csv", data, None)
    item = next(i for i in statement.items if i.kind == "platform_only")
    resolve(session, statement, item.id, "银行次日入账", None)
    counts = (session.scalar(select(func.count(StatementLine.id))), session.scalar(select(func.count(ReconItem.id))))
    again = import_statement(session, DAY, "流水.csv", data, None)
    assert again.id == statement.id and again.version == statement.version
    assert (session.scalar(select(func.count(StatementLine.id))),
            session.scalar(select(func.count(ReconItem.id)))) == counts
    assert next(i for i in again.items if i.kind == "platform_only").note == "银行次日入账"


def test_a_corrected_file_rematches_and_keeps_the_notes(session: Any, day_data: dict[str, Any]) -> None:
    from app.services.reconciliation import import_statement, resolve

    statement = import_statement(session, DAY, "a.csv", _csv(day_data["rows"], HEADER), None)
    item = next(i for i in statement.items if i.kind == "platform_only")
    resolve(session, statement, item.id, "已核实", None)
    fixed = [row[:] for row in day_data["rows"]]
    fixed[1][2] = "200.00"
    statement = import_statement(session, DAY, "b.csv", _csv(fixed, HEADER, "gb18030"), None)
    kinds = _kinds(statement)
    assert kinds["matched"] == ["S-DIFF", "S-OK"] and "amount_differs" not in kinds
    assert next(i for i in statement.items if i.kind == "platform_only").note == "已核实"


@pytest.mark.parametrize("rows, header, name, message", [
    ([["S-1", "", "abc", "2026-03-02", ""]], HEADER, "x.csv", "金额"),
    ([["S-1", "", "1.00", "2026-03-03", ""]], HEADER, "x.csv", "2026-03-03"),
    ([["S-1", "", "1.00", "2026-03-02", ""], ["S-1", "", "2.00", "2026-03-02", ""]], HEADER, "x.csv", "S-1"),
    ([["S-1", "1.00"]], ["银行流水号", "金额"], "x.csv", "日期"),
    ([["S-1", "", "1.00", "2026-03-02", "现金"]], HEADER, "x.csv", "现金"),
])
def test_malformed_files_are_refused_and_nothing_is_stored(session: Any, rows: list, header: list,
                                                           name: str, message: str) -> None:
    from app.errors import DomainError
    from app.models.reconciliation import BankStatement
    from app.services.reconciliation import import_statement

    with pytest.raises(DomainError) as caught:
        import_statement(session, DAY, name, _csv(rows, header), None)
    text = str(caught.value.message) + " ".join(f"{p.field} {p.value} {p.reason}" for p in caught.value.problems)
    assert message in text, text
    assert session.scalar(select(func.count(BankStatement.id))) == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(session: Any) -> None:
    from app.documents.excel.errors import ExcelFileError
    from app.services.reconciliation import import_statement

    with pytest.raises(ExcelFileError):
        import_statement(session, DAY, "statement.xlsx", b"not a workbook at all", None)
    with pytest.raises(ExcelFileError):
        import_statement(session, DAY, "statement.pdf", b"%PDF-1.4", None)


def test_day_closes_only_when_nothing_is_open_then_cannot_change(session: Any,
                                                                 day_data: dict[str, Any]) -> None:
    from app.errors import DomainError
    from app.services.reconciliation import DayClosed, close_day, confirm_missing, import_statement, resolve

    statement = import_statement(session, DAY, "d.csv", _csv(day_data["rows"], HEADER), None)
    with pytest.raises(DomainError):
        close_day(session, statement, None)
    bank_only = next(i for i in statement.items if i.kind == "bank_only")
    item = confirm_missing(session, statement, bank_only.id, None)
    assert item.kind == "matched"
    session.refresh(day_data["unpaid"])
    assert day_data["unpaid"].status == "paid" and day_data["unpaid"].bank_serial == "S-BANK"
    for item in [i for i in statement.items if i.state == "open"]:
        resolve(session, statement, item.id, "核对无误", None)
    close_day(session, statement, None)
    with pytest.raises(DayClosed):
        resolve(session, statement, statement.items[0].id, "x", None)
    with pytest.raises(DayClosed):
        import_statement(session, DAY, "other.csv", _csv(day_data["rows"][:1], HEADER), None)


def test_screens_import_resolve_and_close(officer_client: Any, dev_b_client: Any, session: Any,
                                          day_data: dict[str, Any]) -> None:
    response = officer_client.post("/reconcile/import", data={
        "day": DAY.isoformat(), "file": (io.BytesIO(_xlsx(day_data["rows"], HEADER)), "流水.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    for kind in ("matched", "bank_only", "platform_only", "amount_differs"):
        assert f'id="jm-list-{kind}"' in page
    assert "S-DIFF" in page and "210.00" in page
    bad = officer_client.post("/reconcile/import", data={
        "day": DAY.isoformat(), "file": (io.BytesIO(b"a,b\n1,2"), "bad.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "jm-reconcile-error" in bad.get_data(as_text=True)
    assert dev_b_client.get("/reconcile/").status_code in (302, 403, 404)


def test_a_day_changed_by_someone_else_meanwhile_is_a_conflict(session: Any, day_data: dict[str, Any]) -> None:
    from sqlalchemy import update

    from app.errors import Conflict
    from app.models.reconciliation import BankStatement
    from app.services.reconciliation import close_day, import_statement, resolve

    statement = import_statement(session, DAY, "c.csv", _csv(day_data["rows"], HEADER), None)
    for item in [i for i in statement.items if i.state == "open"]:
        resolve(session, statement, item.id, "核对无误", None)
    # another clerk's transaction bumps the row's version after this one loaded it
    session.connection().execute(update(BankStatement).where(BankStatement.id == statement.id)
                                 .values(version=BankStatement.version + 1))
    with pytest.raises(Conflict):
        close_day(session, statement, None)
    assert session.get(BankStatement, statement.id).status == "open"
