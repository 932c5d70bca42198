"""The tenant walk: every registered route, as dev_b, against dev_a's objects.

Nobody has to remember to add a test for a new route: the walk reads ``app.url_map``. For each
rule with arguments it substitutes ids of dev_a's rows (of every tenant model, discovered from the
metadata) and dev_a's file names and numbers, requests it as dev_b (web session, or dev_b's JWT for
``/api/`` rules), and fails when

* a response (or the page a redirect leads to) shows any of dev_a's sentinel strings,
* a request crashes (5xx) or a binary download answers 200 for dev_a's id,
* anything of dev_a's changed in the database (a POST that "worked"),
* any of dev_b's rows now carries dev_a's data (copied across),
* an internal-only (fund office / bank / FAB security) route answers dev_b with anything but
  401/403/404/405 or a redirect to the login page.

Rules without arguments are fetched with GET too (list pages, forms with dropdowns, API lists),
because a dropdown or a search form can leak just as well as a show page.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import re
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Optional

from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder import Model
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import api_token, login

#: Endpoints the walk does not request, and why.
EXCLUDED_ENDPOINTS = {
    "static": "the app's static files: no data",
    "appbuilder.static": "FAB's static files: no data",
    "PlatformAuthDBView.login": "the login form: covered by test_security_auth (rate limit, CSRF)",
    "PlatformAuthDBView.logout": "would end dev_b's session in the middle of the walk",
    "LocaleView.index": "language switch: <locale> names a language, not an object",
    "UtilView.back": "redirects to the browser history: no data of its own",
    "RateLimitedSecurityApi.login": "issues JWTs: covered by test_security_auth and test_api_property",
    "RateLimitedSecurityApi.refresh": "refreshes a JWT: no object argument",
}
#: 200 answers that are binary yet harmless for any argument (e.g. a QR code of the given text).
#: A report's Excel export and PDF print take a report name, not an object id: the xlsx text is read
#: for sentinels like any page, and the print is read as HTML (``format=html``) with dev_a's filters.
HARMLESS_BINARY_ENDPOINTS: set[str] = {"ReportsView.export", "ReportsView.print_report"}
#: Argument names that hold an id even where the converter is a plain string (FAB's ``<pk>``).
ID_NAMES = {"pk", "id", "ident"}
#: Name stems of id arguments → table, so <order_id> gets order ids only.
STEM_TABLES = {
    "org": "organisation", "organisation": "organisation", "organization": "organisation",
    "area": "property_area", "building": "building", "house": "house", "owner": "owner",
    "order": "business_order", "line": "order_line", "history": "order_history",
    "attachment": "attachment", "att": "attachment", "file": "attachment", "notice": "notice",
    "refund": "refund", "user": "ab_user", "ledger": "ledger_entry", "entry": "ledger_entry",
    "change": "organisation_change", "message": "outbox_message", "outbox": "outbox_message",
    "audit": "audit_log", "role": "ab_role", "reversal": "payment_reversal",
}
#: Deliberate answers while the trading system is unreachable (it is not running in tests).
UPSTREAM_DOWN = {502, 503, 504}
#: Ids no row has: past a 32-bit INTEGER column (PostgreSQL raises, it must not become a 500),
#: negative, and not a number at all (for <pk> arguments FAB declares as strings).
JUNK_INTS = [2**31, -1]
JUNK_STRINGS = ["abc", "1.5"]
SAMPLES_PER_MODEL = 3
MAX_COMBINATIONS = 24
FAILURES_SHOWN = 60
SENTINEL = "SENTINEL-A"
#: Screens whose filters take ids from the query string (reports, dashboards, reconciliation): their
#: GETs are repeated with dev_a's organisation, area and building as filters.
FILTERED_PREFIXES = ("/reports/", "/dashboard/", "/reconcile/")


# --------------------------------------------------------------------------------------------
# dev_a's objects: every tenant model, with rows created where the demo has none
# --------------------------------------------------------------------------------------------

@dataclass
class TenantTables:
    """Tables that belong to an organisation, directly (org_id) or through a parent row."""

    direct: dict[str, type] = field(default_factory=dict)      # table → model with org_id
    children: dict[str, tuple[type, str, str]] = field(default_factory=dict)  # table → (model, fk, parent)


def tenant_tables() -> TenantTables:
    found = TenantTables()
    mappers = sorted(Model.registry.mappers, key=lambda m: m.class_.__name__)
    for mapper in mappers:
        cls, table = mapper.class_, mapper.local_table
        if hasattr(cls, "org_id") and table.name not in found.direct:
            found.direct[table.name] = cls
    for mapper in mappers:
        cls, table = mapper.class_, mapper.local_table
        if table.name in found.direct or table.name in found.children:
            continue
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            parent = fk.column.table.name
            if parent in found.direct and parent != "ab_user":
                found.children[table.name] = (cls, fk.parent.name, parent)
                break
    return found


def _stored_name(tag: str) -> str:
    return hashlib.md5(tag.encode()).hexdigest() + ".pdf"


def build_dev_a_rows(session: Any, demo: Any, upload_folder: str) -> dict[str, Any]:
    """Rows of dev_a for the models the demo leaves empty, each carrying a sentinel string."""
    from app.models.audit import AuditLog
    from app.models.ledger import LedgerEntry
    from app.models.order import Attachment, BusinessOrder, OrderHistory, OrderJob, OrderLine
    from app.models.organisation import OrganisationChange
    from app.models.outbox import OutboxMessage
    from app.models.payment import Notice, NoticeLine, Refund
    from app.models.property import Owner

    org, area, house, user = demo.org_a, demo.area_a, demo.house_a, demo.users["dev_a"]
    order = BusinessOrder(org_id=org.id, number="SENTINELA0001", type="house_change", status="submitted",
                          area_id=area.id, reason=f"{SENTINEL}-ORDER reason", agent_name="黄SENTINEL",
                          agent_phone="13800138001", payload={"note": f"{SENTINEL}-PAYLOAD"},
                          created_by_id=user.id, submitted_at=dt.datetime(2026, 2, 1))
    session.add(order)
    session.flush()
    session.add_all([
        OrderLine(order_id=order.id, seq=1, action="update", target="house", target_id=house.id,
                  before={"room": house.room}, after={"room": f"{SENTINEL}-ROOM"}),
        OrderHistory(order_id=order.id, from_status="draft", to_status="submitted", user_id=user.id,
                     opinion=f"{SENTINEL}-OPINION"),
    ])
    stored = _stored_name("dev_a attachment")
    content = b"%PDF-1.4\n% " + f"{SENTINEL}-FILE-CONTENT".encode() + b"\n%%EOF\n"
    for folder in (Path(upload_folder), Path(upload_folder) / "attachments"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored).write_bytes(content)
    attachment = Attachment(org_id=org.id, order_id=order.id, kind="other",
                            original_name=f"{SENTINEL}-营业执照.pdf", stored_name=stored,
                            content_type="application/pdf", size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=user.id)
    notice = Notice(org_id=org.id, number="SENTINELA-N0001", area_id=area.id,
                    building_id=demo.building_a.id, payer_type="owner", payer_name=f"{SENTINEL}-PAYER",
                    payer_id_no="440703197805120018", payment_type="first", total=house.amount_due,
                    created_by_id=user.id)
    result_name = hashlib.md5(b"dev_a job").hexdigest() + ".xlsx"
    (Path(upload_folder) / result_name).write_bytes(f"{SENTINEL}-MARKED-COPY".encode())
    job = OrderJob(org_id=org.id, order_id=order.id, user_id=user.id, kind="import", state="failed",
                   message=f"{SENTINEL}-JOB", problems=[{"field": "room", "reason": f"{SENTINEL}-PROBLEM"}],
                   result_name=result_name)
    session.add_all([attachment, notice, job])
    session.flush()
    refund = Refund(org_id=org.id, house_id=house.id, order_id=order.id, amount=Decimal("12.34"),
                    account_name=f"{SENTINEL}-REFUND", bank_name="建设银行", account_no="6222000011112222",
                    reason=f"{SENTINEL}-REFUND-REASON")
    session.add_all([
        NoticeLine(org_id=org.id, notice_id=notice.id, house_id=house.id, amount=house.amount_due),
        refund,
        Owner(org_id=org.id, house_id=house.id, seq=1, name=f"{SENTINEL}业主", id_type="01",
              id_no="440703197805120018", phone="13800138009"),
        LedgerEntry(org_id=org.id, house_id=house.id, kind="deposit", amount=Decimal("100.00"),
                    payment_type="first", notice_id=notice.id, memo=f"{SENTINEL}-LEDGER",
                    value_date=dt.date(2026, 2, 2)),
        OrganisationChange(org_id=org.id, changed_by_id=user.id, note=f"{SENTINEL}-CHANGE",
                           changes=[{"field": "phone", "label": "联系电话", "before": "1",
                                     "after": f"{SENTINEL}-PHONE"}]),
        AuditLog(org_id=org.id, user_id=user.id, action="update", object_type="House",
                 object_id=house.id, detail={"note": f"{SENTINEL}-AUDIT"}),
        OutboxMessage(kind="deposit_status", idempotency_key=f"{SENTINEL}-KEY", org_id=org.id,
                      house_id=house.id, house_code=house.code, payload={"memo": f"{SENTINEL}-OUTBOX"}),
    ])
    from app.models.reconciliation import BankStatement, ReconItem

    statement = BankStatement(day=dt.date(2026, 2, 2), file_name="SENTINEL-A-statement.csv",
                              file_sha256="0" * 64, bank_total=Decimal("1.00"), bank_count=1)
    statement.items = [ReconItem(kind="platform_only", state="open", notice_id=notice.id,
                                 notice_number=notice.number, platform_amount=notice.total,
                                 note=f"{SENTINEL}-RECONCILE")]
    session.add(statement)
    from app.models.reversal import PaymentReversal

    session.add(PaymentReversal(org_id=org.id, notice_id=notice.id, serial="SENTINEL-A-REV",
                                reason=f"{SENTINEL}-REVERSAL", via="api", notice_round=1,
                                bank_serial="SENTINEL-A-PAID", amount=notice.total,
                                created_at=dt.datetime(2026, 2, 3)))
    session.commit()
    return {"stored_names": [stored, result_name], "numbers": [order.number, notice.number]}


def _org_column(model: type) -> Any:
    from app.models.organisation import Organisation

    return model.id if model is Organisation else model.org_id


def rows_of(session: Any, tables: TenantTables, org_id: int) -> dict[str, list[int]]:
    """table → ids of the organisation's rows (children through their parent rows)."""
    ids: dict[str, list[int]] = {}
    for name, model in tables.direct.items():
        ids[name] = sorted(session.scalars(select(model.id).where(_org_column(model) == org_id)))
    for name, (model, fk, parent) in tables.children.items():
        parents = ids.get(parent, [])
        column = getattr(model, sa_inspect(model).mapper.get_property_by_column(
            model.__table__.c[fk]).key)
        ids[name] = sorted(session.scalars(select(model.id).where(column.in_(parents)))) if parents else []
    return ids


