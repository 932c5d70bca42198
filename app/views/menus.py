"""Menu categories, created in the order the manual presents them."""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

CATEGORY_ORGANISATION = "Organisation Management"   # 机构管理
CATEGORY_PROPERTY = "Property Management"           # 物业区域管理
CATEGORY_PAYMENT = "Payment Management"             # 交款管理
CATEGORY_FUND_OFFICE = "Fund Office"                # 维修资金管理部门
CATEGORY_BANK = "Bank"                              # 专户银行
CATEGORY_REPORTS = "Reports"                        # 统计报表

_CATEGORIES = [
    (CATEGORY_ORGANISATION, "fa-building", _l("Organisation Management")),
    (CATEGORY_PROPERTY, "fa-city", _l("Property Management")),
    (CATEGORY_PAYMENT, "fa-money-bill", _l("Payment Management")),
    (CATEGORY_FUND_OFFICE, "fa-landmark", _l("Fund Office")),
    (CATEGORY_BANK, "fa-university", _l("Special-account bank")),
    (CATEGORY_REPORTS, "fa-chart-bar", _l("Reports")),
]


#: FAB's own category (users, roles), created before ours; the manual's menus come first.
FAB_SECURITY_CATEGORY = "Security"


def create_categories(appbuilder: AppBuilder) -> None:
    for name, icon, label in _CATEGORIES:
        if appbuilder.menu.find(name) is None:
            appbuilder.menu.add_category(name, icon=icon, label=label)
    items = appbuilder.menu.get_list()
    security = [item for item in items if item.name == FAB_SECURITY_CATEGORY]
    items[:] = [item for item in items if item.name != FAB_SECURITY_CATEGORY] + security
