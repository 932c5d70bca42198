"""Print templates rendered to HTML: content, totals, amounts in words, pagination, QR codes.

Pure: no app and no wkhtmltopdf. The Chinese tests render through the print fragment catalogue, so a
missing or wrong translation of a printed word shows up here. The sample builders are also used by
tests/test_print_pdf.py.
"""
from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import qrcode
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

from app.documents.print_models import (
    AccountList,
    AccountListRow,
    Agent,
    Attachment,
    BankAccount,
    NoticeDoc,
    NoticeLine,
    OrderForm,
    Org,
    Payer,
    PaymentProof,
    RefundForm,
    RefundLine,
    SummaryTable,
)
from app.documents.printing import fit, make_environment, merge_html, paginate, render_html
from app.documents.qr import qr_svg

FRAGMENT = Path(__file__).resolve().parent.parent / "translations" / "fragments" / "print.po"

ORG = Org(name="江门市碧海房地产开发有限公司", credit_code="91440703MA4W1J2K3L",
          legal_representative="李建国", contact="陈小姐", phone="0750-3201234",
          address="江门市蓬江区建设路88号")
AGENT = Agent(name="王晓明", phone="13800138000", id_number="440703199001011234", id_type="居民身份证")
SPECIAL = BankAccount(bank_name="中国工商银行江门分行营业部", account_name="江门市住宅专项维修资金专户",
                      account_number="2012002109200123456")


def zh_catalogue() -> Translations:
    """Return the print fragment compiled into a gettext catalogue."""
    with FRAGMENT.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def zh_env() -> Environment:
    """Return a print environment that prints Chinese."""
    return make_environment(zh_catalogue())


def render_zh(template: str, **context: object) -> str:
    return zh_env().get_template(template).render(**context)


def account_rows(count: int, building: str = "1幢") -> list[AccountListRow]:
    """Return ``count`` houses, 4 per floor, alternating 88.50 m² at 55/m² and 120.37 m² at 50/m²."""
    rows = []
    for i in range(count):
        floor, room = divmod(i, 4)
        big = i % 2 == 1
        area = Decimal("120.37") if big else Decimal("88.50")
        rate = Decimal(50) if big else Decimal(55)
        rows.append(AccountListRow(
            house_code=f"44070302{i:08d}", building=building, unit="1", floor=str(floor + 1),
            room=f"{floor + 1}{room + 1:02d}", use="住宅", has_lift=not big, area=area,
            standard=f"{rate}元/m²", amount_due=(area * rate).quantize(Decimal("0.01"))))
    return rows


def notice_lines(count: int) -> list[NoticeLine]:
    """Return ``count`` notice lines of 88.50 m² and 4,867.50 yuan each."""
    return [NoticeLine(house_code=f"44070302{i:08d}", location=f"碧海花园1幢{i // 4 + 1}{i % 4 + 1:02d}房",
                       area=Decimal("88.50"), amount=Decimal("4867.50"),
                       contract_number=f"JM2024{i:06d}" if i % 3 else "")
            for i in range(count)]


def order_form(rows: int = 3) -> OrderForm:
    table = SummaryTable(
        caption="按楼幢汇总", headers=("楼幢", "房屋数", "建筑面积（m²）", "应交金额（元）"),
        rows=[(f"{i + 1}幢", 24, Decimal("2436.48"), Decimal("126540.80")) for i in range(rows)])
    return OrderForm(
        order_number="WY20240315-0007", title="物业区域采集申请表", org=ORG, area_name="碧海花园",
        lines=table, agent=AGENT, reason="新建商品房首次开户", area_address="江门市蓬江区白沙大道西1号",
        district="蓬江区", submitted_on=date(2024, 3, 15),
        totals=(("房屋数合计", 24 * rows), ("应交金额合计（元）", Decimal("126540.80") * rows)),
        attachments=(Attachment("营业执照复印件", 1, "加盖公章"), Attachment("商品房预售许可证复印件", 2)))


