"""PDF conversion: page counts, embedded Chinese font, true-to-size layout and the engine's errors.

Conversion tests need wkhtmltopdf and are skipped without it; the page-size and font checks use
poppler-utils (pdfinfo, pdffonts, pdftotext) when installed and fall back to reading the PDF bytes.
"""
from __future__ import annotations

import re
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from app.documents.printing import PrintEngineMissing, PrintFailed, html_to_pdf
from tests.test_print_render import (
    account_list,
    account_rows,
    notice,
    order_form,
    payment_proof,
    refund_form,
    render_zh,
)

needs_wkhtmltopdf = pytest.mark.skipif(
    shutil.which("wkhtmltopdf") is None,
    reason="wkhtmltopdf is not installed (Debian: apt-get install wkhtmltopdf fonts-noto-cjk)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed (apt-get install poppler-utils)")


def page_count(pdf: bytes, tmp_path: Path) -> int:
    """Return the number of pages, by pdfinfo when present, else by counting page objects."""
    if shutil.which("pdfinfo"):
        path = tmp_path / "count.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def font_names(pdf: bytes, tmp_path: Path) -> str:
    """Return the embedded font names, by pdffonts when present, else from the raw /BaseFont entries."""
    if shutil.which("pdffonts"):
        path = tmp_path / "fonts.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return " ".join(m.decode() for m in re.findall(rb"/BaseFont\s*/([\w+-]+)", pdf))


def pdf_text(pdf: bytes, tmp_path: Path, *args: str) -> str:
    """Return pdftotext output.

    Qt writes the font's first code point for a glyph shared with a radical, so some ideographs come
    back as radicals (⻔ for 门, ⼾ for 户): assert on digits, Latin text and unaffected characters.
    """
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@needs_wkhtmltopdf
def test_account_list_pdf_has_one_page_per_sheet_and_the_chinese_font(tmp_path: Path) -> None:
    html = render_zh("account_list.html", doc=account_list(100))
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf, tmp_path) == html.count('<div class="sheet') == 3
    fonts = font_names(pdf, tmp_path)
    assert "NotoSansCJKsc" in fonts
    assert "NotoSansCJKjp" not in fonts


@needs_wkhtmltopdf
@needs_poppler
def test_order_number_and_totals_are_printed_on_every_page(tmp_path: Path) -> None:
    pdf = html_to_pdf(render_zh("account_list.html", doc=account_list(100)))
    pages = pdf_text(pdf, tmp_path).split("\f")[:3]
    assert all("WY20240315-0007" in page and "清册" in page for page in pages)
    assert "544,300.00" in pages[-1] and "100" in pages[-1]


@needs_wkhtmltopdf
def test_batch_of_notices_is_one_pdf_with_a_page_per_notice(tmp_path: Path) -> None:
    batch = [notice(1, number=f"JK2024031500{i:02d}", for_owner=True) for i in range(6)]
    pdf = html_to_pdf(render_zh("notice.html", notices=batch))
    assert page_count(pdf, tmp_path) == 6


@needs_wkhtmltopdf
def test_building_notice_of_500_houses_continues_on_further_pages(tmp_path: Path) -> None:
    html = render_zh("notice.html", notices=[notice(500)])
    assert page_count(html_to_pdf(html), tmp_path) == html.count('<div class="sheet') == 13


@needs_wkhtmltopdf
@needs_poppler
def test_void_notice_pdf_shows_amounts_and_the_stamp(tmp_path: Path) -> None:
    pdf = html_to_pdf(render_zh("notice.html", notices=[notice(3, void=True)]))
    text = pdf_text(pdf, tmp_path)
    assert "JK202403150001" in text
    assert "14,602.50" in text
    assert "壹万肆仟陆佰零贰元伍" in text
    assert "作" in text and "废" in text


@needs_wkhtmltopdf
def test_list_of_documents_becomes_one_pdf(tmp_path: Path) -> None:
    documents = [render_zh("application_form.html", form=order_form()),
                 render_zh("account_list.html", doc=account_list(100)),
                 render_zh("refund_form.html", form=refund_form()),
                 render_zh("payment_proof.html", proofs=[payment_proof()])]
    assert page_count(html_to_pdf(documents), tmp_path) == 1 + 3 + 1 + 1


@needs_wkhtmltopdf
@needs_poppler
def test_css_millimetres_print_true_to_size(tmp_path: Path) -> None:
    """Guards WKHTMLTOPDF_ZOOM: two marks 150 mm / 200 mm apart in CSS must be so on paper."""
    html = ('<html><head><meta charset="utf-8"><style>body{margin:0;font:10pt "Noto Sans CJK SC"}'
            'div{position:absolute;line-height:1}</style></head><body>'
            '<div style="left:0;top:0">A</div><div style="left:150mm;top:200mm">B</div></body></html>')
    box = pdf_text(html_to_pdf(html), tmp_path, "-bbox")
    marks = dict((w, (float(x), float(y))) for x, y, w in
                 re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([AB])<', box))
    mm = 72 / 25.4
    assert marks["B"][0] - marks["A"][0] == pytest.approx(150 * mm, rel=0.01)
    assert marks["B"][1] - marks["A"][1] == pytest.approx(200 * mm, rel=0.01)


def test_missing_wkhtmltopdf_is_a_clear_domain_error() -> None:
    with pytest.raises(PrintEngineMissing) as err:
        html_to_pdf("<html><body>x</body></html>", binary="/nonexistent/wkhtmltopdf")
    assert err.value.status == 503
    assert "wkhtmltopdf" in str(err.value)


def test_failing_converter_raises_print_failed() -> None:
    false = shutil.which("false")
    assert false is not None
    with pytest.raises(PrintFailed):
        html_to_pdf("<html><body>x</body></html>", binary=false)


def test_hung_converter_is_killed_after_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "slow-wkhtmltopdf"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(PrintFailed) as err:
        html_to_pdf("<html><body>x</body></html>", binary=str(script), timeout=0.5)
    assert "0.5" in str(err.value)


@needs_wkhtmltopdf
@needs_poppler
def test_account_list_prints_the_deposit_standard_whole(tmp_path: Path) -> None:
    standards = ("90.00元/㎡", "2%×房价", "155.50元/㎡")
    rows = [replace(row, standard=standard, building="2栋")
            for row, standard in zip(account_rows(3), standards)]
    html = render_zh("account_list.html", doc=replace(account_list(3), rows=rows))
    assert "…" not in html  # nothing cut to fit its column
    pdf = html_to_pdf(html)
    text = pdf_text(pdf, tmp_path).replace(" ", "")
    assert all(standard in text for standard in standards)
    # A picture of the first page, to look at (test-artifacts/print_account_list-1.png).
    path = tmp_path / "list.pdf"
    path.write_bytes(pdf)
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", str(path),
                    str(artifacts / "print_account_list")], check=True)