def sample(values: list[int], count: int = SAMPLES_PER_MODEL) -> list[int]:
    """First, middle and last: small ids collide across tables, large ones reach other code paths."""
    if len(values) <= count:
        return list(values)
    picked = [values[0], values[len(values) // 2], values[-1]]
    return sorted(set(picked))[:count]


def snapshot(session: Any, tables: TenantTables, org_id: int) -> dict[str, set[tuple]]:
    """Every column of every row the organisation owns, to see that the walk changed nothing."""
    session.expire_all()
    result: dict[str, set[tuple]] = {}
    ids = rows_of(session, tables, org_id)
    for name in list(tables.direct) + list(tables.children):
        table = Model.metadata.tables[name]
        if not ids[name]:
            result[name] = set()
            continue
        rows = session.execute(select(table).where(table.c.id.in_(ids[name]))).all()
        result[name] = {tuple(_plain(v) for v in row) for row in rows}
    return result


def _plain(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else value


def sentinels_for(session: Any, demo: Any) -> list[str]:
    from app.models.property import House

    org, area = demo.org_a, demo.area_a
    codes = sorted(session.scalars(select(House.code).where(House.org_id == org.id)))
    texts = [org.name, org.uscc, org.legal_rep, org.legal_rep_id_no, org.address, area.name,
             area.code, SENTINEL, *sample(codes, 4), "dev_a_staff",
             demo.users["dev_a"].email]
    return [t for t in dict.fromkeys(texts) if t]


def sentinel_patterns(texts: Iterable[str]) -> list[tuple[str, re.Pattern]]:
    """Each text as it may appear in HTML, in JSON with \\u escapes, or URL-less; plus the user
    name dev_a on its own (not as part of dev_a_staff or dev_admin)."""
    patterns = []
    for text in texts:
        forms = {re.escape(text), re.escape(json.dumps(text)[1:-1])}
        patterns.append((text, re.compile("|".join(sorted(forms)))))
    patterns.append(("dev_a", re.compile(r"(?<![\w])dev_a(?![\w])")))
    return patterns


# --------------------------------------------------------------------------------------------
# the walk
# --------------------------------------------------------------------------------------------

@dataclass
class Candidates:
    ids_by_table: dict[str, list[int]]
    generic_ids: list[int]
    strings: list[str]


def _id_candidates(rule: Rule, arg: str, cands: Candidates) -> list[Any]:
    stem = re.sub(r"(_id|_pk|id|pk)$", "", arg.lower()).strip("_")
    table = STEM_TABLES.get(stem)
    if table and cands.ids_by_table.get(table):
        return list(cands.ids_by_table[table])
    return list(cands.generic_ids)


def argument_values(rule: Rule, cands: Candidates, view: Any) -> list[dict[str, Any]]:
    """Value combinations for the rule's arguments, bounded by MAX_COMBINATIONS."""
    per_arg: dict[str, list[Any]] = {}
    for arg in sorted(rule.arguments):
        converter = rule._converters.get(arg)
        if arg == "name" and rule.endpoint.endswith(".action"):
            names = sorted(getattr(view, "actions", {}) or {})
            if not names:
                return []  # FAB answers unknown action names with a crash; nothing to reach
            per_arg[arg] = names
        elif isinstance(converter, IntegerConverter):
            per_arg[arg] = _id_candidates(rule, arg, cands) + JUNK_INTS
        elif arg.lower() in ID_NAMES or arg.lower().endswith("_id"):
            per_arg[arg] = _id_candidates(rule, arg, cands) + [str(i) for i in JUNK_INTS] + JUNK_STRINGS
        elif hasattr(converter, "items") and getattr(converter, "items", None):
            per_arg[arg] = sorted(converter.items)
        else:
            per_arg[arg] = [str(i) for i in cands.generic_ids] + cands.strings
    names = list(per_arg)
    combos = list(itertools.product(*(per_arg[n] for n in names)))
    step = max(1, len(combos) // MAX_COMBINATIONS)
    return [dict(zip(names, combo)) for combo in combos[::step][:MAX_COMBINATIONS]]


def _body_text(response: Any) -> str:
    data = response.get_data()
    if data[:2] == b"PK":  # xlsx and other zip containers: read their XML parts
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(archive.read(n).decode("utf-8", "ignore") for n in archive.namelist()
                                 if n.endswith((".xml", ".rels", ".txt", ".csv")))
        except zipfile.BadZipFile:
            pass
    return data.decode("utf-8", "ignore")


def _is_binary(response: Any) -> bool:
    mimetype = response.mimetype or ""
    return not (mimetype.startswith("text/") or mimetype in ("application/json", "application/javascript"))


def _goes_to_login(response: Any) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and "/login" in response.headers.get("Location", "")


@dataclass
class Walk:
    app: Flask
    web: FlaskClient
    api_headers: dict[str, str]
    patterns: list[tuple[str, re.Pattern]]
    failures: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    requests: int = 0

    def request(self, method: str, url: str, api: bool) -> Optional[Any]:
        self.requests += 1
        kwargs: dict[str, Any] = {"headers": self.api_headers} if api else {}
        if method in ("POST", "PUT", "PATCH") and api:
            kwargs["json"] = {}
        elif method == "POST":
            kwargs["data"] = {}
        try:
            return self.web.open(url, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, not a test error
            self.failures.append(f"{method} {url}: raised {type(exc).__name__}: {exc}"[:300])
            return None

    def leaks(self, response: Any) -> list[str]:
        text = _body_text(response)
        return [name for name, pattern in self.patterns if pattern.search(text)]

    def judge(self, method: str, url: str, response: Any, *, with_dev_a_id: bool, endpoint: str) -> None:
        status = response.status_code
        self.statuses[status] += 1
        where = f"{method} {url} [{endpoint}] → {status}"
        found = self.leaks(response)
        if found:
            self.failures.append(f"{where}: shows dev_a's {found}")
        if status >= 500 and status not in UPSTREAM_DOWN:
            self.failures.append(f"{where}: server error")
        if with_dev_a_id and status == 200 and _is_binary(response) and endpoint not in HARMLESS_BINARY_ENDPOINTS:
            self.failures.append(f"{where}: a {response.mimetype} download for dev_a's id")
        if status in (301, 302, 303, 307, 308) and not _goes_to_login(response):
            location = response.headers.get("Location", "")
            if location.startswith(("/", "http://localhost")):
                followed = self.request("GET", location, api=False)
                if followed is not None and self.leaks(followed):
                    self.failures.append(f"{where}: redirects to {location}, which shows dev_a's "
                                         f"{self.leaks(followed)}")


def _view_of(app: Flask, endpoint: str) -> Any:
    name = endpoint.split(".", 1)[0]
    for view in app.appbuilder.baseviews:
        if getattr(view, "endpoint", None) == name or view.__class__.__name__ == name:
            return view
    return None


def _methods_for(rule: Rule) -> list[str]:
    """GET if the rule has it, then every method that changes data (each tried once)."""
    methods = rule.methods - {"HEAD", "OPTIONS"}
    return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in methods]


def _developer_permissions(app: Flask) -> set[tuple[str, str]]:
    """(permission, resource) pairs any developer role or the Public role holds."""
    from app.security.roles import DEVELOPER_ROLES

    sm = app.appbuilder.sm
    pairs: set[tuple[str, str]] = set()
    for role_name in (*DEVELOPER_ROLES, sm.auth_role_public):
        role = sm.find_role(role_name)
        for pv in getattr(role, "permissions", None) or []:
            pairs.add((pv.permission.name, pv.view_menu.name))
    return pairs


def _internal_only(view: Any, endpoint: str, dev_permissions: set[tuple[str, str]]) -> bool:
    """A permission-protected route whose permission no developer (or visitor) holds."""
    if view is None or "." not in endpoint:
        return False
    name = endpoint.split(".", 1)[1]
    if not hasattr(getattr(view, name, None), "_permission_name"):
        return False  # not protected by has_access/protect (home, login, public forms)
    permission = "can_" + view.get_method_permission(name)
    return (permission, view.class_permission_name) not in dev_permissions


@dataclass
class WalkResult:
    problems: list[str]
    rules: int
    requests: int
    summary: str
    internal_endpoints: set[str]


def walk_app(app: Flask, session: Any, demo: Any) -> WalkResult:
    """Walk every rule of ``app`` as dev_b against dev_a's objects; return what went wrong."""
    started = time.monotonic()
    extra = build_dev_a_rows(session, demo, app.config["UPLOAD_FOLDER"])
    tables = tenant_tables()
    a_rows = rows_of(session, tables, demo.org_a.id)
    b_rows = rows_of(session, tables, demo.org_b.id)
    missing = [name for name, ids in a_rows.items() if not ids]
    assert not missing, (f"tenant tables without a dev_a row: {missing}; add a builder to "
                         f"build_dev_a_rows so the walk can try their ids")

    b_ids = {i for ids in b_rows.values() for i in ids}
    ids_by_table = {name: sample([i for i in ids if i not in b_ids] or ids) for name, ids in a_rows.items()}
    generic = sorted({i for ids in ids_by_table.values() for i in ids})
    strings = extra["stored_names"] + extra["numbers"] + [demo.org_a.uscc, demo.area_a.code, demo.house_a.code]
    cands = Candidates(ids_by_table, generic, strings)

    web = login(app.test_client(), "dev_b")
    token = api_token(app.test_client(), "dev_b")
    patterns = sentinel_patterns(sentinels_for(session, demo))
    walk = Walk(app, web, {"Authorization": f"Bearer {token}"}, patterns)
    before_a = snapshot(session, tables, demo.org_a.id)
    dev_permissions = _developer_permissions(app)
    internal_findings: list[str] = []
    internal_endpoints: set[str] = set()
    walked_rules = 0

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in EXCLUDED_ENDPOINTS:
            continue
        view = _view_of(app, rule.endpoint)
        methods = _methods_for(rule)
        internal_only = _internal_only(view, rule.endpoint, dev_permissions)
        if not rule.arguments:
            # Argument-less POSTs (login, "new" forms) act on dev_b's own data: GET only.
            methods = [m for m in methods if m == "GET"]
            combos: list[dict[str, Any]] = [{}]
        else:
            combos = argument_values(rule, cands, view)
        if not methods or not combos:
            continue
        walked_rules += 1
        if internal_only:
            internal_endpoints.add(rule.endpoint)
        for values, method in itertools.product(combos, methods):
            try:
                _domain, url = rule.build(values, append_unknown=False)
            except Exception:  # noqa: BLE001 - a value the converter refuses cannot be sent
                continue
            urls = [url]
            if method == "GET" and rule.rule.startswith(FILTERED_PREFIXES):
                # format=html: a print answers with its HTML, whose text the walk can read
                urls.append(f"{url}?org_id={demo.org_a.id}&area_id={demo.area_a.id}"
                            f"&building_id={demo.building_a.id}&letters=1&format=html")
            for url in urls:
                response = walk.request(method, url, rule.rule.startswith("/api/"))
                if response is None:
                    continue
                walk.judge(method, url, response, with_dev_a_id=bool(values), endpoint=rule.endpoint)
                allowed = response.status_code in (401, 403, 404, 405) or _goes_to_login(response)
                if internal_only and not allowed:
                    internal_findings.append(f"internal-only route reached by dev_b: {method} {url} "
                                             f"[{rule.endpoint}] → {response.status_code}")

    session.rollback()
    after_a = snapshot(session, tables, demo.org_a.id)
    for name in sorted(n for n in before_a if before_a[n] != after_a[n]):
        walk.failures.append(f"dev_a's rows in {name} changed during the walk: "
                             f"{sorted(before_a[name] ^ after_a[name], key=str)[:2]}")
    stored = Path(app.config["UPLOAD_FOLDER"]) / "attachments" / extra["stored_names"][0]
    if not stored.exists():
        walk.failures.append("dev_a's attachment file was deleted during the walk")
    b_text = json.dumps({name: sorted(rows, key=str) for name, rows in
                         snapshot(session, tables, demo.org_b.id).items()}, default=str, ensure_ascii=False)
    copied = [name for name, pattern in patterns if pattern.search(b_text)]
    if copied:
        walk.failures.append(f"dev_b's rows now hold dev_a's {copied}")

    summary = (f"tenant walk: {walked_rules} rules, {walk.requests} requests in "
               f"{time.monotonic() - started:.1f}s; statuses {dict(sorted(walk.statuses.items()))}; "
               f"candidate ids {generic}; {len(internal_endpoints)} internal-only endpoints")
    return WalkResult(walk.failures + internal_findings, walked_rules, walk.requests, summary,
                      internal_endpoints)


def _report(problems: list[str]) -> str:
    more = f"\n… and {len(problems) - FAILURES_SHOWN} more" if len(problems) > FAILURES_SHOWN else ""
    return "\n".join(problems[:FAILURES_SHOWN]) + more


def test_dev_b_cannot_reach_dev_a_objects_on_any_route(app: Flask, session: Any, demo: Any) -> None:
    result = walk_app(app, session, demo)
    print("\n" + result.summary)
    assert not result.problems, _report(result.problems)
    assert result.rules > 20 and result.requests > 100, "the walk reached suspiciously few routes"
    expected_internal = {"DepositStandardView.list", "DepositStandardView.check", "CodeItemView.add",
                         "AuditLogView.show", "PlatformUserDBModelView.list", "PlatformRoleModelView.edit"}
    assert expected_internal <= result.internal_endpoints, expected_internal - result.internal_endpoints


def test_the_walk_catches_a_leaking_route(_database: Any, app: Flask, session: Any, demo: Any) -> None:
    """The net itself must be able to fail: an app with two careless routes is caught on both."""
    from app.extensions import db
    from app.models.property import House
    from tests.conftest import build_test_app

    leaky = build_test_app(SQLALCHEMY_DATABASE_URI=_database.url,
                           UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"])

    def show_any_house(pk: int) -> str:  # no tenant check: shows anybody's area name
        house = db.session.get(House, pk)
        return house.area.name if house else ("", 404)

    def rename_any_house(pk: int) -> Any:  # no tenant check: changes anybody's house
        house = db.session.get(House, pk)
        if house is None:
            return "", 404
        house.room = "X"
        db.session.commit()
        return "", 204

    leaky.add_url_rule("/careless/house/<int:pk>", "careless_show", show_any_house)
    leaky.add_url_rule("/careless/house/<int:pk>/rename", "careless_rename", rename_any_house,
                       methods=["POST"])
    with leaky.app_context():
        result = walk_app(leaky, session, demo)
    joined = "\n".join(result.problems)
    assert "/careless/house/" in joined and "shows dev_a's" in joined, joined
    assert "dev_a's rows in house changed" in joined, joined