def account_list(count: int) -> AccountList:
    return AccountList(order_number="WY20240315-0007", org_name=ORG.name, area_name="碧海花园",
                       rows=account_rows(count), deposit_point="首期交存", printed_on=date(2024, 3, 15))


def notice(count: int = 3, *, number: str = "JK202403150001", void: bool = False,
           for_owner: bool = False, lines: list[NoticeLine] | None = None) -> NoticeDoc:
    payers = ((Payer("张三", "居民身份证", "440703199001011234", "13800138000"),) if for_owner
              else (Payer(ORG.name, "统一社会信用代码", ORG.credit_code),))
    return NoticeDoc(notice_number=number, payers=payers, area_name="碧海花园",
                     lines=notice_lines(count) if lines is None else lines, special_account=SPECIAL,
                     issued_on=date(2024, 3, 16), building="1幢", payment_type="首期",
                     org_name=ORG.name, for_owner=for_owner, void=void)


def refund_form() -> RefundForm:
    lines = [RefundLine("4407030200000001", "碧海花园1幢101房", Decimal("85.00"), Decimal("4867.50"),
                        Decimal("4675.00"), Decimal("192.50")),
             RefundLine("4407030200000002", "碧海花园1幢102房", Decimal("86.10"), Decimal("4867.50"),
                        Decimal("4735.50"), Decimal("132.00"))]
    return RefundForm(refund_number="TK20240320-0002", order_number="BG20240320-0011", org=ORG,
                      area_name="碧海花园", lines=lines,
                      account=BankAccount("中国银行江门分行", "江门市碧海房地产开发有限公司", "6216610200001234567"),
                      reason="重新测绘后建筑面积减少", agent=AGENT, applied_on=date(2024, 3, 20))


def payment_proof(*, reprint: bool = False) -> PaymentProof:
    return PaymentProof(notice_number="JK202403150001", bank_serial="ICBC20240318093011000123",
                        channel="专户银行", paid_at=datetime(2024, 3, 18, 9, 30),
                        payers=(Payer("张三", "居民身份证", "440703199001011234"),), area_name="碧海花园",
                        lines=notice_lines(1), special_account=SPECIAL,
                        printed_at=datetime(2024, 3, 18, 9, 31), reprint=reprint)


def sheets(html: str) -> int:
    return html.count('<div class="sheet')


# --- pagination -------------------------------------------------------------------------------

def test_paginate_first_page_then_full_pages() -> None:
    pages = paginate(list(range(25)), 10, first=5)
    assert [len(p) for p in pages] == [5, 10, 10]
    assert [x for p in pages for x in p] == list(range(25))


def test_paginate_adds_a_page_when_the_closing_lines_do_not_fit() -> None:
    assert [len(p) for p in paginate(list(range(20)), 10, reserve=2)] == [10, 10, 0]
    assert [len(p) for p in paginate(list(range(18)), 10, reserve=2)] == [10, 8]


def test_paginate_keeps_one_page_for_an_empty_list() -> None:
    assert paginate([], 10) == [[]]


def test_paginate_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        paginate([1], 0)


def test_fit_cuts_overlong_text_to_its_column() -> None:
    assert fit("1幢", 29.6) == "1幢"
    cut = fit("碧海花园超长楼幢名称测试一二三四五六七八九十", 29.6)
    assert cut == "碧海花园超长楼幢…"
    assert fit("A" * 60, 29.6).endswith("…")


def test_long_building_names_do_not_break_the_fixed_rows() -> None:
    rows = [AccountListRow("4407030200000001", "江门市碧海花园二期东区商住综合楼第十八幢A座", "1", "1", "101",
                           "住宅", True, Decimal("88.50"), "55元/m²", Decimal("4867.50"))]
    doc = AccountList("WY20240315-0007", ORG.name, "碧海花园", rows)
    html = render_zh("account_list.html", doc=doc)
    assert "江门市碧海…" in html
    assert "A座" not in html


