"""The contract (docs/trading-api.yaml) exercised over HTTP against the simulator.

Every answer is validated against the contract's JSON schemas, so the file and the simulator
cannot drift apart silently.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tradesim.seed import DEVELOPER_A, DEVELOPER_B, DEVELOPER_C, seed_dataset
from tradesim.testing import SimulatorServer

SPEC_PATH = Path(__file__).resolve().parent.parent / "docs" / "trading-api.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource("urn:trading-api", Resource(SPEC, specification=DRAFT202012))
DATA = seed_dataset()


def conforms(instance: Any, schema_name: str) -> None:
    """Fail with every schema violation if ``instance`` does not match the named component."""
    validator = Draft202012Validator({"$ref": f"urn:trading-api#/components/schemas/{schema_name}"},
                                     registry=REGISTRY)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, errors[:5]


@pytest.fixture()
def api(sim: SimulatorServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers["X-Trade-Token"] = sim.token
    yield session
    session.close()
    sim.reset_faults()


def get(api: requests.Session, sim: SimulatorServer, path: str, **kw: Any) -> requests.Response:
    return api.get(sim.url + path, timeout=10, **kw)


def post(api: requests.Session, sim: SimulatorServer, path: str, body: Any,
         key: str | None = None) -> requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(sim.url + path, json=body, headers=headers, timeout=10)


def _contract_with_buyers(count: int) -> dict[str, Any]:
    return next(c for c in DATA["contracts"] if len(c["buyers"]) == count)


def test_every_simulator_route_is_in_the_contract(sim: SimulatorServer) -> None:
    routes = {r.rule.replace("<", "{").replace(">", "}") for r in sim.app.url_map.iter_rules()
              if r.rule.startswith("/api/") or r.rule == "/health"}
    assert routes == set(SPEC["paths"])


def test_developer_projects_conform_and_count_houses(api, sim) -> None:
    response = get(api, sim, f"/api/v1/developers/{DEVELOPER_A['uscc']}/projects")
    assert response.status_code == 200
    body = response.json()
    conforms(body, "ProjectList")
    assert [p["name"] for p in body["items"]] == ["华信·翠苑", "华信·江畔花园", "华信·商业中心"]
    large = next(p for p in body["items"] if p["name"] == "华信·江畔花园")
    assert large["house_count"] >= 2000 and large["building_count"] >= 6


def test_query_narrows_projects(api, sim) -> None:
    response = get(api, sim, f"/api/v1/developers/{DEVELOPER_B['uscc']}/projects",
                   params={"q": "御景"})
    assert [p["name"] for p in response.json()["items"]] == ["锦江·御景湾"]


def test_unregistered_developer_has_its_project_and_unknown_has_none(api, sim) -> None:
    third = get(api, sim, f"/api/v1/developers/{DEVELOPER_C['uscc']}/projects").json()
    assert third["total"] == 1
    unknown = get(api, sim, "/api/v1/developers/91440700MA00000000/projects").json()
    assert unknown == {"items": [], "total": 0}


def test_malformed_uscc_is_a_bad_request(api, sim) -> None:
    response = get(api, sim, "/api/v1/developers/not-a-code/projects")
    assert response.status_code == 400
    conforms(response.json(), "Error")
    assert response.json()["error"]["code"] == "invalid_request"


def test_project_houses_conform_and_equal_the_seed(api, sim) -> None:
    project = next(p for p in DATA["projects"] if p["name"] == "华信·江畔花园")
    response = get(api, sim, f"/api/v1/projects/{project['project_id']}/houses")
    assert response.status_code == 200
    body = response.json()
    conforms(body, "ProjectHouses")
    served = {h["house_code"]: h for b in body["buildings"] for h in b["houses"]}
    seeded = {h["house_code"]: h for b in project["buildings"] for h in b["houses"]}
    assert served.keys() == seeded.keys() and len(served) >= 2000
    sample = seeded[next(iter(seeded))]
    assert {k: v for k, v in sample.items() if k != "building_code"} == served[sample["house_code"]]
    assert body["project"]["house_count"] == len(served)
    uses = {h["use"] for h in served.values()}
    assert {"住宅", "商业", "车库/车位"} <= uses


def test_project_of_another_developer_is_not_found(api, sim) -> None:
    response = get(api, sim, "/api/v1/projects/P44070301/houses",
                   params={"developer_uscc": DEVELOPER_B["uscc"]})
    assert response.status_code == 404
    conforms(response.json(), "Error")
    assert response.json()["error"]["code"] == "project_not_found"


def test_missing_or_wrong_token_is_unauthorized(sim) -> None:
    for headers in ({}, {"X-Trade-Token": "wrong"}):
        response = requests.get(f"{sim.url}/api/v1/developers/{DEVELOPER_A['uscc']}/projects",
                                headers=headers, timeout=10)
        assert response.status_code == 401
        conforms(response.json(), "Error")


def test_match_answers_each_item_with_a_reason(api, sim) -> None:
    single, couple = _contract_with_buyers(1), _contract_with_buyers(2)
    other = next(c for c in DATA["contracts"] if c["house_code"] != single["house_code"])
    buyer = single["buyers"][0]
    second = couple["buyers"][1]
    items = [
        {"house_code": single["house_code"], "owner_name": buyer["name"],
         "id_number": buyer["id_number"].lower(), "contract_no": single["contract_no"]},
        {"house_code": couple["house_code"], "owner_name": second["name"],
         "id_number": second["id_number"], "contract_no": couple["contract_no"]},
        {"house_code": single["house_code"], "owner_name": "某某某",
         "id_number": buyer["id_number"], "contract_no": single["contract_no"]},
        {"house_code": single["house_code"], "owner_name": buyer["name"],
         "id_number": buyer["id_number"], "contract_no": other["contract_no"]},
        {"house_code": single["house_code"], "owner_name": buyer["name"],
         "id_number": buyer["id_number"], "contract_no": "JM2026YS999999"},
        {"house_code": "440799999999999999", "owner_name": buyer["name"],
         "id_number": buyer["id_number"], "contract_no": single["contract_no"]},
        {"house_code": single["house_code"], "owner_name": "", "id_number": "",
         "contract_no": single["contract_no"]},
        {"owner_name": buyer["name"], "id_number": buyer["id_number"],
         "contract_no": single["contract_no"]},
    ]
    response = post(api, sim, "/api/v1/contracts/match", {"items": items}, key="match-1")
    assert response.status_code == 200
    body = response.json()
    conforms(body, "MatchResponse")
    assert [(r["index"], r["matched"], r["reason_code"]) for r in body["results"]] == [
        (0, True, None), (1, True, None), (2, False, "owner_mismatch"),
        (3, False, "contract_house_mismatch"), (4, False, "contract_not_found"),
        (5, False, "house_not_found"), (6, False, "invalid_item"), (7, True, None),
    ]
    assert all(r["reason"] for r in body["results"] if not r["matched"])
    assert body["results"][7]["house_code"] == single["house_code"]
    assert body["results"][7]["house_address"].startswith("江门市")


def test_match_scoped_to_a_developer_hides_other_houses(api, sim) -> None:
    contract = next(c for c in DATA["contracts"] if c["project_id"] == "P44070501")
    buyer = contract["buyers"][0]
    item = {"house_code": contract["house_code"], "owner_name": buyer["name"],
            "id_number": buyer["id_number"], "contract_no": contract["contract_no"]}
    body = {"items": [item], "developer_uscc": DEVELOPER_A["uscc"]}
    result = post(api, sim, "/api/v1/contracts/match", body).json()["results"][0]
    assert (result["matched"], result["reason_code"]) == (False, "house_not_found")


def test_match_needs_one_to_five_hundred_items(api, sim) -> None:
    assert post(api, sim, "/api/v1/contracts/match", {"items": []}).status_code == 400
    too_many = [{"house_code": "x", "owner_name": "x", "id_number": "x", "contract_no": "x"}] * 501
    assert post(api, sim, "/api/v1/contracts/match", {"items": too_many}).status_code == 400


def _push_body(house_code: str, contract_no: str | None, paid: str = "0.00",
               at: str = "2026-11-20T10:00:00+08:00") -> dict[str, Any]:
    return {"house_code": house_code, "contract_no": contract_no, "amount_due": "6428.00",
            "amount_paid": paid, "status": "部分交存" if paid != "0.00" else "未交存",
            "occurred_at": at}


def test_push_is_stored_once_per_key(api, sim) -> None:
    contract = DATA["contracts"][10]
    body = _push_body(contract["house_code"], contract["contract_no"])
    first = post(api, sim, "/api/v1/deposit-statuses", body, key="contract-test-1")
    again = post(api, sim, "/api/v1/deposit-statuses", body, key="contract-test-1")
    assert (first.status_code, again.status_code) == (201, 200)
    conforms(first.json(), "PushReceipt")
    conforms(again.json(), "PushReceipt")
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert first.json()["push_id"] == again.json()["push_id"]
    stored = sim.pushes(key="contract-test-1")
    assert len(stored) == 1 and stored[0]["requests"] == 2

    status = get(api, sim, f"/api/v1/houses/{contract['house_code']}/deposit-status")
    conforms(status.json(), "DepositStatus")
    assert status.json()["amount_due"] == "6428.00" and status.json()["status"] == "未交存"


def test_same_key_with_another_body_is_a_conflict(api, sim) -> None:
    contract = DATA["contracts"][11]
    post(api, sim, "/api/v1/deposit-statuses", _push_body(contract["house_code"], None), key="k-409")
    response = post(api, sim, "/api/v1/deposit-statuses",
                    _push_body(contract["house_code"], None, paid="100.00"), key="k-409")
    assert response.status_code == 409
    conforms(response.json(), "Error")
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_an_older_push_never_rolls_the_status_back(api, sim) -> None:
    house = DATA["projects"][0]["buildings"][0]["houses"][0]["house_code"]
    newer = _push_body(house, None, paid="6428.00", at="2026-11-21T09:00:00+08:00") | {"status": "已交清"}
    older = _push_body(house, None, at="2026-11-20T09:00:00+08:00")
    assert post(api, sim, "/api/v1/deposit-statuses", newer, key="order-new").json()["applied"]
    assert not post(api, sim, "/api/v1/deposit-statuses", older, key="order-old").json()["applied"]
    status = get(api, sim, f"/api/v1/houses/{house}/deposit-status").json()
    assert (status["status"], status["amount_paid"]) == ("已交清", "6428.00")


def test_push_errors_follow_the_contract(api, sim) -> None:
    house = DATA["contracts"][12]["house_code"]
    no_key = post(api, sim, "/api/v1/deposit-statuses", _push_body(house, None))
    bad = post(api, sim, "/api/v1/deposit-statuses",
               {"house_code": house, "amount_due": 12.5, "status": "?", "occurred_at": "yesterday"},
               key="bad-1")
    unknown = post(api, sim, "/api/v1/deposit-statuses", _push_body("440799999999999999", None),
                   key="bad-2")
    mismatch = post(api, sim, "/api/v1/deposit-statuses", _push_body(house, "JM2026YS999999"),
                    key="bad-3")
    assert [r.status_code for r in (no_key, bad, unknown, mismatch)] == [400, 400, 404, 422]
    for response in (no_key, bad, unknown, mismatch):
        conforms(response.json(), "Error")
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert fields == {"amount_due", "amount_paid", "status", "occurred_at"}
    assert sim.pushes(house_code=house) == []


def test_unknown_paths_answer_in_the_error_shape(api, sim) -> None:
    response = get(api, sim, "/api/v1/nothing-here")
    assert response.status_code == 404
    conforms(response.json(), "Error")


def test_health_needs_no_token(sim) -> None:
    assert requests.get(f"{sim.url}/health", timeout=5).json() == {"status": "ok"}


def test_batch_push_answers_each_item_like_a_single_push(api, sim) -> None:
    contract = DATA["contracts"][13]
    house = contract["house_code"]
    post(api, sim, "/api/v1/deposit-statuses", _push_body(house, None), key="batch-seen")
    items = [
        {"idempotency_key": "batch-new", "push": _push_body(house, contract["contract_no"])},
        {"idempotency_key": "batch-seen", "push": _push_body(house, None)},
        {"idempotency_key": "batch-seen", "push": _push_body(house, None, paid="1.00")},
        {"idempotency_key": "batch-unknown", "push": _push_body("440799999999999999", None)},
        {"idempotency_key": "batch-mismatch", "push": _push_body(house, "JM2026YS999999")},
        {"idempotency_key": "bad key!", "push": _push_body(house, None)},
        {"idempotency_key": "batch-bad", "push": {"house_code": house}},
    ]
    response = post(api, sim, "/api/v1/deposit-statuses/batch", {"items": items})
    assert response.status_code == 200
    conforms(response.json(), "DepositStatusBatchResult")
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 200, 409, 404, 422, 400, 400]
    assert results[0]["receipt"]["duplicate"] is False and results[1]["receipt"]["duplicate"]
    assert [r["error"]["code"] for r in results[2:]] == [
        "idempotency_conflict", "house_not_found", "contract_mismatch", "invalid_request",
        "invalid_request"]
    assert [p["idempotency_key"] for p in sim.pushes(house_code=house)] == ["batch-seen",
                                                                           "batch-new"]


def test_batch_push_needs_one_to_five_hundred_items_and_fails_per_item(api, sim) -> None:
    for items in ([], [{}] * 501, "x"):
        response = post(api, sim, "/api/v1/deposit-statuses/batch", {"items": items})
        assert response.status_code == 400
        conforms(response.json(), "Error")
    houses = [h["house_code"] for h in DATA["projects"][0]["buildings"][1]["houses"][:3]]
    sim.set_faults(fail_next=1, fail_mode="after")
    items = [{"idempotency_key": f"batch-fault-{i}", "push": _push_body(h, None)}
             for i, h in enumerate(houses)]
    results = post(api, sim, "/api/v1/deposit-statuses/batch", {"items": items}).json()["results"]
    assert [r["status"] for r in results] == [500, 201, 201]
    assert len(sim.pushes(key="batch-fault-0")) == 1  # stored, only the answer was lost
