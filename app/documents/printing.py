"""The print engine: Jinja templates in ``app/templates/print`` to HTML, and HTML to PDF.

The HTML is a complete A4 document that also prints from a browser. PDF conversion runs Debian's
wkhtmltopdf (built against unpatched Qt) through pdfkit's command builder, with our own subprocess
call so that a hung conversion is killed after a timeout. Unpatched Qt has no header/footer options,
no thead repetition and prints only one HTML object per run, hence the templates paginate themselves
and several documents are merged into one HTML before conversion.
"""
from __future__ import annotations

import gettext as stdlib_gettext
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from unicodedata import east_asian_width

import pdfkit
from flask_babel import gettext as babel_gettext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as babel_ngettext
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.documents.qr import qr_svg
from app.domain.money import amount_in_words, quantize_money
from app.errors import DomainError

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "print"
DEFAULT_TIMEOUT = 60.0

# Unpatched QtWebKit prints 1 CSS mm as 0.7684 mm (measured with pdftotext -bbox, see
# tests/test_print_pdf.py::test_css_millimetres_print_true_to_size); this zoom makes the PDF true to
# size, so one stylesheet serves the browser and wkhtmltopdf alike.
WKHTMLTOPDF_ZOOM = "1.3014"

# Same margins as the @page rule in base_print.html, which wkhtmltopdf ignores.
WKHTMLTOPDF_OPTIONS: dict[str, str] = {
    "page-size": "A4",
    "orientation": "Portrait",
    "margin-top": "12mm",
    "margin-bottom": "12mm",
    "margin-left": "12mm",
    "margin-right": "12mm",
    "encoding": "UTF-8",
    "disable-javascript": "",
    "disable-local-file-access": "",
    "quiet": "",
}

T = TypeVar("T")


class PrintEngineMissing(DomainError):
    status = 503
    default_message = _l("PDF printing is not available: wkhtmltopdf is not installed on the server.")


class PrintFailed(DomainError):
    status = 500
    default_message = _l("The document could not be converted to PDF.")


def paginate(rows: Sequence[T], per_page: int, *, first: int | None = None,
             reserve: int = 0) -> list[Sequence[T]]:
    """Split ``rows`` into pages: ``first`` rows on page one (default ``per_page``), then ``per_page``.

    ``reserve`` is room, in rows, that the last page must keep free for closing lines such as a
    totals row; an extra page is added when the last chunk is too full. Always returns one page at
    least, so an empty list still prints its headings.
    """
    first = per_page if first is None else first
    if per_page < 1 or first < 1 or reserve < 0:
        raise ValueError("paginate needs per_page >= 1, first >= 1 and reserve >= 0")
    pages: list[Sequence[T]] = [rows[:first]]
    for start in range(first, len(rows), per_page):
        pages.append(rows[start:start + per_page])
    room = first if len(pages) == 1 else per_page
    if reserve and len(pages[-1]) + reserve > room:
        pages.append(rows[len(rows):])
    return pages


def _money(value: Decimal | int) -> str:
    """Return an amount as 1,234.50."""
    return f"{quantize_money(value):,.2f}"


def _cell(value: Any) -> str:
    """Return a table cell as text: Decimal with two decimals, date as ISO, None as blank."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _em(ch: str, narrow: float | None) -> float:
    """Return the estimated advance of ``ch`` in em: CJK 1, Latin by letter shape, a mono face ``narrow``."""
    if east_asian_width(ch) in "WF":
        return 1.0
    if narrow is not None:
        return narrow
    if ch in "MWmw@%":
        return 0.92
    if ch.isupper():
        return 0.72
    if ch.isdigit() or ch.islower():
        return 0.58
    return 0.45 if ch in " .,:;'|!()[]-/" else 0.62


def fit(text: str, width_mm: float, size_pt: float = 9.0, narrow: float | None = None) -> str:
    """Return ``text`` cut to one line of ``width_mm`` at ``size_pt``, ending with "…" when cut.

    Widths are estimated on the safe side for Noto Sans CJK SC; pass ``narrow=0.5`` for its
    monospaced face. List rows thus keep their fixed height without clipping every cell.
    """
    budget = width_mm / (size_pt * 25.4 / 72)
    widths = [_em(ch, narrow) for ch in text]
    if sum(widths) <= budget:
        return text
    used, cut = 0.0, 0
    while cut < len(text) and used + widths[cut] + 1.0 <= budget:
        used += widths[cut]
        cut += 1
    return text[:cut] + "…"


def _is_number(value: Any) -> bool:
    """True for cells printed right-aligned."""
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _qr(text: str, size_mm: float = 24.0) -> Markup:
    """Jinja global: the QR code of ``text`` as inline SVG markup."""
    return Markup(qr_svg(text, size_mm=size_mm))


def make_environment(translations: stdlib_gettext.NullTranslations | None = None) -> Environment:
    """Return a Jinja environment for the print templates.

    Without ``translations`` the templates use flask_babel's gettext, so they print in the request's
    language (Chinese by default) and in English outside an app context. Pass a catalogue to print
    in a given language without an app, as the tests and the benchmark do.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    if translations is None:
        env.install_gettext_callables(babel_gettext, babel_ngettext, newstyle=True)  # type: ignore[attr-defined]
    else:
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(money=_money, cell=_cell, fit=fit, words=amount_in_words)
    env.tests["number"] = _is_number
    env.globals.update(qr=_qr, paginate=paginate)
    return env


