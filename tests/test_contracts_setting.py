"""房屋合同号设置: validation, matching against the simulator, binding, pushes, Excel round trip."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.integrations.trading import TradingClient, TradingUnavailable
from app.models.audit import AuditLog
from app.models.outbox import OutboxMessage
from app.models.property import House
from app.services.contracts import (Agent, ContractRow, bind_contracts, export_contract_rows,
                                    import_contract_rows, match_rows, rows_for_houses)
from tradesim.seed import seed_dataset
from tradesim.testing import SimulatorServer

AGENT = Agent(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")


@pytest.fixture()
def client(sim: SimulatorServer) -> Iterator[TradingClient]:
    with TradingClient(sim.url, sim.token, connect_timeout=1, read_timeout=3, retries=0) as c:
        yield c


def signed(session: Any, area_id: int, count: int) -> list[tuple[House, dict[str, Any]]]:
    contracts = {c["house_code"]: c for c in seed_dataset()["contracts"]}
    houses = session.scalars(select(House).where(House.area_id == area_id).order_by(House.id)).all()
    return [(h, contracts[h.trade_house_code]) for h in houses if h.trade_house_code in contracts][:count]


def row_for(house: House, contract: dict[str, Any], **changes: Any) -> ContractRow:
    buyer = contract["buyers"][0]
    row = ContractRow(house_id=house.id, owner_name=buyer["name"], id_no=buyer["id_number"],
                      contract_no=contract["contract_no"])
    for key, value in changes.items():
        setattr(row, key, value)
    return row


def test_match_reports_each_row_and_writes_nothing(session, demo, client):
    (h1, c1), (h2, c2) = signed(session, demo.area_a.id, 2)
    rows = [row_for(h1, c1), row_for(h2, c2, owner_name="某某某")]
    outcomes = match_rows(session, demo.area_a, rows, client)
    assert [o.matched for o in outcomes] == [True, False]
    assert outcomes[1].reason
    session.expire_all()
    assert session.get(House, h1.id).contract_no is None


def test_submit_binds_matched_houses_and_queues_pushes(session, demo, client):
    (h1, c1), (h2, c2) = signed(session, demo.area_a.id, 2)
    result = bind_contracts(session, demo.area_a,
                            [row_for(h1, c1), row_for(h2, c2, contract_no="JM2026YS999999")],
                            client, agent=AGENT, user_id=demo.users["dev_a"].id)
    assert [o.house_id for o in result.bound] == [h1.id]
    assert [o.house_id for o in result.not_matched] == [h2.id]
    session.expire_all()
    bound = session.get(House, h1.id)
    assert bound.contract_no == c1["contract_no"] and bound.contract_bound_at is not None
    assert [o.name for o in bound.owners] == [c1["buyers"][0]["name"]]
    assert session.get(House, h2.id).contract_no is None
    pushes = session.scalars(select(OutboxMessage).where(OutboxMessage.house_id == h1.id)).all()
    assert len(pushes) == 1 and pushes[0].payload["contract_no"] == c1["contract_no"]
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "contract.bind"))
    assert audit.detail["agent"]["name"] == "李敏"


def test_invalid_rows_are_refused_before_asking_the_trading_system(session, demo, client):
    (h1, c1), (h2, _c2) = signed(session, demo.area_a.id, 2)
    rows = [row_for(h1, c1, id_no="110105194912310021"),        # wrong check digit
            row_for(h2, c1),                                      # same contract twice
            ContractRow(house_id=demo.house_b.id, owner_name="张三", id_no="11010519491231002X",
                        contract_no="JM2026YS000001")]            # another organisation's house
    with pytest.raises(ValidationFailed) as caught:
        match_rows(session, demo.area_a, rows, client)
    rows_with_problems = {p.row for p in caught.value.problems}
    assert rows_with_problems == {1, 2, 3}


def test_agent_is_required_and_validated(session, demo, client):
    (h1, c1), = signed(session, demo.area_a.id, 1)
    with pytest.raises(ValidationFailed) as caught:
        bind_contracts(session, demo.area_a, [row_for(h1, c1)], client,
                       agent=Agent(name="", phone="12", id_type="01", id_no="x"), user_id=None)
    assert {p.field for p in caught.value.problems} == {"agent_name", "agent_phone", "agent_id_no"}


def test_a_contract_bound_elsewhere_is_refused(session, demo, client):
    (h1, c1), (h2, _c2) = signed(session, demo.area_a.id, 2)
    bind_contracts(session, demo.area_a, [row_for(h1, c1)], client, agent=AGENT, user_id=None)
    with pytest.raises(ValidationFailed):
        match_rows(session, demo.area_a, [row_for(h2, c1)], client)


def test_trading_system_down_is_a_clear_error(session, demo, sim):
    (h1, c1), = signed(session, demo.area_a.id, 1)
    with TradingClient("http://127.0.0.1:9", "x", connect_timeout=0.5, retries=0) as down:
        with pytest.raises(TradingUnavailable):
            bind_contracts(session, demo.area_a, [row_for(h1, c1)], down, agent=AGENT, user_id=None)
    session.expire_all()
    assert session.get(House, h1.id).contract_no is None
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_excel_round_trip(session, demo):
    (h1, c1), (h2, c2) = signed(session, demo.area_a.id, 2)
    rows = rows_for_houses(session, demo.area_a, [h1.id, h2.id])
    rows[0].update(owner_name=c1["buyers"][0]["name"], id_no=c1["buyers"][0]["id_number"],
                   contract_no=c1["contract_no"])
    data = export_contract_rows(rows)
    back = import_contract_rows(session, demo.area_a, data)
    assert [(r["house_id"], r["contract_no"]) for r in back] == [(h1.id, c1["contract_no"]), (h2.id, "")]
    import openpyxl

    book = openpyxl.load_workbook(BytesIO(data))
    book.active.cell(row=2, column=1, value=demo.house_b.code)
    tampered = BytesIO()
    book.save(tampered)
    with pytest.raises(ValidationFailed):
        import_contract_rows(session, demo.area_a, tampered.getvalue())


def test_screen_match_and_submit(app, dev_a_client, session, demo, sim, monkeypatch):
    for key, value in (("TRADE_BASE_URL", sim.url), ("TRADE_TOKEN", sim.token), ("TRADE_RETRIES", 0)):
        monkeypatch.setitem(app.config, key, value)
    (h1, c1), = signed(session, demo.area_a.id, 1)
    buyer = c1["buyers"][0]
    row = {"house_id": h1.id, "owner_name": buyer["name"], "id_no": buyer["id_number"],
           "contract_no": c1["contract_no"]}
    body = {"area_id": demo.area_a.id, "rows": [row],
            "agent": {"name": "李敏", "phone": "13800138001", "id_no": "11010519491231002X"}}
    matched = dev_a_client.post("/contracts/match", json=body)
    assert matched.status_code == 200 and matched.get_json()["rows"][0]["matched"] is True
    unconfirmed = dev_a_client.post("/contracts/submit", json=body)
    assert unconfirmed.status_code == 422
    session.expire_all()
    assert session.get(House, h1.id).contract_no != c1["contract_no"]  # nothing bound yet
    submitted = dev_a_client.post("/contracts/submit", json={**body, "confirmed": True}).get_json()
    assert [r["house_id"] for r in submitted["bound"]] == [h1.id]
    picker = dev_a_client.get(f"/picker/building/{h1.building_id}/houses").get_json()
    cell = next(r for r in picker["houses"] if r[0] == h1.id)
    assert cell[picker["columns"].index("contract")] == c1["contract_no"]
