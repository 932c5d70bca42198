"""Demo data: the accounts of README, two developers and their collected property areas.

The areas are built from the trading-system simulator's own seed, so houses, codes and contracts
agree between the platform and the simulator. Idempotent: running it again adds nothing.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.organisation import Organisation
from app.models.property import SOURCE_TRADE, PropertyArea
from app.security.roles import (ROLE_ADMIN, ROLE_DEV_ADMIN, ROLE_DEV_PAYMENT, ROLE_DEV_PROPERTY,
                                ROLE_OFFICER, ROLE_TELLER)
from app.services.accounts import BuildingInput, HouseInput, area_code, open_houses
from app.services.orders.claims import claim_projects
from app.services.reference import CODE_TABLES, seed_reference_data
from app.services.standards import StandardBook
from app.services.unit_of_work import unit_of_work

ORG_DETAILS = {
    "dev_a": {"legal_rep": "黄志明", "legal_rep_id_no": "44070319780512001X", "contact": "李敏",
              "phone": "13800138001", "address": "江门市蓬江区华信路88号华信大厦12楼"},
    "dev_b": {"legal_rep": "陈国强", "legal_rep_id_no": "440705198011230038", "contact": "梁芳",
              "phone": "13800138002", "address": "江门市新会区会城锦江路18号"},
}

#: The developer users' own ID numbers: the order forms prefill the agent (经办人) with them.
DEMO_ID_NUMBERS = {"dev_a": "11010519491231002X", "dev_a_staff": "440703199003150021",
                   "dev_b": "440705198806200035"}

# username, last name, first name, roles, organisation key
DEMO_USERS = [
    ("admin", "平台", "管理员", [ROLE_ADMIN], None),
    ("officer", "王", "审核员", [ROLE_OFFICER], None),
    ("teller", "赵", "柜员", [ROLE_TELLER], None),
    ("dev_a", "李", "敏", [ROLE_DEV_ADMIN], "dev_a"),
    ("dev_a_staff", "陈", "经办", [ROLE_DEV_PROPERTY, ROLE_DEV_PAYMENT], "dev_a"),
    ("dev_b", "梁", "芳", [ROLE_DEV_ADMIN], "dev_b"),
]


def _label_to_code(kind: str) -> dict[str, str]:
    return {row[1]: row[0] for row in CODE_TABLES[kind]}


def house_inputs_from_trade(project: dict[str, Any]) -> tuple[list[BuildingInput], list[HouseInput]]:
    """Turn one trading-system project into building and house inputs for 开户."""
    structures = _label_to_code("structure")
    uses = _label_to_code("house_use")
    buildings: list[BuildingInput] = []
    houses: list[HouseInput] = []
    for b in project["buildings"]:
        buildings.append(BuildingInput(
            name=b["name"], structure_code=structures.get(b["structure"], "other"),
            built_ym=b.get("built_ym"), floors=b.get("floors_above"), address=b.get("address"),
            trade_building_code=b["building_code"],
        ))
        for h in b["houses"]:
            houses.append(HouseInput(
                building_name=b["name"], unit=h.get("unit") or "", floor=int(h["floor"]),
                room=str(h["room_no"]), address=h.get("address"),
                building_area=Decimal(h["building_area"]),
                inner_area=Decimal(h["inner_area"]) if h.get("inner_area") else None,
                use_code=uses.get(h["use"], "other"), has_lift=b.get("lift") == "有",
                sales_status=h.get("sales_status") or "未售",
                price=Decimal(h["price"]) if h.get("price") else None,
                trade_house_code=h["house_code"], origin=h["house_code"],
            ))
    return buildings, houses


def load_demo(session: Session, sm: Any, password: str) -> list[str]:
    """Create what is missing; returns lines describing what was created."""
    from tradesim.seed import seed_dataset

    report: list[str] = []
    seed_reference_data(session)
    data = seed_dataset()
    orgs: dict[str, Organisation] = {}
    for dev in data["developers"]:
        if not dev.get("registered_in_platform"):
            continue
        org = session.scalar(select(Organisation).where(Organisation.uscc == dev["uscc"]))
        if org is None:
            details = ORG_DETAILS[dev["key"]]
            with unit_of_work(session):
                org = Organisation(name=dev["name"], uscc=dev["uscc"],
                                   district_code=dev["district_code"], legal_rep_id_type="01",
                                   agreement_accepted_at=dt.datetime(2026, 1, 5), **details)
                session.add(org)
            report.append(f"organisation {org.name}")
        orgs[dev["key"]] = org

    for username, last, first, role_names, org_key in DEMO_USERS:
        if sm.find_user(username=username):
            continue
        roles = [sm.find_role(name) for name in role_names]
        if None in roles:
            raise RuntimeError("roles missing: run `flask security sync` first")
        with unit_of_work(session):
            # FAB's add_user commits the user by itself; the organisation link is the second step.
            user = sm.add_user(username, first, last, f"{username}@demo.jiangmen.invalid", roles,
                               password=password)
            if org_key:
                user.org_id = orgs[org_key].id
                user.phone = ORG_DETAILS[org_key]["phone"]
                user.id_type, user.id_no = "01", DEMO_ID_NUMBERS[username]
        report.append(f"user {username} ({', '.join(role_names)})")

    book = StandardBook.load(session)
    by_uscc = {org.uscc: org for org in orgs.values()}
    for project in data["projects"]:
        org = by_uscc.get(project["developer_uscc"])
        if org is None or not project.get("collected_in_platform"):
            continue
        exists = session.scalar(select(PropertyArea).where(PropertyArea.org_id == org.id,
                                                           PropertyArea.name == project["name"]))
        if exists:
            continue
        with unit_of_work(session):
            area = PropertyArea(org_id=org.id, name=project["name"], code="pending",
                                district_code=project["district_code"], address=project["address"],
                                project_name=project["name"],
                                presale_permit_no=project.get("presale_permit_no"),
                                trade_project_ids=project["project_id"])
            session.add(area)
            session.flush()
            area.code = area_code(area)
            claim_projects(session, area, [project["project_id"]])
            buildings, houses = house_inputs_from_trade(project)
            open_houses(session, area, buildings, houses, book, source=SOURCE_TRADE,
                        deposit_time_point=dt.date(2026, 1, 1), on=dt.date(2026, 1, 1))
        report.append(f"property area {area.name}: {len(buildings)} buildings, {len(houses)} houses")
    return report
