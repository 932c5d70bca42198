"""The simulator's demo data, shared with the platform's demo loader.

``seed_dataset()`` is pure and deterministic: the same call always returns the same dicts, so the
platform can create the property areas it has "already collected" from exactly the houses the
simulator serves.

Codes (all digits, documented in docs/trading.md):

- project id:    ``P`` + district (6) + project seq (2)              e.g. ``P44070301``
- building code: district (6) + project seq (2) + building seq (2)   e.g. ``4407030102``
- house code:    building code + unit (2) + floor (3) + room (3)     e.g. ``440703010201015002``
  unit ``00`` means "no unit" (shops, garages); floor ``9nn`` means basement level ``nn``.
- contract no:   ``JM`` + year + ``YS`` + 6-digit sequence           e.g. ``JM2026YS000123``
"""
from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")

USE_RESIDENTIAL = "住宅"
USE_SHOP = "商业"
USE_OFFICE = "办公"
USE_GARAGE = "车库/车位"
USE_OTHER = "其他非住宅"
USES = (USE_RESIDENTIAL, USE_SHOP, USE_OFFICE, USE_GARAGE, USE_OTHER)

STRUCTURES = ("钢结构", "钢筋混凝土结构", "混合结构", "砖木结构", "其他")
LIFTS = ("有", "无")
UNSOLD, SOLD, SIGNED, FILED = "未售", "已售", "已网签", "已备案"
SALES_STATUSES = (UNSOLD, SOLD, SIGNED, FILED)
ID_TYPE_RESIDENT = "居民身份证"

DEVELOPER_A = {
    "key": "dev_a",
    "uscc": "91440703MA4UJ7K26E",
    "name": "江门市华信置业有限公司",
    "district_code": "440703",
    "district_name": "蓬江区",
    "registered_in_platform": True,
}
DEVELOPER_B = {
    "key": "dev_b",
    "uscc": "91440705MA51Q8R367",
    "name": "江门市锦江房地产开发有限公司",
    "district_code": "440705",
    "district_name": "新会区",
    "registered_in_platform": True,
}
DEVELOPER_C = {
    "key": "dev_c",
    "uscc": "91440781MA53C2T672",
    "name": "台山市海湾置业有限公司",
    "district_code": "440781",
    "district_name": "台山市",
    "registered_in_platform": False,
}
DEVELOPERS = (DEVELOPER_A, DEVELOPER_B, DEVELOPER_C)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_BIRTH_REGIONS = ("440703", "440704", "440705", "440781", "440783", "440784", "440785",
                  "440106", "440304", "445102")
_SURNAMES = "陈李黄张梁林刘吴何王杨谭郑冯赵周余甄关区伍邓"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文辉建国志宏嘉欣颖俊锦荣"


