"""One real house, one account: a trading-system project, building or house is collected once.

The bug reproduced: two 物业区域采集 orders fetched the same project and both were approved, so
every house got two fund accounts. Now it is refused at fetch, at import, at submit and at
approval, and the database refuses a second open house with the same trading-system code.
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import create_engine, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, ValidationFailed
from app.models.order import AREA_COLLECT, BusinessOrder, OrderJob
from app.models.property import (HOUSE_CLOSED, HOUSE_OPEN, AreaTradeProject, Building, House,
                                 PropertyArea)
from app.services.accounts import BuildingInput, HouseInput, open_houses
from app.services.orders import claims, intake, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from app.services.standards import StandardBook
from tests.conftest import build_test_app
from tradesim.testing import SimulatorServer

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
FORM_AGENT = {"agent_name": "李敏", "agent_phone": "13800138001", "agent_id_type": "01",
              "agent_id_no": "11010519491231002X"}
DEMO_PROJECT = "P44070301"   # 华信·翠苑, collected in the demo data
JIANGPAN = "P44070302"       # 华信·江畔花园, not collected yet: the project of the report
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture()
def trade(app: Flask, sim: SimulatorServer) -> Iterator[SimulatorServer]:
    saved = {k: app.config.get(k) for k in ("TRADE_BASE_URL", "TRADE_TOKEN", "TRADE_RETRIES",
                                            "ORDER_JOBS_INLINE")}
    app.config.update(TRADE_BASE_URL=sim.url, TRADE_TOKEN=sim.token, TRADE_RETRIES=0,
                      ORDER_JOBS_INLINE=True)
    yield sim
    app.config.update(saved)


def create_collect(client: Any, name: str) -> int:
    form = {"area.name": name, "area.district_code": "440703", "area.address": "江门市蓬江区新园路1号",
            "deposit_time_point": "2026-03-01", "action": "save", **FORM_AGENT}
    response = client.post("/order-form/collect", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/order-form/")[1].split("/")[0])


def fetch(client: Any, session: Any, order_id: int, project: str) -> OrderJob:
    response = client.post(f"/order-form/{order_id}/fetch", json={"project_ids": [project]})
    assert response.status_code == 202, response.get_data(as_text=True)
    session.expire_all()
    return session.get(OrderJob, response.get_json()["id"])


def new_collect(session: Any, user: Any, name: str, codes: list[str], *,
                project: str | None = None, building_code: str | None = None) -> BusinessOrder:
    """A draft collection whose houses carry the given trading-system codes (staged directly, as
    a fetch racing another one would have done)."""
    order = save_draft(session, user, AREA_COLLECT, DraftInput(
        agent=AGENT, fields={"area": {"name": name, "district_code": "440703",
                                      "address": "江门市蓬江区测试路1号"},
                             "deposit_time_point": "2026-03-01"}))
    rows = [(staging.BUILDING, staging.building_data(name="A座", structure_code="rc", floors=12,
                                                     trade_building_code=building_code))]
    rows += [(staging.HOUSE, staging.house_data(
        building="A座", unit="1", floor=1, room=f"10{i + 1}", building_area=Decimal("88.50"),
        use_code="residential", has_lift=True, source="trade", trade_house_code=code))
        for i, code in enumerate(codes)]
    staging.insert_lines(session, order.id, rows)
    if project:
        order.payload = {**order.payload, "trade_project_ids": [project]}
    session.commit()
    return order


def open_in_register(session: Any, area: PropertyArea, codes: list[str]) -> None:
    """Houses opened by some other path (a future business, a script) with these codes."""
    open_houses(session, area, [BuildingInput(name="Z幢", floors=6)],
                [HouseInput(building_name="Z幢", floor=1, room=f"90{i}", building_area=Decimal("50"),
                            use_code="residential", has_lift=False, trade_house_code=code)
                 for i, code in enumerate(codes)],
                StandardBook.load(session), source="trade", on=dt.date(2026, 3, 1))
    session.commit()


def project_area(session: Any, project_id: str) -> int:
    return session.scalar(select(AreaTradeProject.area_id)
                          .where(AreaTradeProject.project_id == project_id))


def reasons(error: Any) -> str:
    return " | ".join(str(p.reason) for p in error.problems) + " " + str(error.message)


# ---------------------------------------------------------------- fetch (接口获取)

def test_the_project_dialog_shows_who_has_each_project(dev_a_client, session, trade):
    order_id = create_collect(dev_a_client, "江畔二期")
    assert fetch(dev_a_client, session, order_id, JIANGPAN).state == "done"
    number = session.get(BusinessOrder, order_id).number
    items = {p["project_id"]: p for p in
             dev_a_client.get("/order-form/trade-projects").get_json()["items"]}
    assert items[DEMO_PROJECT]["collected_as"] == "华信·翠苑"
    assert "华信·翠苑" in items[DEMO_PROJECT]["taken"]
    assert items[JIANGPAN]["held_by"] == number and number in items[JIANGPAN]["taken"]
    assert items["P44070303"]["taken"] is None


def test_a_collected_project_cannot_be_fetched_into_a_new_area(dev_a_client, session, trade):
    order_id = create_collect(dev_a_client, "江畔花园重复")
    job = fetch(dev_a_client, session, order_id, DEMO_PROJECT)
    assert job.state == "failed"
    assert DEMO_PROJECT in str(job.problems) and "华信·翠苑" in str(job.problems)
    assert staging.count_lines(session, order_id) == 0


def test_two_orders_cannot_fetch_the_same_project(dev_a_client, session, demo, trade):
    """The report: two collections of 华信·江畔花园, both approved, 2,128 houses opened twice."""
    first = create_collect(dev_a_client, "第一单")
    second = create_collect(dev_a_client, "第二单")
    assert fetch(dev_a_client, session, first, JIANGPAN).state == "done"
    job = fetch(dev_a_client, session, second, JIANGPAN)
    assert job.state == "failed"
    assert session.get(BusinessOrder, first).number in str(job.problems)
    assert staging.count_lines(session, second) == 0

    officer = demo.users["officer"]
    workflow.submit(session, first, demo.users["dev_a"])
    workflow.accept(session, first, officer, papers_checked=True)
    workflow.approve(session, first, officer)
    job = fetch(dev_a_client, session, second, JIANGPAN)
    assert job.state == "failed" and "第一单" in str(job.problems)
    opened = session.scalar(select(func.count(House.id)).where(House.opened_by_order_id == first))
    assert opened == session.scalar(select(func.count(func.distinct(House.trade_house_code)))
                                    .where(House.trade_house_code.is_not(None),
                                           House.opened_by_order_id == first)) > 2000


def test_a_supplement_may_fetch_its_own_areas_project(dev_a_client, session, demo, trade):
    response = dev_a_client.post("/order-form/supplement", data={
        "area_id": str(demo.area_a.id), "deposit_time_point": "2026-03-01", "action": "save",
        **FORM_AGENT})
    order_id = int(response.headers["Location"].split("/order-form/")[1].split("/")[0])
    job = fetch(dev_a_client, session, order_id, DEMO_PROJECT)
    # refused only because every house already has its account, not because the area has it
    assert job.state == "failed" and not job.problems, (job.message, job.problems)
    assert DEMO_PROJECT not in str(job.message)


# ---------------------------------------------------------------- import / any incoming houses

def test_incoming_houses_with_taken_codes_are_refused(session, demo):
    dev = demo.users["dev_a"]
    held = new_collect(session, dev, "持有单", ["T-HELD-1"])
    order = new_collect(session, dev, "导入单", [])
    taken = demo.house_a.trade_house_code
    assert taken
    data = [staging.house_data(building="A座", floor=2, room=f"20{i}", building_area="80",
                               use_code="residential", has_lift=True, source="excel",
                               trade_house_code=code)
            for i, code in enumerate([taken, "T-HELD-1", "T-NEW", "T-NEW"])]
    incoming = intake.Incoming([], data, [2, 3, 4, 5], lambda row, _data: f"Row {row}")
    problems = {index: str(reason) for index, _label, reason
                in intake.incoming_problems(session, order, incoming)}
    assert demo.house_a.code in problems[0] and demo.area_a.name in problems[0]
    assert held.number in problems[1]
    assert 2 not in problems and "Row 4" in problems[3]


# ---------------------------------------------------------------- submit and approval

def test_submit_refuses_houses_another_order_holds(session, demo):
    dev = demo.users["dev_a"]
    first = new_collect(session, dev, "甲单", ["T-1", "T-2"], project="P-X", building_code="B-1")
    second = new_collect(session, dev, "乙单", ["T-2", "T-3"], project="P-X", building_code="B-1")
    with pytest.raises(ValidationFailed) as refused:
        workflow.submit(session, second.id, dev)
    text = reasons(refused.value)
    assert "T-2" in text and "P-X" in text and "B-1" in text and first.number in text
    assert "T-3" not in text
    assert session.get(BusinessOrder, second.id).status == "draft"


def test_both_approved_is_impossible(session, demo):
    """The reported bug: the same project collected twice, both orders approved."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    first = new_collect(session, dev, "甲单", ["T-1", "T-2"], project="P-X", building_code="B-1")
    workflow.submit(session, first.id, dev)
    workflow.accept(session, first.id, officer, papers_checked=True)
    workflow.approve(session, first.id, officer)
    area = session.get(PropertyArea, session.get(BusinessOrder, first.id).area_id)
    assert project_area(session, "P-X") == area.id
    assert "P-X" in area.trade_project_ids

    second = new_collect(session, dev, "乙单", ["T-1", "T-2"], project="P-X", building_code="B-1")
    with pytest.raises(ValidationFailed) as refused:
        workflow.submit(session, second.id, dev)
    text = reasons(refused.value)
    assert "甲单" in text and "T-1" in text and "P-X" in text and "B-1" in text
    assert session.scalar(select(func.count(House.id)).where(House.trade_house_code == "T-1")) == 1


