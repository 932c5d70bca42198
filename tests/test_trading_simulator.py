"""The simulator itself: seed data, failure injection, admin guard, start/stop, command line."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from tradesim import create_app
from tradesim.seed import (DEVELOPERS, SALES_STATUSES, STRUCTURES, USES, is_valid_resident_id,
                           resident_id_check_digit, seed_dataset)
from tradesim.testing import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
DATA = seed_dataset()
HOUSES = [h for p in DATA["projects"] for b in p["buildings"] for h in b["houses"]]


def project(name: str) -> dict[str, Any]:
    return next(p for p in DATA["projects"] if p["name"] == name)


def house_count(name: str) -> int:
    return sum(len(b["houses"]) for b in project(name)["buildings"])


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        server = request.getfixturevalue("sim")
        if server.running:
            server.reset_faults()


def push(sim: SimulatorServer, key: str, paid: str = "0.00") -> requests.Response:
    contract = DATA["contracts"][20]
    body = {"house_code": contract["house_code"], "contract_no": contract["contract_no"],
            "amount_due": "3000.00", "amount_paid": paid, "status": "未交存",
            "occurred_at": "2026-11-26T08:00:00+00:00"}
    return requests.post(f"{sim.url}/api/v1/deposit-statuses", json=body, timeout=10,
                         headers={"X-Trade-Token": sim.token, "Idempotency-Key": key})


# --- seed data -------------------------------------------------------------------------------

def test_seed_is_deterministic_and_independent_per_call() -> None:
    again = seed_dataset()
    assert again == DATA
    again["projects"][0]["name"] = "changed"
    assert seed_dataset()["projects"][0]["name"] == "华信·翠苑"


def test_seed_has_the_demo_developers_and_projects() -> None:
    assert [(d["uscc"], d["name"], d["district_code"]) for d in DATA["developers"]] == [
        ("91440703MA4UJ7K26E", "江门市华信置业有限公司", "440703"),
        ("91440705MA51Q8R367", "江门市锦江房地产开发有限公司", "440705"),
        ("91440781MA53C2T672", "台山市海湾置业有限公司", "440781"),
    ]
    assert [d["registered_in_platform"] for d in DEVELOPERS] == [True, True, False]
    collected = {p["name"] for p in DATA["projects"] if p["collected_in_platform"]}
    assert collected == {"华信·翠苑", "锦江·新城豪庭"}
    assert 200 <= house_count("华信·翠苑") <= 300
    assert house_count("华信·江畔花园") >= 2000
    assert 130 <= house_count("锦江·新城豪庭") <= 170
    towers = [b for b in project("华信·江畔花园")["buildings"] if b["floors_above"] >= 30]
    assert len(towers) >= 4 and {b["unit_count"] for b in towers} <= {2, 3, 4}
    lifts = {b["lift"] for b in project("华信·翠苑")["buildings"] if b["unit_count"]}
    assert lifts == {"有", "无"}


def test_seed_codes_are_unique_and_follow_the_documented_layout() -> None:
    codes = [h["house_code"] for h in HOUSES]
    assert len(codes) == len(set(codes))
    for p in DATA["projects"]:
        assert re.fullmatch(r"P\d{8}", p["project_id"])
        for b in p["buildings"]:
            assert b["building_code"] == p["project_id"][1:] + b["building_code"][8:]
            for h in b["houses"]:
                assert re.fullmatch(r"\d{18}", h["house_code"])
                assert h["house_code"].startswith(b["building_code"])
                unit, floor = h["house_code"][10:12], int(h["house_code"][12:15])
                assert unit == (h["unit"] or "0").zfill(2)
                assert floor == (h["floor"] if h["floor"] > 0 else 900 - h["floor"])


def test_seed_values_use_the_contract_vocabularies() -> None:
    assert {h["use"] for h in HOUSES} == set(USES)
    assert {h["sales_status"] for h in HOUSES} <= set(SALES_STATUSES)
    structures = {b["structure"] for p in DATA["projects"] for b in p["buildings"]}
    assert structures <= set(STRUCTURES)
    for h in HOUSES:
        assert re.fullmatch(r"\d+\.\d{2}", h["building_area"]) and re.fullmatch(r"\d+\.\d{2}", h["price"])


def test_signed_houses_have_exactly_one_contract_with_valid_buyers() -> None:
    by_house = Counter(c["house_code"] for c in DATA["contracts"])
    signed = {h["house_code"] for h in HOUSES if h["sales_status"] == "已网签"}
    assert set(by_house) == signed and set(by_house.values()) == {1}
    numbers = [c["contract_no"] for c in DATA["contracts"]]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"JM2026YS\d{6}", n) for n in numbers)
    buyers = [b for c in DATA["contracts"] for b in c["buyers"]]
    assert all(is_valid_resident_id(b["id_number"]) for b in buyers)
    assert all(re.fullmatch(r"1[3-9]\d{9}", b["phone"]) for b in buyers)
    assert any(len(c["buyers"]) == 2 for c in DATA["contracts"])
    for name in ("华信·翠苑", "华信·江畔花园", "锦江·新城豪庭"):
        assert any(c["project_id"] == project(name)["project_id"] for c in DATA["contracts"])


def test_resident_id_check_digit_matches_gb11643() -> None:
    assert resident_id_check_digit("11010519491231002") == "X"   # the standard's own example
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("11010519490231002X")       # 31 February


# --- failure injection and admin --------------------------------------------------------------

def test_fail_next_before_stores_nothing(sim: SimulatorServer) -> None:
    sim.set_faults(fail_next=2)
    codes = [push(sim, "fail-before").status_code for _ in range(3)]
    assert codes == [500, 500, 201]
    assert sim.pushes(key="fail-before")[0]["requests"] == 1


def test_fail_after_stores_then_answers_500(sim: SimulatorServer) -> None:
    sim.set_faults(fail_next=1, fail_mode="after")
    lost = push(sim, "fail-after")
    assert lost.status_code == 500 and lost.json()["error"]["code"] == "injected_failure"
    resent = push(sim, "fail-after")
    assert resent.status_code == 200 and resent.json()["duplicate"] is True
    stored = sim.pushes(key="fail-after")
    assert len(stored) == 1 and stored[0]["requests"] == 2


def test_fail_all_until_reset(sim: SimulatorServer) -> None:
    sim.set_faults(fail_all=True)
    assert [push(sim, "fail-all").status_code for _ in range(2)] == [500, 500]
    sim.reset_faults()
    assert push(sim, "fail-all").status_code == 201


def test_delay_slows_every_api_call(sim: SimulatorServer) -> None:
    sim.set_faults(delay_seconds=0.3)
    started = time.monotonic()
    push(sim, "delayed")
    assert time.monotonic() - started >= 0.3


def test_faults_are_validated(sim: SimulatorServer) -> None:
    for body in ({"delay_seconds": -1}, {"fail_next": "2"}, {"fail_mode": "sideways"},
                 {"fail_all": 1}):
        response = requests.put(f"{sim.url}/_admin/faults", json=body, timeout=5,
                                headers={"X-Admin-Token": sim.admin_token})
        assert response.status_code == 400, body
    assert sim.set_faults()["fail_next"] == 0


def test_admin_needs_its_token_and_is_absent_without_one(sim, tmp_path: Path) -> None:
    assert requests.get(f"{sim.url}/_admin/faults", timeout=5).status_code == 401
    wrong = requests.get(f"{sim.url}/_admin/faults", headers={"X-Admin-Token": sim.token}, timeout=5)
    assert wrong.status_code == 401
    plain = create_app({"TRADESIM_DB": str(tmp_path / "plain.sqlite"), "TRADESIM_ADMIN_TOKEN": ""})
    response = plain.test_client().get("/_admin/faults", headers={"X-Admin-Token": ""})
    assert response.status_code == 404


def test_stopped_simulator_refuses_connections_then_comes_back(tmp_path: Path) -> None:
    server = SimulatorServer(str(tmp_path / "restart.sqlite")).start()
    url = f"{server.url}/health"
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    server.start()
    try:
        assert requests.get(url, timeout=2).status_code == 200
    finally:
        server.stop()


def test_command_line_serves_on_the_given_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradesim", "--port", str(port), "--db", str(tmp_path / "cli.sqlite")],
        cwd=ROOT, env={**os.environ, "TRADESIM_TOKEN": "cli-token"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}
        projects = requests.get(f"http://127.0.0.1:{port}/api/v1/developers/91440703MA4UJ7K26E/projects",
                                headers={"X-Trade-Token": "cli-token"}, timeout=5)
        assert projects.json()["total"] == 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)
