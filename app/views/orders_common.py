"""Pieces the developer's order screens and the fund office's review share: the order page's
context, paginated lines, printing, and the labels of types and statuses."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Callable, Optional

from flask import Response, abort, request, send_file, url_for
from flask_babel import gettext as _

from app.documents.printing import html_to_pdf, render_html
from app.extensions import db
from app.models.codes import KIND_ATTACHMENT, KIND_ID_TYPE
from app.models.order import BusinessOrder
from app.security.tenant import current_user
from app.services.orders import documents, queries, staging, workflow
from app.services.orders.types import display_handler, handlers
from app.views.base import code_labels

LINES_PER_PAGE = 50
PRINTABLES = ("application", "accounts", "refund")
FORMATS = ("html", "pdf")


def type_label(order_type: str) -> str:
    return str(display_handler(order_type).title)


def type_choices() -> list[tuple[str, str]]:
    return [(h.type, str(h.title)) for h in handlers()]


def new_order_links() -> list[dict[str, str]]:
    """The "new order" buttons: one per business, in the manual's order."""
    return [{"slug": h.slug, "label": str(h.title), "icon": h.menu_icon,
             "url": url_for("OrderFormView.new", slug=h.slug)} for h in handlers()]


def status_choices() -> list[tuple[str, str]]:
    return [(s, str(label)) for s, label in workflow.STATUS_LABELS.items()]


def page_url(endpoint: str, anchor: Optional[str] = None, **fixed: Any) -> Callable[[int], str]:
    """For the pager: the address of page n with the request's other arguments kept."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    args.update(fixed)

    def url(n: int) -> str:
        return url_for(endpoint, page=n, _anchor=anchor, **args)

    return url


def int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except (TypeError, ValueError):
        return default


def file_size(size: int) -> str:
    """A file's size as people read it: "512 B", "40.2 KB", "1.5 MB" (never "0.0 KB")."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def order_context(order: BusinessOrder, *, lines_endpoint: str) -> dict[str, Any]:
    """Everything the order page shows: summary, lines (paged, before/after), files, history."""
    handler = display_handler(order.type)
    targets = [t for t, _label in handler.line_targets] or [staging.HOUSE]
    target = request.args.get("lines", targets[0])
    if target not in targets:
        target = targets[0]
    page = queries.lines_page(db.session, order, target, page=int_arg("page"),
                              per_page=LINES_PER_PAGE)
    table = handler.lines_table(order, page.items, target=target)
    user = current_user()
    history = queries.history(db.session, order)
    id_types = code_labels(KIND_ID_TYPE)
    kinds = code_labels(KIND_ATTACHMENT)
    point = handler.deposit_point(order)
    return {
        "order": order, "handler": handler, "type_label": type_label(order.type),
        "status_label": workflow.status_label(order.status),
        "area_rows": handler.summary_rows(db.session, order),
        "deposit_point": (point.isoformat() if point else "") if handler.has_deposit_point else None,
        "agent_id_type": id_types.get(order.agent_id_type or "", order.agent_id_type or ""),
        "lines_target": target, "lines_page": page, "lines_table": table,
        "lines_tabs": [(t, str(label), staging.count_lines(db.session, order.id, t))
                       for t, label in handler.line_targets],
        "lines_summary": handler.lines_summary(db.session, order),
        "lines_warning": handler.lines_warning(db.session, order),
        "extra_tables": handler.extra_tables(db.session, order),
        "lines_endpoint": lines_endpoint,
        "lines_page_url": page_url(lines_endpoint, "lines", pk=order.id, lines=target),
        "attachments": [{"id": a.id, "kind": kinds.get(a.kind, a.kind), "name": a.original_name,
                         "size": a.size, "size_text": file_size(a.size),
                         "url": url_for("AttachmentView.file", pk=a.id)}
                        for a in queries.attachments(db.session, order)],
        "history": [{"at": workflow.local_time(h.at),
                     "from": workflow.status_label(h.from_status) if h.from_status else "",
                     "to": workflow.status_label(h.to_status),
                     "user": h.user.display_name if h.user else "", "opinion": h.opinion or ""}
                    for h in history],
        "last_opinion": next((h.opinion for h in reversed(history) if h.opinion), ""),
        "actions": workflow.allowed_actions(order, user) if user else [],
        "local_time": workflow.local_time,
    }


def print_response(order: BusinessOrder, doc: str, fmt: str) -> Any:
    """The 申请表, the 开户清册 or the 退款申请表 of an order, as browser-printable HTML or as PDF."""
    if doc not in PRINTABLES or fmt not in FORMATS:
        abort(404)
    if doc == "application":
        html = render_html("application_form.html", form=documents.application_form(db.session, order))
        name = _("application-%(number)s", number=order.number)
    elif doc == "refund":
        form = display_handler(order.type).refund_form(db.session, order)
        if form is None:
            abort(404)
        html = render_html("refund_form.html", form=form)
        name = _("refund-%(number)s", number=order.number)
    else:
        if not display_handler(order.type).prints_account_list:
            abort(404)
        html = render_html("account_list.html", doc=documents.account_list(db.session, order))
        name = _("account-list-%(number)s", number=order.number)
    return html_or_pdf(html, name, fmt)


def html_or_pdf(html: str, name: str, fmt: str) -> Any:
    """A printed document as browser-printable HTML, or as a PDF (downloaded with ?download=1)."""
    if fmt == "html":
        return Response(html, mimetype="text/html")
    pdf = html_to_pdf(html)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"{name}.pdf",
                     as_attachment=request.args.get("download") == "1", max_age=0)


def print_links(order: BusinessOrder, endpoint: str) -> list[dict[str, Any]]:
    """The printables of the order with their HTML and PDF addresses."""
    docs = [("application", _("Application form"))]
    if display_handler(order.type).prints_account_list:
        docs.append(("accounts", _("Account opening list")))
    if display_handler(order.type).refund_form(db.session, order) is not None:
        docs.append(("refund", _("Refund application form")))
    return [{"doc": doc, "label": label,
             "html": url_for(endpoint, pk=order.id, doc=doc, fmt="html"),
             "pdf": url_for(endpoint, pk=order.id, doc=doc, fmt="pdf")} for doc, label in docs]


def opinion_arg() -> Optional[str]:
    return (request.form.get("opinion") or "").strip() or None


def version_arg() -> Optional[int]:
    try:
        return int(request.form["version"])
    except (KeyError, ValueError):
        return None
