"""TradingClient against the simulator over HTTP: parsing, error mapping, timeouts, retries."""
from __future__ import annotations

import socket
import time
from decimal import Decimal
from typing import Iterator

import pytest

from app.integrations.trading import (MatchItem, TradingClient, TradingError, TradingNotConfigured,
                                      TradingRejected, TradingUnavailable)
from tradesim.seed import DEVELOPER_A, seed_dataset
from tradesim.testing import SimulatorServer

DATA = seed_dataset()
READ_TIMEOUT = 0.5


@pytest.fixture()
def client(sim: SimulatorServer) -> Iterator[TradingClient]:
    with TradingClient(sim.url, sim.token, connect_timeout=1, read_timeout=READ_TIMEOUT,
                       retries=2, backoff_factor=0.01) as c:
        yield c
    sim.reset_faults()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_list_projects_returns_typed_projects(client: TradingClient) -> None:
    projects = client.list_projects(DEVELOPER_A["uscc"])
    assert [p.project_id for p in projects] == ["P44070301", "P44070302", "P44070303"]
    assert projects[0].house_count == 248 and projects[0].developer_uscc == DEVELOPER_A["uscc"]
    assert [p.name for p in client.list_projects(DEVELOPER_A["uscc"], query="商业")] == ["华信·商业中心"]


def test_project_houses_have_decimals_and_lift(client: TradingClient) -> None:
    detail = client.get_project_houses("P44070301", uscc=DEVELOPER_A["uscc"])
    assert detail.project.name == "华信·翠苑"
    assert len(detail.houses) == detail.project.house_count == 248
    by_name = {b.name: b for b in detail.buildings}
    assert by_name["1栋"].has_lift and not by_name["3栋"].has_lift
    house = by_name["1栋"].houses[0]
    assert isinstance(house.building_area, Decimal) and house.building_area == Decimal("128.56")
    assert house.price is not None and house.price.as_tuple().exponent == -2
    garage = by_name["地下车库"].houses[0]
    assert (garage.floor, garage.unit, garage.use) == (-1, "", "车库/车位")


def test_a_project_of_another_developer_is_rejected(client: TradingClient) -> None:
    with pytest.raises(TradingRejected) as caught:
        client.get_project_houses("P44070501", uscc=DEVELOPER_A["uscc"])
    assert caught.value.code == "project_not_found"
    assert str(caught.value.message) == "The trading system has no such project."


def test_match_keeps_order_translates_reasons_and_batches(client: TradingClient, sim) -> None:
    contract = DATA["contracts"][0]
    buyer = contract["buyers"][0]
    good = MatchItem(house_code=contract["house_code"], owner_name=buyer["name"],
                     id_number=buyer["id_number"], contract_no=contract["contract_no"])
    bad = MatchItem(house_code=contract["house_code"], owner_name="某某某",
                    id_number=buyer["id_number"], contract_no=contract["contract_no"])
    items = [good] * 500 + [bad]  # 501 items: two requests of at most 500
    results = client.match_contracts(items)
    assert [r.index for r in results] == list(range(501))
    assert all(r.matched and r.reason is None for r in results[:500])
    last = results[500]
    assert (last.matched, last.reason_code) == (False, "owner_mismatch")
    assert str(last.reason) == "The owner name or ID number does not match a buyer on the contract."
    assert client.match_contracts([]) == []


def test_match_without_house_code_names_the_contracts_house(client: TradingClient) -> None:
    contract = next(c for c in DATA["contracts"] if c["project_id"] == "P44070301")
    buyer = contract["buyers"][0]
    item = MatchItem(owner_name=buyer["name"], id_number=buyer["id_number"],
                     contract_no=contract["contract_no"])
    [result] = client.match_contracts([item], uscc=DEVELOPER_A["uscc"])
    assert (result.matched, result.house_code) == (True, contract["house_code"])
    assert result.house_address and "华信·翠苑" in result.house_address
    [hidden] = client.match_contracts([item], uscc="91440705MA51Q8R367")
    assert (hidden.matched, hidden.reason_code, hidden.house_address) == (
        False, "contract_not_found", None)