def resident_id_check_digit(body17: str) -> str:
    """Return the GB 11643 check character of the first 17 digits of a resident ID number."""
    total = sum(int(ch) * w for ch, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(number: str) -> bool:
    """Return True if ``number`` is 18 characters with a valid birth date and check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return resident_id_check_digit(number[:17]) == number[17].upper()


@dataclass(frozen=True)
class _BuildingPlan:
    name: str
    kind: str            # "residential", "shops", "garage", "commercial"
    floors: int          # above ground (garage: levels below ground)
    units: int = 1
    rooms: int = 2       # per unit per floor (shops/garage: per floor)
    lift: bool = True
    structure: str = "钢筋混凝土结构"
    built_ym: str = "2025-12"


@dataclass(frozen=True)
class _ProjectPlan:
    developer: dict[str, Any]
    seq: int
    name: str
    address: str
    permit: str
    collected: bool
    price_per_m2: int
    signed_share: float     # share of sellable houses with a signed contract
    buildings: tuple[_BuildingPlan, ...]


_RES_AREAS = (Decimal("128.56"), Decimal("98.32"), Decimal("89.47"), Decimal("112.15"))

_PROJECTS = (
    _ProjectPlan(DEVELOPER_A, 1, "华信·翠苑", "江门市蓬江区华信路88号", "江房预售字(2025)第0118号",
                 True, 12600, 0.45, (
                     _BuildingPlan("1栋", "residential", 18, units=2, rooms=2),
                     _BuildingPlan("2栋", "residential", 18, units=2, rooms=2),
                     _BuildingPlan("3栋", "residential", 6, units=2, rooms=2, lift=False,
                                   structure="混合结构"),
                     _BuildingPlan("商业楼", "shops", 2, rooms=10, lift=False),
                     _BuildingPlan("地下车库", "garage", 1, rooms=60, lift=False),
                 )),
    _ProjectPlan(DEVELOPER_A, 2, "华信·江畔花园", "江门市蓬江区滨江大道168号", "江房预售字(2026)第0032号",
                 False, 13800, 0.2, (
                     _BuildingPlan("1栋", "residential", 33, units=4, rooms=2, built_ym="2026-06"),
                     _BuildingPlan("2栋", "residential", 33, units=4, rooms=2, built_ym="2026-06"),
                     _BuildingPlan("3栋", "residential", 33, units=4, rooms=2, built_ym="2026-06"),
                     _BuildingPlan("4栋", "residential", 33, units=4, rooms=2, built_ym="2026-06"),
                     _BuildingPlan("5栋", "residential", 32, units=3, rooms=2, built_ym="2026-09"),
                     _BuildingPlan("6栋", "residential", 32, units=3, rooms=2, built_ym="2026-09"),
                     _BuildingPlan("7栋", "residential", 31, units=2, rooms=2, built_ym="2026-09"),
                     _BuildingPlan("8栋", "residential", 31, units=2, rooms=2, built_ym="2026-09"),
                     _BuildingPlan("商业街", "shops", 2, rooms=20, lift=False, built_ym="2026-06"),
                     _BuildingPlan("地下车库", "garage", 2, rooms=200, built_ym="2026-06"),
                 )),
    _ProjectPlan(DEVELOPER_A, 3, "华信·商业中心", "江门市蓬江区建设三路21号", "江房预售字(2025)第0207号",
                 False, 15200, 0.3, (
                     _BuildingPlan("A座", "commercial", 5, rooms=10, structure="钢结构"),
                 )),
    _ProjectPlan(DEVELOPER_B, 1, "锦江·新城豪庭", "江门市新会区会城今古洲路9号", "新房预售字(2025)第0056号",
                 True, 9600, 0.4, (
                     _BuildingPlan("1座", "residential", 11, units=2, rooms=3, built_ym="2025-08"),
                     _BuildingPlan("2座", "residential", 11, units=2, rooms=3, built_ym="2025-08"),
                     _BuildingPlan("临街商铺", "shops", 1, rooms=8, lift=False, built_ym="2025-08"),
                     _BuildingPlan("车库", "garage", 1, rooms=12, lift=False, built_ym="2025-08"),
                 )),
    _ProjectPlan(DEVELOPER_B, 2, "锦江·御景湾", "江门市新会区圭峰西路66号", "新房预售字(2026)第0011号",
                 False, 10200, 0.25, (
                     _BuildingPlan("1座", "residential", 15, units=2, rooms=2, built_ym="2026-10"),
                     _BuildingPlan("2座", "residential", 15, units=2, rooms=2, built_ym="2026-10"),
                     _BuildingPlan("3座", "residential", 15, units=2, rooms=2, built_ym="2026-10"),
                     _BuildingPlan("地下车库", "garage", 1, rooms=50, built_ym="2026-10"),
                 )),
    _ProjectPlan(DEVELOPER_C, 1, "海湾·金沙苑", "台山市台城环北大道123号", "台房预售字(2026)第0008号",
                 False, 7200, 0.3, (
                     _BuildingPlan("1幢", "residential", 7, units=2, rooms=2, lift=False,
                                   structure="混合结构", built_ym="2026-03"),
                     _BuildingPlan("2幢", "residential", 7, units=2, rooms=2, lift=False,
                                   structure="混合结构", built_ym="2026-03"),
                     _BuildingPlan("商铺", "shops", 1, rooms=6, lift=False, structure="砖木结构",
                                   built_ym="2026-03"),
                 )),
)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _inner(area: Decimal, ratio: str) -> str:
    return _money(area * Decimal(ratio))


class _Builder:
    """Accumulates the dataset; one instance per ``seed_dataset()`` call, so nothing leaks."""

    def __init__(self) -> None:
        self.contract_seq = 0
        self.contracts: list[dict[str, Any]] = []

    def project(self, plan: _ProjectPlan) -> dict[str, Any]:
        district = plan.developer["district_code"]
        project_code = f"{district}{plan.seq:02d}"
        rng = random.Random(zlib.crc32(project_code.encode()))
        buildings = [self.building(plan, b_seq, b, project_code, rng)
                     for b_seq, b in enumerate(plan.buildings, start=1)]
        return {
            "project_id": f"P{project_code}",
            "developer_uscc": plan.developer["uscc"],
            "developer_name": plan.developer["name"],
            "name": plan.name,
            "address": plan.address,
            "district_code": district,
            "presale_permit_no": plan.permit,
            "collected_in_platform": plan.collected,
            "buildings": buildings,
        }

    def building(self, plan: _ProjectPlan, b_seq: int, b: _BuildingPlan, project_code: str,
                 rng: random.Random) -> dict[str, Any]:
        code = f"{project_code}{b_seq:02d}"
        address = f"{plan.address}{plan.name}{b.name}"
        houses = list(self.houses(plan, b, code, address, rng))
        return {
            "building_code": code,
            "name": b.name,
            "address": address,
            "structure": b.structure,
            "floors_above": 0 if b.kind == "garage" else b.floors,
            "floors_below": b.floors if b.kind == "garage" else 0,
            "lift": "有" if b.lift else "无",
            "unit_count": b.units if b.kind == "residential" else 0,
            "built_ym": b.built_ym,
            "houses": houses,
        }

    def houses(self, plan: _ProjectPlan, b: _BuildingPlan, code: str, address: str,
               rng: random.Random):
        if b.kind == "residential":
            for unit in range(1, b.units + 1):
                for floor in range(1, b.floors + 1):
                    for room in range(1, b.rooms + 1):
                        area = _RES_AREAS[(unit - 1 + room - 1) % len(_RES_AREAS)]
                        room_no = f"{floor}{room:02d}"
                        yield self.house(
                            plan, rng, f"{code}{unit:02d}{floor:03d}{room:03d}", str(unit), floor,
                            room_no, f"{address}{unit}单元{room_no}房", area, "0.80",
                            USE_RESIDENTIAL, plan.price_per_m2 + 40 * floor)
        elif b.kind == "garage":
            for level in range(1, b.floors + 1):
                for spot in range(1, b.rooms + 1):
                    area = Decimal("15.60") if spot % 10 == 0 else Decimal("13.20")
                    room_no = f"B{level}-{spot:03d}"
                    yield self.house(
                        plan, rng, f"{code}00{900 + level:03d}{spot:03d}", "", -level, room_no,
                        f"{address}{room_no}号车位", area, "1.00", USE_GARAGE, None,
                        whole_price=Decimal(120000 + 10000 * (spot % 4)))
        else:
            for floor in range(1, b.floors + 1):
                for room in range(1, b.rooms + 1):
                    use = self.commercial_use(b.kind, floor, room)
                    area = Decimal("38.50") + Decimal("8.35") * ((room * 7 + floor) % 11)
                    room_no = f"{floor}{room:02d}"
                    factor = 2.2 if use == USE_SHOP else 1.0
                    yield self.house(
                        plan, rng, f"{code}00{floor:03d}{room:03d}", "", floor, room_no,
                        f"{address}{room_no}号", area, "0.85", use,
                        int(plan.price_per_m2 * factor))

    @staticmethod
    def commercial_use(kind: str, floor: int, room: int) -> str:
        if kind == "shops":
            return USE_SHOP
        if floor <= 2:
            return USE_OTHER if floor == 1 and room == 10 else USE_SHOP
        return USE_OFFICE

    def house(self, plan: _ProjectPlan, rng: random.Random, house_code: str, unit: str,
              floor: int, room_no: str, address: str, area: Decimal, inner_ratio: str, use: str,
              price_per_m2: int | None, *, whole_price: Decimal | None = None) -> dict[str, Any]:
        price = whole_price if whole_price is not None else area * Decimal(price_per_m2 or 0)
        roll = rng.random()
        if roll < plan.signed_share:
            status = SIGNED
        elif roll < plan.signed_share + 0.1:
            status = SOLD
        else:
            status = UNSOLD
        if status == SIGNED:
            self.contract(rng, house_code, plan, _money(price))
        return {
            "house_code": house_code,
            "building_code": house_code[:10],
            "unit": unit,
            "floor": floor,
            "room_no": room_no,
            "address": address,
            "building_area": _money(area),
            "inner_area": _inner(area, inner_ratio),
            "use": use,
            "sales_status": status,
            "price": _money(price),
        }

    def contract(self, rng: random.Random, house_code: str, plan: _ProjectPlan, price: str) -> None:
        self.contract_seq += 1
        signed_on = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(300))
        buyers = [self.person(rng) for _ in range(2 if rng.random() < 0.3 else 1)]
        self.contracts.append({
            "contract_no": f"JM{signed_on.year}YS{self.contract_seq:06d}",
            "house_code": house_code,
            "project_id": f"P{plan.developer['district_code']}{plan.seq:02d}",
            "status": SIGNED,
            "signed_on": signed_on.isoformat(),
            "total_price": price,
            "buyers": buyers,
        })

    @staticmethod
    def person(rng: random.Random) -> dict[str, str]:
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))
        body = f"{rng.choice(_BIRTH_REGIONS)}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
        return {
            "name": name,
            "id_type": ID_TYPE_RESIDENT,
            "id_number": body + resident_id_check_digit(body),
            "phone": f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
        }


def seed_dataset() -> dict[str, Any]:
    """Return the demo developers, their projects (buildings → houses) and signed contracts.

    Shape::

        {"developers": [{key, uscc, name, district_code, district_name, registered_in_platform}],
         "projects": [{project_id, developer_uscc, developer_name, name, address, district_code,
                       presale_permit_no, collected_in_platform,
                       buildings: [{building_code, name, address, structure, floors_above,
                                    floors_below, lift, unit_count, built_ym,
                                    houses: [{house_code, building_code, unit, floor, room_no,
                                              address, building_area, inner_area, use,
                                              sales_status, price}]}]}],
         "contracts": [{contract_no, house_code, project_id, status, signed_on, total_price,
                        buyers: [{name, id_type, id_number, phone}]}]}

    Amounts and areas are strings with two decimals. Every house with sales status 已网签 has
    exactly one contract. ``collected_in_platform`` marks the projects the platform's demo data
    already holds as property areas.
    """
    builder = _Builder()
    projects = [builder.project(plan) for plan in _PROJECTS]
    return {
        "developers": [dict(d) for d in DEVELOPERS],
        "projects": projects,
        "contracts": builder.contracts,
    }
