"""统计报表 and dashboards: figures against raw SQL, tenant scope, export = screen, statement counts."""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, select, text

from tests.reports_support import add_houses, pay, refund

REPORTS = ("deposits", "arrears", "renew", "journal", "orders", "refunds")


def _houses(session: Any, building: Any, count: int) -> list[Any]:
    from app.models.property import House

    return list(session.scalars(select(House).where(House.building_id == building.id)
                                .order_by(House.id).limit(count)))


def _table(html: str) -> list[list[str]]:
    """The report table's body rows and its totals row as cell texts."""
    table = html[html.index('id="jm-report-table"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


def _sheet(data: bytes) -> list[list[str]]:
    """The sheet's rows as the screen would show them (money cells carry the #,##0.00 format)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]

    def shown(cell: Any) -> str:
        if cell.value is None:
            return ""
        if cell.number_format == "#,##0.00":
            return f"{cell.value:,.2f}"
        if isinstance(cell.value, dt.datetime):
            return cell.value.date().isoformat()
        return str(cell.value)

    return [[shown(c) for c in row] for row in sheet.iter_rows(min_row=2)]


def test_deposit_statistics_match_raw_sql(officer_client: Any, session: Any, demo: Any) -> None:
    a = _houses(session, demo.building_a, 3)
    pay(session, a[:2], [str(a[0].amount_due), "10.00"])
    refund(session, a[0], "5.00", status="paid")
    raw = session.execute(text(
        "SELECT count(*), sum(h.amount_due), sum(coalesce(b.bal, 0)),"
        " sum(CASE WHEN h.amount_due > coalesce(b.bal, 0) THEN h.amount_due - coalesce(b.bal, 0) ELSE 0 END)"
        " FROM house h LEFT JOIN (SELECT house_id, sum(amount) AS bal FROM ledger_entry GROUP BY house_id) b"
        " ON b.house_id = h.id WHERE h.status = 'open' AND h.org_id = :org"), {"org": demo.org_a.id}).one()
    rows = _table(officer_client.get(f"/reports/deposits/?org_id={demo.org_a.id}").get_data(as_text=True))
    body, totals = rows[:-1], rows[-1]
    assert [r[0] for r in body] == [demo.org_a.name]
    count, due, paid, unpaid = raw
    assert body[0][1:5] == [str(count), f"{Decimal(str(due)):,.2f}", f"{Decimal(str(paid)):,.2f}",
                            f"{Decimal(str(unpaid)):,.2f}"]
    assert totals[1] == str(count)
    expected_rate = (Decimal(str(due)) - Decimal(str(unpaid))) * 100 / Decimal(str(due))
    assert body[0][5] == f"{expected_rate.quantize(Decimal('0.01'))}%"


def test_deposit_levels_drill_down_to_buildings_and_arrears(officer_client: Any, demo: Any) -> None:
    html = officer_client.get("/reports/deposits/").get_data(as_text=True)
    assert f'/reports/deposits/?level=area&amp;org_id={demo.org_a.id}' in html
    html = officer_client.get(f"/reports/deposits/?level=area&org_id={demo.org_a.id}").get_data(as_text=True)
    assert f'level=building&amp;area_id={demo.area_a.id}' in html and demo.area_b.name not in _table(html)[0]
    html = officer_client.get(f"/reports/deposits/?level=building&area_id={demo.area_a.id}").get_data(as_text=True)
    assert f"/reports/arrears/?building_id={demo.building_a.id}" in html


def test_arrears_lists_unpaid_and_partly_paid_only(officer_client: Any, session: Any, demo: Any) -> None:
    a = _houses(session, demo.building_a, 3)
    pay(session, a[:2], [str(a[0].amount_due), "10.00"])
    rows = _table(officer_client.get(f"/reports/arrears/?building_id={demo.building_a.id}").get_data(as_text=True))
    codes = [r[3] for r in rows[:-1]]
    assert a[0].code not in codes and a[1].code in codes and a[2].code in codes
    partly = next(r for r in rows if r[3] == a[1].code)
    assert partly[8] == "10.00" and partly[-1] in ("部分交存", "Partly paid")
    unpaid = next(r for r in rows if r[3] == a[2].code)
    assert unpaid[-1] in ("未交存", "Not paid")
    assert rows[-1][3].endswith(str(len(codes)))


def test_arrears_letters_print_one_reminder_per_building(officer_client: Any, demo: Any) -> None:
    html = officer_client.get(f"/reports/arrears/print?format=html&letters=1&area_id={demo.area_a.id}"
                              ).get_data(as_text=True)
    from app.models.property import Building
    from app.extensions import db

    buildings = db.session.scalars(select(Building.name).where(Building.area_id == demo.area_a.id)).all()
    assert html.count('class="sheet reminder"') >= len(buildings)
    assert demo.org_a.name in html and demo.org_b.name not in html


def test_renew_warning_uses_threshold_of_first_deposit(officer_client: Any, session: Any, demo: Any) -> None:
    low, high, never = _houses(session, demo.building_a, 3)
    pay(session, [low, high], ["100.00", "100.00"])
    refund(session, low, "80.00", status="paid")   # 20 % of the first deposit left
    refund(session, high, "60.00", status="paid")  # 40 % left
    html = officer_client.get(f"/reports/renew/?building_id={demo.building_a.id}").get_data(as_text=True)
    codes = [r[3] for r in _table(html)[:-1]]
    assert codes == [low.code]
    assert never.code not in codes  # never paid: 首期/补交, not 续筹
    wider = _table(officer_client.get(f"/reports/renew/?building_id={demo.building_a.id}&threshold=50"
                                      ).get_data(as_text=True))
    assert sorted(r[3] for r in wider[:-1]) == sorted([low.code, high.code])
    assert officer_client.get("/reports/renew/?threshold=150").status_code == 422


def test_journal_filters_by_channel_and_date(officer_client: Any, session: Any, demo: Any) -> None:
    a = _houses(session, demo.building_a, 2)
    pay(session, a[:1], ["11.00"], channel="pos", day=dt.date(2026, 3, 1), serial="POS-1")
    pay(session, a[1:], ["22.00"], channel="qiaodu", day=dt.date(2026, 3, 5), serial="QD-1")
    rows = _table(officer_client.get("/reports/journal/?channel=pos").get_data(as_text=True))
    assert [r[2] for r in rows[:-1]] == ["POS-1"] and rows[-1][-1] == "11.00"
    rows = _table(officer_client.get("/reports/journal/?date_from=2026-03-02&date_to=2026-03-31"
                                     ).get_data(as_text=True))
    assert [r[2] for r in rows[:-1]] == ["QD-1"]
    assert officer_client.get("/reports/journal/?date_from=2026-13-01").status_code == 422


def test_order_statistics_count_and_days_to_approval(officer_client: Any, session: Any, demo: Any) -> None:
    from app.models.order import BusinessOrder

    for n, days in enumerate((2, 4)):
        session.add(BusinessOrder(org_id=demo.org_a.id, number=f"RPT{n}", type="house_change",
                                  status="approved", area_id=demo.area_a.id,
                                  created_at=dt.datetime(2026, 1, 10), submitted_at=dt.datetime(2026, 1, 10),
                                  decided_at=dt.datetime(2026, 1, 10) + dt.timedelta(days=days)))
    session.commit()
    rows = _table(officer_client.get("/reports/orders/?order_type=house_change&status=approved"
                                     "&date_from=2026-01-01&date_to=2026-01-31").get_data(as_text=True))
    assert rows[0][0] == "2026-01" and rows[0][3] == "2" and rows[0][4] == "3.00" and rows[0][5] == "4.00"


def test_refund_ledger_lists_records_with_state(officer_client: Any, dev_b_client: Any, session: Any,
                                                demo: Any) -> None:
    refund(session, demo.house_a, "12.34")
    refund(session, demo.house_b, "56.78", status="paid")
    rows = _table(officer_client.get("/reports/refunds/").get_data(as_text=True))
    assert {r[3] for r in rows[:-1]} == {demo.house_a.code, demo.house_b.code}
    assert rows[-1][4] == "69.12"
    rows = _table(dev_b_client.get("/reports/refunds/").get_data(as_text=True))
    assert [r[3] for r in rows[:-1]] == [demo.house_b.code]


@pytest.mark.parametrize("name", REPORTS)
def test_developer_sees_only_its_own_organisation(name: str, dev_b_client: Any, session: Any,
                                                  demo: Any) -> None:
    pay(session, [demo.house_a], ["1.00"], serial="A-ONLY")
    refund(session, demo.house_a, "1.00")
    for query in ("", f"?org_id={demo.org_a.id}", f"?area_id={demo.area_a.id}",
                  f"?building_id={demo.building_a.id}"):
        response = dev_b_client.get(f"/reports/{name}/{query}")
        html = response.get_data(as_text=True)
        assert demo.org_a.name not in html and demo.area_a.name not in html and "A-ONLY" not in html
        assert demo.house_a.code not in html
        export = dev_b_client.get(f"/reports/{name}/export{query}").get_data()
        assert demo.org_a.name.encode() not in export


def test_export_holds_exactly_the_screen_table(officer_client: Any, session: Any, demo: Any) -> None:
    a = _houses(session, demo.building_a, 2)
    pay(session, a, ["5.00", "6.00"], serial="=HYPERLINK(\"http://x\")")
    for name, query in (("deposits", "?level=building"), ("journal", ""), ("arrears", f"?area_id={demo.area_a.id}")):
        shown = _table(officer_client.get(f"/reports/{name}/{query}").get_data(as_text=True))
        if name == "arrears":  # the screen pages (200 rows), the sheet holds every page in order
            more = _table(officer_client.get(f"/reports/{name}/{query}&page=2").get_data(as_text=True))
            shown = shown[:-1] + more
        sheet = _sheet(officer_client.get(f"/reports/{name}/export{query}").get_data())
        assert [[c.replace("'=", "=") for c in row] for row in sheet] == [
            [c.replace("&#34;", '"').replace("&amp;", "&") for c in row] for row in shown], name
    sheet = _sheet(officer_client.get("/reports/journal/export").get_data())
    assert sheet[0][2].startswith("'=")  # a formula from a bank serial stays text


def test_report_pages_run_the_same_statements_on_more_data(officer_client: Any, session: Any,
                                                           demo: Any) -> None:
    from app.extensions import db

    def statements(url: str) -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert officer_client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    urls = [f"/reports/{name}/" for name in REPORTS] + ["/reports/deposits/?level=building", "/dashboard/"]
    small = {url: statements(url) for url in urls}
    houses = add_houses(session, demo.building_a, 300)
    pay(session, houses[:150], ["1000.00"] * 150)
    pay(session, houses[150:160], ["10.00"] * 10, channel="pos")
    for house in houses[:5]:
        refund(session, house, "900.00", status="paid")
    large = {url: statements(url) for url in urls}
    assert large == small


def test_dashboards_show_charts_with_tables_and_links(officer_client: Any, dev_b_client: Any,
                                                      session: Any, demo: Any) -> None:
    from app.services.payments.notices import local_today

    from app.models.outbox import OutboxMessage

    pay(session, [demo.house_a], ["123.00"], channel="qiaodu", day=local_today())
    session.add(OutboxMessage(kind="deposit_status", idempotency_key="rpt-1", org_id=demo.org_a.id,
                              house_id=demo.house_a.id, house_code=demo.house_a.code, payload={}))
    session.commit()
    html = officer_client.get("/dashboard/").get_data(as_text=True)
    for key in ("district", "developer", "payments", "orders", "outbox"):
        assert f'id="jm-panel-{key}"' in html
    assert "vendor/echarts/echarts.min.js" in html and "cdn" not in html.lower()
    assert f"/reports/deposits/?org_id={demo.org_a.id}" in html
    assert f"/reports/journal/?date_from={local_today().isoformat()}" in html
    assert "/tradeoutboxview/list/" in html
    html = dev_b_client.get("/dashboard/").get_data(as_text=True)
    assert 'id="jm-panel-areas"' in html and 'id="jm-panel-outbox"' not in html
    assert demo.area_b.name in html and demo.area_a.name not in html and demo.org_a.name not in html


def test_report_print_renders_table_and_pdf(officer_client: Any) -> None:
    html = officer_client.get("/reports/deposits/print?format=html&level=area").get_data(as_text=True)
    assert 'class="sheet report-sheet"' in html and "tr class=\"total\"" in html
    response = officer_client.get("/reports/deposits/print")
    assert response.status_code == 200 and response.get_data()[:4] == b"%PDF"


def test_teller_has_no_reports(teller_client: Any) -> None:
    for url in ("/reports/deposits/", "/dashboard/", "/reports/journal/export"):
        assert teller_client.get(url).status_code in (302, 403, 404)


def test_report_api_answers_json_under_the_tenant_filter(app: Any, api_headers: Any, session: Any,
                                                         demo: Any) -> None:
    pay(session, [demo.house_a], ["7.00"], serial="API-A")
    client = app.test_client()
    body = client.get("/api/v1/report/journal", headers=api_headers("officer")).get_json()
    assert [r["serial"] for r in body["rows"]] == ["API-A"] and body["totals"]["amount"] == "7.00"
    body = client.get(f"/api/v1/report/journal?org_id={demo.org_a.id}", headers=api_headers("dev_b")).get_json()
    assert body["rows"] == [] and body["totals"]["amount"] == "0.00"
    body = client.get("/api/v1/report/deposits?level=area", headers=api_headers("dev_b")).get_json()
    assert [r["area"] for r in body["rows"]] == [demo.area_b.name]
    assert client.get("/api/v1/report/nothing", headers=api_headers("officer")).status_code == 404
    assert client.get("/api/v1/report/journal?date_from=x", headers=api_headers("officer")).status_code == 422
    assert client.get("/api/v1/report/journal").status_code == 401
    spec = client.get("/api/v1/_openapi", headers=api_headers("admin")).get_json()
    assert set(spec["paths"]["/api/v1/report/{name}"]) == {"get"}


def test_notice_api_lists_own_notices_only(app: Any, api_headers: Any, session: Any, demo: Any) -> None:
    mine = pay(session, [demo.house_b], ["3.00"], serial="API-B")
    theirs = pay(session, [demo.house_a], ["4.00"], serial="API-A2")
    client = app.test_client()
    body = client.get("/api/v1/notice/", headers=api_headers("dev_b")).get_json()
    numbers = {row["number"] for row in body["result"]}
    assert mine.number in numbers and theirs.number not in numbers
    assert client.get(f"/api/v1/notice/{theirs.id}", headers=api_headers("dev_b")).status_code == 404
    shown = client.get(f"/api/v1/notice/{mine.id}", headers=api_headers("dev_b")).get_json()["result"]
    assert shown["bank_serial"] == "API-B" and shown["area"]["name"] == demo.area_b.name
    officer = client.get("/api/v1/notice/", headers=api_headers("officer")).get_json()
    assert {mine.number, theirs.number} <= {row["number"] for row in officer["result"]}


def _select(html: str, name: str) -> str:
    """The HTML of the filter box ``name`` ('' when the page has none)."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', html, re.S)
    return found.group(0) if found else ""


def test_filter_boxes_print_only_the_chosen_area_and_developer(officer_client: Any, dev_a_client: Any,
                                                                session: Any, demo: Any) -> None:
    from app.models.organisation import Organisation
    from app.models.property import PropertyArea

    areas = list(session.scalars(select(PropertyArea.name)))
    orgs = list(session.scalars(select(Organisation.name)))
    assert len(areas) >= 2 and len(orgs) >= 2
    for name in REPORTS:
        html = officer_client.get(f"/reports/{name}/").get_data(as_text=True)
        boxes = _select(html, "area_id") + _select(html, "org_id")
        # The boxes hold no option but the blank one: the rest come as the officer types.
        assert not any(area in boxes for area in areas) and not any(org in boxes for org in orgs), name
        assert len(re.findall(r"<option", boxes)) == boxes.count("<select"), name
    html = officer_client.get(f"/reports/arrears/?area_id={demo.area_b.id}&org_id={demo.org_b.id}"
                              ).get_data(as_text=True)
    area_box, org_box = _select(html, "area_id"), _select(html, "org_id")
    assert 'data-url="/property/areas/options"' in area_box and 'data-url="/office/organisations/options"' in org_box
    # After the reload the chosen values still show their names, and only they.
    assert re.search(rf'value="{demo.area_b.id}" selected>{re.escape(demo.area_b.name)}<', area_box)
    assert re.search(rf'value="{demo.org_b.id}" selected>{re.escape(demo.org_b.name)}<', org_box)
    assert demo.area_a.name not in area_box and demo.org_a.name not in org_box
    # A developer has no developer box, and another organisation's area id names nothing.
    html = dev_a_client.get(f"/reports/arrears/?area_id={demo.area_b.id}").get_data(as_text=True)
    assert _select(html, "org_id") == "" and _select(html, "area_id")
    assert demo.area_b.name not in html


def test_developer_options_for_the_fund_office_only(officer_client: Any, dev_a_client: Any,
                                                    demo: Any) -> None:
    found = officer_client.get("/office/organisations/options", query_string={"q": demo.org_b.name}).get_json()
    assert [row["id"] for row in found["results"]] == [demo.org_b.id]
    assert found["results"][0]["text"] == demo.org_b.name
    every = officer_client.get("/office/organisations/options").get_json()["results"]
    assert {demo.org_a.id, demo.org_b.id} <= {row["id"] for row in every}
    answer = dev_a_client.get("/office/organisations/options", query_string={"q": demo.org_b.name})
    assert answer.status_code in (401, 403)
    assert demo.org_b.name not in answer.get_data(as_text=True)