@lru_cache(maxsize=1)
def _default_environment() -> Environment:
    return make_environment()


def render_html(template_name: str, **context: Any) -> str:
    """Render ``app/templates/print/<template_name>`` with ``context`` to a complete HTML page."""
    return _default_environment().get_template(template_name).render(**context)


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)


def merge_html(documents: Sequence[str]) -> str:
    """Return one HTML page holding ``documents`` in order, each starting on a new page.

    The first document's head is kept; style blocks of the others are added once each.
    """
    if not documents:
        raise ValueError("merge_html needs at least one document")
    first = documents[0]
    if len(documents) == 1:
        return first
    head_end = first.lower().index("</head>")
    known = set(_STYLE.findall(first[:head_end]))
    styles: list[str] = []
    bodies: list[str] = []
    for doc in documents[1:]:
        match = _BODY.search(doc)
        if match is None:
            raise ValueError("merge_html needs complete HTML documents with a <body>")
        for style in _STYLE.findall(doc[:match.start()]):
            if style not in known:
                known.add(style)
                styles.append(style)
        bodies.append(f'<div class="document-break">{match.group(1)}</div>')
    body_end = first.lower().rindex("</body>")
    return (first[:head_end] + "".join(styles) + first[head_end:body_end]
            + "".join(bodies) + first[body_end:])


def _for_wkhtmltopdf(html: str) -> str:
    """Add the zoom that makes wkhtmltopdf print CSS millimetres true to size."""
    style = f"<style>html{{zoom:{WKHTMLTOPDF_ZOOM}}}</style>"
    at = html.lower().find("</head>")
    return style + html if at < 0 else html[:at] + style + html[at:]


def _binary(binary: str | None) -> str:
    """Return the wkhtmltopdf path to run, or raise PrintEngineMissing."""
    path = binary or os.environ.get("WKHTMLTOPDF_BINARY") or shutil.which("wkhtmltopdf")
    if not path or not os.access(path, os.X_OK):
        raise PrintEngineMissing()
    return path


def _process_env() -> dict[str, str]:
    """Return the environment for wkhtmltopdf: headless Qt with the scaling the zoom was measured at."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_FONT_DPI", "QT_SCALE_FACTOR",
                        "QT_AUTO_SCREEN_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def wkhtmltopdf_command(binary: str | None = None) -> list[str]:
    """Return the wkhtmltopdf command line (HTML on stdin, PDF on stdout) built by pdfkit."""
    config = pdfkit.configuration(wkhtmltopdf=_binary(binary))
    return pdfkit.PDFKit("", "string", options=WKHTMLTOPDF_OPTIONS, configuration=config).command()


def html_to_pdf(html: str | Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                binary: str | None = None) -> bytes:
    """Return the PDF of ``html``; a list of documents becomes one PDF, each from a new page.

    Raises PrintEngineMissing when wkhtmltopdf cannot be found and PrintFailed when it fails,
    produces no PDF or runs longer than ``timeout`` seconds (the process is then killed).
    """
    page = html if isinstance(html, str) else merge_html(list(html))
    command = wkhtmltopdf_command(binary)
    try:
        done = subprocess.run(command, input=_for_wkhtmltopdf(page).encode("utf-8"),
                              capture_output=True, timeout=timeout, env=_process_env(), check=False)
    except subprocess.TimeoutExpired as exc:
        raise PrintFailed(_l("Converting the document to PDF took longer than %(seconds)s seconds.",
                             seconds=f"{timeout:g}")) from exc
    except OSError as exc:
        raise PrintEngineMissing() from exc
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        log.error("wkhtmltopdf exited with %s: %s", done.returncode,
                  done.stderr.decode("utf-8", "replace")[-2000:])
        raise PrintFailed()
    return done.stdout


def print_pdf(template_name: str, **context: Any) -> bytes:
    """Render a print template and convert it: ``html_to_pdf(render_html(...))``."""
    return html_to_pdf(render_html(template_name, **context))
