"""批量导出 / 批量导入 of 房屋信息变更 and 房屋权属批量变更: the picked houses out to Excel and back,
matched by house number; only changed cells count; a bad file (a house not in the order or not
the user's, a bad cell) is refused with row and column, its copy marked, and nothing stored."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Iterator, Optional

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from app.documents.excel.marked import ERROR_SHEET
from app.models.order import JOB_DONE, JOB_FAILED, OrderJob
from app.models.property import House
from app.services.orders import intake, staging
from app.services.orders.types import handler_for
from tests.test_orders_house_change import change_order, lift_houses
from tests.test_orders_ownership_change import area_houses, ownership_order


@pytest.fixture(autouse=True)
def inline_jobs(app: Flask) -> Iterator[None]:
    app.config["ORDER_JOBS_INLINE"] = True
    yield
    app.config.pop("ORDER_JOBS_INLINE", None)


def edit(data: bytes, changes: Optional[dict[tuple[int, str], Any]] = None, append: Any = ()
         ) -> bytes:
    """The exported workbook with cells (row, header) set and rows appended."""
    book = openpyxl.load_workbook(BytesIO(data))
    sheet = book.active
    headers = {cell.value: cell.column for cell in sheet[1]}
    for (row, header), value in (changes or {}).items():
        sheet.cell(row=row, column=headers[header], value=value)
    for values in append:
        sheet.append(values)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def cells(data: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def workbook(header: list[Any], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(header)
    for values in rows:
        book.active.append(values)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(app: Flask, session: Any, order: Any, user: Any, data: bytes) -> OrderJob:
    job = intake.start_import(session, app, order.id, user, data, "edited.xlsx", locale="zh")
    return session.get(OrderJob, job.id)


def export(session: Any, order: Any) -> bytes:
    return handler_for(order.type).export_sheet(session, order)[0]


def lines(session: Any, order: Any) -> list[tuple[dict, dict]]:
    session.expire_all()
    return [(before, after) for _s, _t, before, after
            in staging.changes(session, order.id, staging.HOUSE)]


# ---------------------------------------------------------------- 房屋信息变更

def test_house_change_round_trip_changes_only_the_edited_cells(app, session, demo):
    dev = demo.users["dev_a"]
    houses = lift_houses(session, demo, 3)
    order = change_order(session, demo, houses)
    exported = export(session, order)
    rows = cells(exported)
    assert [r["房屋编号"] for r in rows] == [h.code for h in houses]
    assert {r["电梯"] for r in rows} == {"有"} and rows[0]["楼层"] == houses[0].floor

    unchanged = run_import(app, session, order, dev, exported)
    assert unchanged.state == JOB_DONE
    assert all(before == after for before, after in lines(session, order))

    edited = edit(exported, {(2, "电梯"): "无", (3, "单元"): "9单元", (4, "套内面积"): 10.5})
    job = run_import(app, session, order, dev, edited)
    assert job.state == JOB_DONE, job.problems
    (b1, a1), (b2, a2), (b3, a3) = lines(session, order)
    assert a1 == {**b1, "has_lift": "0"}
    assert a2 == {**b2, "unit": "9"}
    assert a3 == {**b3, "inner_area": "10.50"}

    again = run_import(app, session, order, dev, export(session, order))
    assert again.state == JOB_DONE
    assert [a for _b, a in lines(session, order)] == [a1, a2, a3]  # idempotent


def test_house_change_import_refuses_strangers_and_bad_cells_storing_nothing(app, session, demo):
    dev = demo.users["dev_a"]
    houses = lift_houses(session, demo, 3)
    order = change_order(session, demo, houses[:2])
    exported = export(session, order)
    template = cells(exported)[0]
    stranger = [template[k] for k in template]
    outsider = list(stranger)
    stranger[0], outsider[0] = houses[2].code, demo.house_b.code
    bad = edit(exported, {(2, "电梯"): "无", (3, "房屋用途"): "城堡", (3, "楼幢名称"): "不存在的楼"},
               append=[stranger, outsider])
    job = run_import(app, session, order, dev, bad)
    assert job.state == JOB_FAILED
    found = {(p["row"], p["field"]) for p in job.problems}
    assert (3, "房屋用途") in found  # a cell the reader refuses
    assert all(before == after for before, after in lines(session, order))

    bad = edit(exported, {(2, "电梯"): "无", (3, "楼幢名称"): "不存在的楼"},
               append=[stranger, outsider])
    job = run_import(app, session, order, dev, bad)
    assert job.state == JOB_FAILED
    problems = {(p["row"], p["field"]): p["reason"] for p in job.problems}
    assert set(problems) == {(3, "楼幢名称"), (4, "房屋编号"), (5, "房屋编号")}
    # in the user's area but not in the order / another organisation's (read like a missing one)
    assert problems[(4, "房屋编号")] != problems[(5, "房屋编号")]
    missing = edit(exported, append=[["NO-SUCH-HOUSE"] + stranger[1:]])
    assert run_import(app, session, order, dev, missing).problems[0]["reason"] \
        == problems[(5, "房屋编号")]
    assert all(before == after for before, after in lines(session, order))  # nothing stored
    marked = openpyxl.load_workbook(BytesIO(intake.marked_copy_path(
        job.result_name, app.config["UPLOAD_FOLDER"]).read_bytes()))
    assert ERROR_SHEET in marked.sheetnames
    assert marked.active.cell(row=4, column=1).comment is not None


def test_house_listed_twice_is_refused(app, session, demo):
    dev = demo.users["dev_a"]
    order = change_order(session, demo, lift_houses(session, demo, 1))
    exported = export(session, order)
    row = cells(exported)[0]
    job = run_import(app, session, order, dev, edit(exported, append=[list(row.values())]))
    assert job.state == JOB_FAILED
    assert [(p["row"], p["field"]) for p in job.problems] == [(3, "房屋编号")]


# ---------------------------------------------------------------- 房屋权属批量变更

def test_ownership_round_trip_replaces_the_named_houses_owners(app, session, demo):
    dev = demo.users["dev_a"]
    houses = area_houses(session, demo, 2)
    order = ownership_order(session, demo, houses)
    exported = export(session, order)
    rows = cells(exported)
    assert len(rows) == sum(max(len(h.owners), 1) for h in houses)

    job = run_import(app, session, order, dev, exported)
    assert job.state == JOB_DONE, job.problems
    assert all(before == after for before, after in lines(session, order))

    first = houses[0].code
    kept = [[v for v in r.values()] for r in rows if r["房屋编号"] != first]
    new_rows = [[first, "", "张伟", "居民身份证", "11010519491231002X", "13800138002", 60],
                [first, "", "王芳", "护照", "E12345678", "0750-3201234", 40]]
    job = run_import(app, session, order, dev, workbook(list(rows[0]), new_rows + kept))
    assert job.state == JOB_DONE, job.problems
    (b1, a1), (b2, a2) = lines(session, order)
    assert [(o["name"], o["id_type"], o["share"]) for o in a1["owners"]] == [
        ("张伟", "01", "60.00"), ("王芳", "02", "40.00")]
    assert a2 == b2


def test_ownership_import_names_row_and_column_and_stores_nothing(app, session, demo):
    dev = demo.users["dev_a"]
    houses = area_houses(session, demo, 1)
    order = ownership_order(session, demo, houses)
    rows = cells(export(session, order))
    code = houses[0].code
    job = run_import(app, session, order, dev, workbook(list(rows[0]), [
        [code, "", "张伟", "居民身份证", "110105194912310021", "13800138002", None],
        [code, "", "王芳", "护照", "E12345678", "123", None],
        [code, "", "李雷", "居民身份证", "11010519491231002X", None, None],
        [demo.house_b.code, "", "赵六", "护照", "E12345678", "13800138003", None]]))
    assert job.state == JOB_FAILED
    found = {(p["row"], p["field"]) for p in job.problems}
    assert {(2, "证件号码"), (3, "联系电话")} <= found  # check digit, phone format
    assert all(before == after for before, after in lines(session, order))
    # once the cells are right, the missing phone and the stranger remain, by row and column
    job = run_import(app, session, order, dev, workbook(list(rows[0]), [
        [code, "", "张伟", "居民身份证", "11010519491231002X", "13800138002", 70],
        [code, "", "李雷", "护照", "E87654321", None, 40],
        [demo.house_b.code, "", "赵六", "护照", "E12345678", "13800138003", None]]))
    assert job.state == JOB_FAILED
    found = {(p["row"], p["field"]) for p in job.problems}
    assert {(3, "联系电话"), (4, "房屋编号")} <= found
    assert all(before == after for before, after in lines(session, order))
    assert session.scalar(select(House).where(House.id == houses[0].id)).owners == houses[0].owners


# ---------------------------------------------------------------- views

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client: Any, order: Any, data: bytes) -> Any:
    return client.post(f"/order-form/{order.id}/import",
                       data={"file": (BytesIO(data), "edited.xlsx")},
                       content_type="multipart/form-data")


def test_sheet_views_export_import_and_marked_copy(dev_a_client, dev_b_client, session, demo):
    houses = lift_houses(session, demo, 2)
    order = change_order(session, demo, houses[:1])
    page = dev_a_client.get(f"/order-form/{order.id}/edit").get_data(as_text=True)
    assert "jm-export-lines" in page and "jm-import-open" in page
    exported = dev_a_client.get(f"/order-form/{order.id}/export.xlsx")
    assert exported.status_code == 200 and exported.mimetype == XLSX
    assert dev_b_client.get(f"/order-form/{order.id}/export.xlsx").status_code == 404
    assert upload(dev_b_client, order, exported.data).status_code == 404

    done = upload(dev_a_client, order, edit(exported.data, {(2, "电梯"): "无"}))
    assert done.status_code == 202 and done.get_json()["state"] == "done"
    assert [a["has_lift"] for _b, a in lines(session, order)] == ["0"]

    row = cells(exported.data)[0]
    stranger = [houses[1].code] + list(row.values())[1:]
    failed = upload(dev_a_client, order, edit(exported.data, {(2, "电梯"): "有"}, [stranger]))
    status = dev_a_client.get(f"/order-form/jobs/{failed.get_json()['id']}").get_json()
    assert status["state"] == "failed" and status["problems"][0]["row"] == 3
    assert status["problems"][0]["field"] == "房屋编号"
    marked = dev_a_client.get(status["marked_url"])
    assert marked.status_code == 200 and marked.mimetype == XLSX
    assert [a["has_lift"] for _b, a in lines(session, order)] == ["0"]  # nothing stored


def test_the_owners_cell_shows_one_owner_per_line(dev_a_client, officer_client, session, demo):
    from app.services.orders import drafts, workflow
    from tests.test_orders_ownership_change import NEW_OWNERS

    dev = demo.users["dev_a"]
    order = ownership_order(session, demo, area_houses(session, demo, 1))
    seq = staging.changes(session, order.id, staging.HOUSE)[0][0]
    drafts.modify_lines(session, order.id, dev, [seq], {"owners": NEW_OWNERS})
    workflow.submit(session, order.id, dev)
    review = officer_client.get(f"/review/{order.id}").get_data(as_text=True)
    cell = review.split('jm-after jm-changed jm-multiline">', 1)[1].split("</td>", 1)[0]
    assert [line.split()[0] for line in cell.strip().splitlines()] == ["张伟", "王芳"]