def test_approval_checks_again_when_the_register_changed(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    order = new_collect(session, dev, "晚到单", ["T-LATE"])
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    open_in_register(session, demo.area_a, ["T-LATE"])
    with pytest.raises(ValidationFailed) as refused:
        workflow.approve(session, order.id, officer)
    assert "T-LATE" in reasons(refused.value) and demo.area_a.name in reasons(refused.value)
    assert session.get(BusinessOrder, order.id).status == "accepted"


def test_a_race_past_the_checks_is_a_conflict_naming_the_house(session, demo, monkeypatch):
    """Two approvals at the same moment both pass validation; the unique index stops the second."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    order = new_collect(session, dev, "竞争单", ["T-RACE"])
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    open_in_register(session, demo.area_a, ["T-RACE"])
    monkeypatch.setattr(claims, "order_problems", lambda *args, **kwargs: [])
    with pytest.raises(Conflict) as conflict:
        workflow.approve(session, order.id, officer)
    message = str(conflict.value.message)
    assert "T-RACE" in message and demo.area_a.name in message, message
    assert session.get(BusinessOrder, order.id).status == "accepted"


# ---------------------------------------------------------------- the database itself

def _house_row(session: Any, template: House, code: str, status: str = HOUSE_OPEN) -> dict:
    return {"org_id": template.org_id, "created_at": template.created_at,
            "area_id": template.area_id, "building_id": template.building_id, "code": code,
            "unit": "9", "floor": 1, "room": code[-4:], "building_area": Decimal("50"),
            "use_code": "residential", "has_lift": False, "sales_status": "未售", "status": status,
            "amount_due": Decimal("1.00"), "standard_text": "", "source": "trade",
            "trade_house_code": template.trade_house_code}


def test_the_database_refuses_a_second_open_house_with_the_same_code(session, demo):
    house = demo.house_a
    session.execute(insert(House), [_house_row(session, house, "X0000000000000001", HOUSE_CLOSED)])
    session.commit()  # a closed house may keep the code of the house that replaced it
    with pytest.raises(IntegrityError):
        session.execute(insert(House), [_house_row(session, house, "X0000000000000002")])
        session.flush()
    session.rollback()


def test_the_database_refuses_a_building_or_project_collected_twice(session, demo):
    building = demo.building_a
    assert building.trade_building_code
    with pytest.raises(IntegrityError):
        session.add(Building(org_id=building.org_id, area_id=demo.area_b.id, code="X-B-1",
                             name="复制楼", trade_building_code=building.trade_building_code))
        session.flush()
    session.rollback()
    assert project_area(session, DEMO_PROJECT) == demo.area_a.id
    with pytest.raises(IntegrityError):
        session.execute(insert(AreaTradeProject), [{"project_id": DEMO_PROJECT,
                                                    "area_id": demo.area_b.id}])
        session.flush()
    session.rollback()


# ---------------------------------------------------------------- the migration

def _scratch(_database: Any) -> str:
    if _database.postgres:
        _database._admin('DROP DATABASE IF EXISTS "jm_claims" WITH (FORCE)',
                         'CREATE DATABASE "jm_claims"')
        return str(_database.admin_url.set(database="jm_claims").render_as_string(False))
    return f"sqlite:///{_database.tmp / f'claims-{uuid.uuid4().hex}.sqlite'}"


def _previous_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_revision("c0de00000007").down_revision


SEED = [
    "INSERT INTO organisation (id, name, uscc, legal_rep, legal_rep_id_type, legal_rep_id_no, "
    "contact, phone, address, district_code, status, papers_checked, created_at) VALUES "
    "(1, 'O', '91440703MA4UJ7K26E', 'L', '01', '1', 'C', '1', 'A', '440703', 'active', false, "
    "'2026-01-01')",
    "INSERT INTO property_area (id, code, name, district_code, address, active, org_id, created_at, "
    "trade_project_ids) VALUES (1, 'A1', '江畔花园', '440703', 'A', true, 1, '2026-01-01', 'P1'), "
    "(2, 'A2', '江畔花园二', '440703', 'A', true, 1, '2026-01-01', 'P1,P2')",
    "INSERT INTO building (id, area_id, code, name, trade_building_code, org_id, created_at) VALUES "
    "(1, 1, 'B1', '1幢', 'TB1', 1, '2026-01-01'), (2, 2, 'B2', '1幢', 'TB1', 1, '2026-01-01')",
]


def _houses_sql(rows: list[tuple[int, int, int, str, str]]) -> str:
    values = ", ".join(
        f"({i}, {area}, {building}, 'H{i}', '', 1, '10{i}', 80, 'residential', false, '未售', "
        f"'{status}', 0, '', 'trade', '{code}', 1, '2026-01-01')"
        for i, area, building, code, status in rows)
    return ("INSERT INTO house (id, area_id, building_id, code, unit, floor, room, building_area, "
            "use_code, has_lift, sales_status, status, amount_due, standard_text, source, "
            "trade_house_code, org_id, created_at) VALUES " + values)


def _migrate(_database: Any, statements: list[str]) -> tuple[str, Any]:
    from alembic import command
    from flask_migrate import upgrade

    url = _scratch(_database)
    app = build_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        from app.extensions import db

        try:
            upgrade(directory=MIGRATIONS, revision=_previous_revision())
            engine = create_engine(url)
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
            engine.dispose()
            error = None
            # alembic itself, not flask_migrate's wrapper, which logs the report and exits
            config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
            try:
                command.upgrade(config, "c0de00000007")
            except RuntimeError as exc:
                error = exc
        finally:
            db.engine.dispose()
    return url, error


def test_the_migration_reports_existing_duplicates(_database):
    url, error = _migrate(_database, SEED + [_houses_sql([
        (1, 1, 1, "T-DUP", "open"), (2, 2, 2, "T-DUP", "open"), (3, 2, 2, "T-OLD", "closed"),
        (4, 1, 1, "T-OLD", "open")])])
    assert error is not None and type(error).__name__ == "DuplicateTradeCodes"
    report = str(error)
    assert "trade_house_code T-DUP: house id 1 (H1) in area 1 江畔花园; house id 2 (H2) in area 2" \
        in report
    assert "T-OLD" not in report  # a closed house does not count
    assert "trade_building_code TB1: building id 1" in report and "building id 2" in report
    assert "trade project P1: area 1 江畔花园; area 2 江畔花园二" in report
    assert "P2" not in report
    engine = create_engine(url)
    assert "area_trade_project" not in set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_migration_fills_the_project_table(_database):
    url, error = _migrate(_database, [
        SEED[0], SEED[1].replace("'P1,P2'", "'P2, P3'"),
        SEED[2].replace("'TB1', 1, '2026-01-01'), (2", "'TB1', 1, '2026-01-01'), (2").replace(
            "(2, 2, 'B2', '1幢', 'TB1'", "(2, 2, 'B2', '1幢', 'TB2'"),
        _houses_sql([(1, 1, 1, "T-A", "open"), (2, 2, 2, "T-A", "closed")])])
    assert error is None, error
    engine = create_engine(url)
    with engine.begin() as conn:
        assert sorted(conn.execute(text("SELECT project_id, area_id FROM area_trade_project"))) \
            == [("P1", 1), ("P2", 2), ("P3", 2)]
        with pytest.raises(IntegrityError):
            conn.execute(text(_houses_sql([(3, 2, 2, "T-A", "open")])))
    engine.dispose()


def test_a_unit_written_with_its_word_is_the_same_house(session, demo):
    """"1单元" in a sheet is unit "1" of the register: no second account for the same house."""
    from app.models.order import HOUSE_SUPPLEMENT

    existing = demo.house_a
    assert not existing.unit.endswith("单元")
    order = BusinessOrder(type=HOUSE_SUPPLEMENT, org_id=existing.org_id, area_id=existing.area_id,
                          payload={})
    data = staging.house_data(building=existing.building.name, unit=f"{existing.unit}单元",
                              floor=existing.floor, room=existing.room, building_area="80",
                              use_code="residential", has_lift=True, source="excel")
    incoming = intake.Incoming([], [data], [2], lambda row, _data: f"Row {row}")
    problems = intake.incoming_problems(session, order, incoming)
    assert [label for _i, label, _r in problems] == ["Row 2"]
    with force_locale("en"):
        assert "already exists" in str(problems[0][2])