def test_notice_prints_a_14_character_contract_number_whole() -> None:
    line = NoticeLine("440703000010000015", "碧海花园15幢2单元1502房", Decimal("88.50"),
                      Decimal("4867.50"), contract_number="JM2026YS000123")
    proof = dataclasses.replace(payment_proof(), lines=[line])
    for html in (render_zh("notice.html", notices=[notice(lines=[line])]),
                 render_zh("payment_proof.html", proofs=[proof])):
        assert ">JM2026YS000123<" in html and ">440703000010000015<" in html
        assert ">碧海花园15幢2单元1502房<" in html and "…" not in html


# --- totals on the data -----------------------------------------------------------------------

def test_totals_are_sums_of_the_lines() -> None:
    doc = account_list(3)
    assert doc.total_area == Decimal("297.37")
    assert doc.total_amount == Decimal("4867.50") * 2 + Decimal("6018.50")
    assert notice(4).total == Decimal("19470.00")
    assert refund_form().total == Decimal("324.50")


# --- application form -------------------------------------------------------------------------

def test_application_form_shows_order_org_agent_and_blank_office_boxes() -> None:
    html = render_zh("application_form.html", form=order_form())
    for text in ("物业区域采集申请表", "WY20240315-0007", ORG.name, ORG.credit_code, "碧海花园", "王晓明",
                 "13800138000", "440703199001011234", "新建商品房首次开户", "按楼幢汇总", "营业执照复印件",
                 "受理意见", "审核意见", "受理人（签名）", "审核人（签名）", "以下由维修资金管理部门填写",
                 "2024年03月15日", "379,622.40"):
        assert text in html, text
    assert html.count("<tr><td class=\"c\">") >= 3 + 2  # 3 summary rows and 2 attachments
    assert sheets(html) == 1


def test_application_form_continues_long_tables_on_more_sheets() -> None:
    html = render_zh("application_form.html", form=order_form(rows=70))
    assert sheets(html) == 3
    assert html.count("WY20240315-0007") >= 3
    assert ">70</td>" in html


def test_application_form_escapes_user_text() -> None:
    form = order_form()
    form = OrderForm(**{**{f: getattr(form, f) for f in form.__dataclass_fields__},
                        "reason": "<script>alert(1)</script>"})
    html = render_zh("application_form.html", form=form)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_templates_print_english_without_a_catalogue() -> None:
    html = render_html("application_form.html", form=order_form())
    assert "Acceptance opinion" in html
    assert "Review opinion" in html


# --- account list -----------------------------------------------------------------------------

def test_account_list_heading_and_order_number_on_every_sheet() -> None:
    html = render_zh("account_list.html", doc=account_list(100))
    n = sheets(html)
    assert n == 3
    assert html.count("WY20240315-0007") == n + 1  # every sheet and the <title>
    assert html.count("住宅专项维修资金开户清册") == n + 1
    assert "第 3 页 / 共 3 页" in html


def test_account_list_totals_and_words() -> None:
    doc = account_list(3)
    html = render_zh("account_list.html", doc=doc)
    assert "共 3 户" in html
    assert "297.37" in html
    assert "15,753.50" in html  # 4867.50 + 6018.50 + 4867.50
    assert "人民币壹万伍仟柒佰伍拾叁元伍角" in html
    for header in ("序号", "房屋编号", "楼幢", "单元", "楼层", "房号", "用途", "电梯", "建筑面积", "交存标准",
                   "应交金额"):
        assert header in html, header


def test_account_list_numbers_rows_across_sheets() -> None:
    html = render_zh("account_list.html", doc=account_list(80))
    numbers = [int(n) for n in re.findall(r'<tr><td class="c">(\d+)</td>', html)]
    assert numbers == list(range(1, 81))


# --- notices ----------------------------------------------------------------------------------