def test_push_receipt_and_resend(client: TradingClient, sim) -> None:
    contract = DATA["contracts"][1]
    payload = {"house_code": contract["house_code"], "contract_no": contract["contract_no"],
               "amount_due": "5000.00", "amount_paid": "5000.00", "status": "已交清",
               "occurred_at": "2026-11-25T08:00:00+00:00"}
    first = client.push_deposit_status(payload, "client-push-1")
    again = client.push_deposit_status(payload, "client-push-1")
    assert (first.duplicate, again.duplicate, first.push_id) == (False, True, again.push_id)
    assert len(sim.pushes(key="client-push-1")) == 1


def test_wrong_token_is_rejected_with_an_explanation(sim) -> None:
    with TradingClient(sim.url, "wrong-token", retries=0) as c, \
            pytest.raises(TradingRejected) as caught:
        c.list_projects(DEVELOPER_A["uscc"])
    assert caught.value.code == "unauthorized"
    assert "credentials" in str(caught.value.message)
    assert "HTTP 401" in caught.value.detail


def test_refused_connection_is_unavailable(sim) -> None:
    with TradingClient(f"http://127.0.0.1:{closed_port()}", sim.token, connect_timeout=1,
                       retries=2, backoff_factor=0.01) as c, \
            pytest.raises(TradingUnavailable) as caught:
        c.list_projects(DEVELOPER_A["uscc"])
    assert "try again later" in str(caught.value.message)
    assert caught.value.status == 503


def test_server_error_is_unavailable(client, sim) -> None:
    sim.set_faults(fail_all=True)
    with pytest.raises(TradingUnavailable) as caught:
        client.list_projects(DEVELOPER_A["uscc"])
    assert "HTTP 500 injected_failure" in caught.value.detail


def test_slow_system_fails_within_the_read_timeout(client: TradingClient, sim) -> None:
    sim.set_faults(delay_seconds=READ_TIMEOUT * 4)
    started = time.monotonic()
    with pytest.raises(TradingUnavailable):
        client.list_projects(DEVELOPER_A["uscc"])
    elapsed = time.monotonic() - started
    # One read timeout plus connection set-up, not one per retry and not the server's delay.
    assert READ_TIMEOUT <= elapsed < READ_TIMEOUT + 0.8


def test_from_config_reads_keys_and_defaults() -> None:
    client = TradingClient.from_config({"TRADE_BASE_URL": "http://trade.example/", "TRADE_TOKEN": "t"})
    assert client.base_url == "http://trade.example" and client.timeout == (3.0, 10.0)
    assert client.session.headers["X-Trade-Token"] == "t"
    assert client.session.get_adapter("http://x").max_retries.total == 2
    tuned = TradingClient.from_config({"TRADE_BASE_URL": "http://t", "TRADE_CONNECT_TIMEOUT": "1.5",
                                       "TRADE_READ_TIMEOUT": 4, "TRADE_RETRIES": 0})
    assert tuned.timeout == (1.5, 4.0) and tuned.session.get_adapter("http://x").max_retries.total == 0
    with pytest.raises(TradingNotConfigured):
        TradingClient.from_config({"TRADE_BASE_URL": ""})


def test_unexpected_answer_is_a_readable_error(sim) -> None:
    # The fragment makes every call land on /health, whose JSON is not a project list.
    with TradingClient(sim.url + "/health#", sim.token, retries=0) as c, \
            pytest.raises(TradingError) as caught:
        c.list_projects(DEVELOPER_A["uscc"])
    assert "cannot read" in str(caught.value.message)


def test_batch_push_returns_a_result_per_item(client: TradingClient, sim) -> None:
    from app.integrations.trading import TradingRejected

    houses = [h["house_code"] for h in DATA["projects"][0]["buildings"][2]["houses"][:2]]
    payloads = [{"house_code": code, "contract_no": None, "amount_due": "100.00",
                 "amount_paid": "0.00", "status": "未交存",
                 "occurred_at": "2026-11-20T10:00:00+08:00"} for code in houses + ["4407999"]]
    items = [(f"client-batch-{i}", p) for i, p in enumerate(payloads)]
    results = client.push_deposit_statuses(items)
    assert [r.idempotency_key for r in results] == [k for k, _p in items]
    assert [r.receipt is not None for r in results] == [True, True, False]
    assert isinstance(results[2].error, TradingRejected)
    assert results[2].error.code == "house_not_found"
    again = client.push_deposit_statuses(items[:2])
    assert all(r.receipt.duplicate for r in again)
