"""Reference data every installation starts with: code tables and example deposit standards."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.codes import (KIND_ATTACHMENT, KIND_DISTRICT, KIND_HOUSE_USE, KIND_ID_TYPE,
                              KIND_PAYMENT_TYPE, KIND_SALES_STATUS, KIND_STRUCTURE, CodeItem)
from app.models.standard import BASIS_AREA, BASIS_PRICE, DepositStandard, RenewThreshold
from app.services.unit_of_work import transaction

# (code, 中文, English[, residential])
CODE_TABLES: dict[str, list[tuple]] = {
    KIND_DISTRICT: [
        ("440703", "蓬江区", "Pengjiang District"), ("440704", "江海区", "Jianghai District"),
        ("440705", "新会区", "Xinhui District"), ("440781", "台山市", "Taishan City"),
        ("440783", "开平市", "Kaiping City"), ("440784", "鹤山市", "Heshan City"),
        ("440785", "恩平市", "Enping City"),
    ],
    KIND_STRUCTURE: [
        ("steel", "钢结构", "Steel"), ("rc", "钢筋混凝土结构", "Reinforced concrete"),
        ("mixed", "混合结构", "Mixed (brick-concrete)"), ("brick_wood", "砖木结构", "Brick and wood"),
        ("other", "其他", "Other"),
    ],
    KIND_HOUSE_USE: [
        ("residential", "住宅", "Residential", True), ("commercial", "商业", "Commercial", False),
        ("office", "办公", "Office", False), ("garage", "车库/车位", "Garage / parking space", False),
        ("other", "其他非住宅", "Other non-residential", False),
    ],
    KIND_ID_TYPE: [
        ("01", "居民身份证", "Resident ID card"), ("02", "护照", "Passport"),
        ("03", "港澳居民来往内地通行证", "Mainland travel permit for HK and Macao residents"),
        ("04", "台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
        ("05", "港澳台居民居住证", "Residence permit for HK, Macao and Taiwan residents"),
        ("06", "统一社会信用代码", "Unified social credit code"), ("99", "其他", "Other"),
    ],
    KIND_SALES_STATUS: [
        ("未售", "未售", "Unsold"), ("已售", "已售", "Sold"), ("已网签", "已网签", "Contract signed online"),
        ("已备案", "已备案", "Contract filed"),
    ],
    KIND_PAYMENT_TYPE: [
        ("first", "首期交款", "First deposit"), ("topup", "补交", "Top-up"),
        ("renew", "续筹", "Replenishment"), ("other", "其他", "Other"),
    ],
    KIND_ATTACHMENT: [
        ("business_license", "营业执照", "Business licence"),
        ("legal_rep_id", "法定代表人身份证明", "Legal representative's ID"),
        ("authorisation", "授权委托书", "Letter of authorisation"),
        ("qualification", "房地产开发资质证书", "Real-estate development qualification"),
        ("presale_permit", "商品房预售许可证", "Pre-sale permit"),
        ("survey_report", "房屋面积测绘报告", "Area survey report"),
        ("other", "其他要件", "Other documents"),
    ],
}

#: Registration requires these 要件 (§1.1).
REGISTRATION_ATTACHMENTS = ("business_license", "legal_rep_id", "authorisation")

# Examples in the spirit of 建设部财政部令第165号 and Jiangmen's published tiers; the office replaces them.
_EXAMPLE_FROM = dt.date(2020, 1, 1)
EXAMPLE_STANDARDS = [
    ("住宅（无电梯）", "residential", False, None, None, BASIS_AREA, "50"),
    ("住宅（有电梯，6层及以下）", "residential", True, None, 6, BASIS_AREA, "55"),
    ("住宅（有电梯，7层及以上）", "residential", True, 7, None, BASIS_AREA, "90"),
    ("商业（按房价2%）", "commercial", None, None, None, BASIS_PRICE, "0.02"),
    ("办公", "office", None, None, None, BASIS_AREA, "90"),
    ("车库/车位", "garage", None, None, None, BASIS_AREA, "30"),
    ("其他非住宅", "other", None, None, None, BASIS_AREA, "50"),
]


#: 续筹 is due below this share of the first deposit, until the office sets another.
DEFAULT_RENEW_PERCENT = Decimal("30")
DEFAULT_RENEW_FROM = dt.date(2000, 1, 1)


@transaction
def seed_reference_data(session: Session, *, with_example_standards: bool = True) -> int:
    """Insert missing code items and, on an empty standards table, the examples. Returns rows added."""
    added = 0
    existing = {(c.kind, c.code) for c in session.scalars(select(CodeItem))}
    for kind, rows in CODE_TABLES.items():
        for order, row in enumerate(rows):
            code, name, name_en = row[:3]
            if (kind, code) in existing:
                continue
            session.add(CodeItem(kind=kind, code=code, name=name, name_en=name_en, sort_order=order,
                                 residential=bool(row[3]) if len(row) > 3 else False))
            added += 1
    if with_example_standards and session.scalar(select(DepositStandard.id).limit(1)) is None:
        for name, use, lift, min_f, max_f, basis, rate in EXAMPLE_STANDARDS:
            session.add(DepositStandard(
                name=name, use_code=use, has_lift=lift, min_floors=min_f, max_floors=max_f,
                basis=basis, rate=Decimal(rate), effective_from=_EXAMPLE_FROM, is_example=True,
                note="示例标准，请维修资金管理部门按本市现行标准替换",
            ))
            added += 1
    if session.scalar(select(RenewThreshold.id).limit(1)) is None:
        # The manual's rule (migration c0de00000014 seeds the same row): below 30 %.
        session.add(RenewThreshold(percent=DEFAULT_RENEW_PERCENT, effective_from=DEFAULT_RENEW_FROM,
                                   note="默认续筹阈值"))
        added += 1
    return added


def code_map(session: Session, kind: str) -> dict[str, str]:
    """code → 中文 name of one code table, in display order."""
    rows = session.scalars(select(CodeItem).where(CodeItem.kind == kind, CodeItem.active.is_(True))
                           .order_by(CodeItem.sort_order))
    return {row.code: row.name for row in rows}