def test_notice_amount_in_figures_and_words_and_bank_account() -> None:
    lines = [NoticeLine("4407030200000001", "1幢101房", Decimal("88.50"), Decimal("1004.50")),
             NoticeLine("4407030200000002", "1幢102房", Decimal("90.00"), Decimal("2000.00")),
             NoticeLine("4407030200000003", "1幢103房", Decimal("0.10"), Decimal("0.05"))]
    html = render_zh("notice.html", notices=[notice(lines=lines)])
    assert "江门市住宅专项维修资金交存通知单" in html
    assert "JK202403150001" in html
    assert "3,004.55" in html
    assert "人民币叁仟零肆元伍角伍分" in html
    assert SPECIAL.bank_name in html and SPECIAL.account_name in html and SPECIAL.account_number in html
    assert "2024年03月16日" in html
    assert html.count("<svg") == 1
    assert "作废" not in html


def test_void_notice_carries_the_watermark_on_every_sheet() -> None:
    html = render_zh("notice.html", notices=[notice(50, void=True)])
    assert sheets(html) == 2
    assert html.count('class="void-mark"') == 2
    assert html.count(">作废</text>") == 2


def test_owner_notice_names_all_payment_channels() -> None:
    html = render_zh("notice.html", notices=[notice(1, for_owner=True)])
    assert "张三" in html
    assert "侨都之窗" in html and "POS" in html and "专户银行" in html


def test_batch_of_notices_is_one_document_with_one_notice_per_sheet() -> None:
    batch = [notice(1, number=f"JK2024031500{i:02d}", for_owner=True) for i in range(5)]
    html = render_zh("notice.html", notices=batch)
    assert html.count("<html") == 1
    assert sheets(html) == 5
    assert html.count("<svg") == 5
    for doc in batch:
        assert doc.notice_number in html


def test_building_notice_lists_every_house_once_across_sheets() -> None:
    html = render_zh("notice.html", notices=[notice(500)])
    numbers = [int(n) for n in re.findall(r'<tr><td class="c">(\d+)</td>', html)]
    assert numbers == list(range(1, 501))
    assert "共 500 户" in html
    assert "2,433,750.00" in html
    assert "人民币贰佰肆拾叁万叁仟柒佰伍拾元整" in html


# --- refund form and proof of payment ---------------------------------------------------------

def test_refund_form_account_amounts_and_signatures() -> None:
    html = render_zh("refund_form.html", form=refund_form())
    for text in ("住宅专项维修资金退款申请表", "TK20240320-0002", "BG20240320-0011", "6216610200001234567",
                 "中国银行江门分行", "户名", "开户银行", "账号", "重新测绘后建筑面积减少", "324.50",
                 "人民币叁佰贰拾肆元伍角", "申请单位（盖章）", "审核意见"):
        assert text in html, text


def test_payment_proof_serial_channel_and_words() -> None:
    html = render_zh("payment_proof.html", proofs=[payment_proof(reprint=True)])
    for text in ("江门市住宅专项维修资金交款证明", "JK202403150001", "ICBC20240318093011000123", "专户银行",
                 "2024年03月18日 09:30", "4,867.50", "人民币肆仟捌佰陆拾柒元伍角", "补打"):
        assert text in html, text


# --- merging and QR ---------------------------------------------------------------------------

def test_merge_html_keeps_one_head_and_breaks_pages_between_documents() -> None:
    first = render_zh("application_form.html", form=order_form())
    second = render_zh("account_list.html", doc=account_list(3))
    merged = merge_html([first, second])
    assert merged.count("<html") == 1 and merged.count("<body") == 1
    assert merged.count("<style>") == 1  # same stylesheet, kept once
    assert 'class="document-break"' in merged
    assert "物业区域采集申请表" in merged and "住宅专项维修资金开户清册" in merged


def test_qr_svg_is_sized_svg_of_the_qr_matrix() -> None:
    svg = qr_svg("JK202403150001", size_mm=20)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "20mm" and root.get("height") == "20mm"
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data("JK202403150001")
    code.make(fit=True)
    dark = sum(cell for row in code.get_matrix() for cell in row)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    assert path.get("d", "").count("z") == dark
    assert qr_svg("JK202403150002") != qr_svg("JK202403150001")
