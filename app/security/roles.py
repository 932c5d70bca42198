"""Roles and permissions, defined in code and written to the database by ``flask security sync``.

Views and APIs declare ``class_permission_name`` = one of the resources below and map their
methods to the verbs below, so a permission reads as "can_<verb> on <resource>".
"""
from __future__ import annotations

from typing import Iterable

# Roles
ROLE_ADMIN = "Admin"
ROLE_OFFICER = "Fund Officer"
ROLE_TELLER = "Bank Teller"
ROLE_DEV_ADMIN = "Developer Admin"
ROLE_DEV_PROPERTY = "Developer Staff (property)"
ROLE_DEV_PAYMENT = "Developer Staff (payment)"

INTERNAL_ROLES = (ROLE_ADMIN, ROLE_OFFICER, ROLE_TELLER)
DEVELOPER_ROLES = (ROLE_DEV_ADMIN, ROLE_DEV_PROPERTY, ROLE_DEV_PAYMENT)
#: Roles a Developer Admin may grant to its organisation's staff.
GRANTABLE_ROLES = DEVELOPER_ROLES

# Resources (FAB view menus)
RES_ORGANISATION = "Organisation"        # 机构信息 / 信息变更
RES_ORG_USERS = "OrganisationUsers"      # 机构用户管理
RES_ORG_ADMIN = "OrganisationAdmin"      # fund office: all organisations, paper-documents flag
RES_AREA = "PropertyArea"
RES_BUILDING = "Building"
RES_HOUSE = "House"
RES_ORDER = "BusinessOrder"              # developer side of 业务单
RES_REVIEW = "OrderReview"               # fund office review queue
RES_PAYMENT = "Payment"                  # 交款管理 (developer)
RES_NOTICE = "Notice"
RES_BANK = "BankConfirmation"            # teller screen and bank API
RES_REFUND = "Refund"
RES_STANDARD = "DepositStandard"
RES_CODES = "CodeTable"
RES_AUDIT = "AuditLog"
RES_OUTBOX = "TradeOutbox"
RES_REPORTS = "Reports"
RES_ACCOUNT_LOCKS = "AccountLocks"       # accounts locked after failed logins (unlock)
RES_RECONCILE = "BankReconciliation"     # 银行对账 (fund office)
RES_REVERSAL = "PaymentReversal"         # 冲正: request, approve or reject (fund office)

# Verbs
READ = "can_read"
WRITE = "can_write"
SUBMIT = "can_submit"
WITHDRAW = "can_withdraw"
ACCEPT = "can_accept"
APPROVE = "can_approve"
REJECT = "can_reject"
PRINT = "can_print"
EXPORT = "can_export"
CONFIRM = "can_confirm"
RETRY = "can_retry"
REQUEST = "can_request"
#: FAB shows a menu entry (and its category) only to roles with this permission on its name.
MENU_ACCESS = "menu_access"

#: Method-name → verb maps for FAB views and APIs.
MODEL_VIEW_METHODS = {
    "list": "read", "show": "read", "api_read": "read", "api": "read", "api_get": "read",
    "api_column_add": "write", "api_column_edit": "write", "api_readvalues": "read",
    "add": "write", "edit": "write", "delete": "write", "download": "read", "action": "write",
    "action_post": "write", "api_create": "write", "api_update": "write", "api_delete": "write",
}
REST_API_METHODS = {
    "get": "read", "get_list": "read", "info": "read", "put": "write", "post": "write",
    "delete": "write",
}

_DEV_COMMON = [
    (READ, RES_ORGANISATION), (READ, RES_AREA), (READ, RES_BUILDING), (READ, RES_HOUSE),
]
#: The register screens' menu entries (app/views/property.py).
_REGISTER_MENUS = [
    (MENU_ACCESS, "Property Management"), (MENU_ACCESS, "Property areas"),
    (MENU_ACCESS, "Buildings"), (MENU_ACCESS, "Houses"),
]
_DEV_COMMON += _REGISTER_MENUS
_DEV_PROPERTY = [
    (READ, RES_ORDER), (WRITE, RES_ORDER), (SUBMIT, RES_ORDER), (WITHDRAW, RES_ORDER),
    (PRINT, RES_ORDER), (EXPORT, RES_HOUSE),
    # 物业区域管理 menu entries of the order screens (app/views/orders.py); each business's own
    # entry comes from its handler (``permissions_of``)
    (MENU_ACCESS, "Property Management"), (MENU_ACCESS, "My orders"),
    # 房屋合同号设置 (app/views/contracts.py)
    (MENU_ACCESS, "Contract number setting"),
    (MENU_ACCESS, "My refunds"),  # app/views/refunds.py
]
_DEV_PAYMENT = [
    (READ, RES_PAYMENT), (WRITE, RES_PAYMENT), (PRINT, RES_PAYMENT), (READ, RES_NOTICE),
    (PRINT, RES_NOTICE), (EXPORT, RES_HOUSE),
    # 交款管理 menu entries (app/views/payments.py, app/views/notices.py)
    (MENU_ACCESS, "Payment Management"), (MENU_ACCESS, "Developer batch payment"),
    (MENU_ACCESS, "Payment notices for owners"), (MENU_ACCESS, "Custom payment"),
    (MENU_ACCESS, "Payment notices"),
]

#: 统计报表 and the dashboard (app/views/reports.py), for the office and a developer's own figures.
_REPORTS = [
    (READ, RES_REPORTS), (EXPORT, RES_REPORTS), (PRINT, RES_REPORTS), (MENU_ACCESS, "Reports"),
    (MENU_ACCESS, "Dashboard"), (MENU_ACCESS, "Deposit statistics"), (MENU_ACCESS, "Arrears list"),
    (MENU_ACCESS, "Replenishment warnings"), (MENU_ACCESS, "Payment journal"),
    (MENU_ACCESS, "Order statistics"), (MENU_ACCESS, "Refund ledger"),
]

ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    ROLE_OFFICER: [
        (READ, RES_ORG_ADMIN), (WRITE, RES_ORG_ADMIN), (READ, RES_ORGANISATION),
        (READ, RES_AREA), (READ, RES_BUILDING), (READ, RES_HOUSE), (EXPORT, RES_HOUSE),
        (READ, RES_REVIEW), (ACCEPT, RES_REVIEW), (APPROVE, RES_REVIEW), (REJECT, RES_REVIEW),
        (PRINT, RES_REVIEW), (READ, RES_NOTICE), (PRINT, RES_NOTICE), (CONFIRM, RES_BANK),
        (READ, RES_BANK), (PRINT, RES_BANK), (READ, RES_REFUND), (WRITE, RES_REFUND),
        (READ, RES_STANDARD), (WRITE, RES_STANDARD), (READ, RES_CODES), (WRITE, RES_CODES),
        (READ, RES_AUDIT), (READ, RES_OUTBOX), (RETRY, RES_OUTBOX), (READ, RES_REPORTS),
        (EXPORT, RES_REPORTS), (MENU_ACCESS, "Fund Office"), (MENU_ACCESS, "Developers"),
        (MENU_ACCESS, "Order review"), (MENU_ACCESS, "Payment Management"),
        (MENU_ACCESS, "Payment notices"), (MENU_ACCESS, "Bank"), (MENU_ACCESS, "Payment confirmation"),
        *_REGISTER_MENUS,
        # app/views/standards.py, codes.py, audit.py
        (MENU_ACCESS, "Deposit standards"), (MENU_ACCESS, "Code tables"), (MENU_ACCESS, "Audit log"),
        (MENU_ACCESS, "Trading outbox"),  # app/views/outbox.py
        (READ, RES_ACCOUNT_LOCKS), (WRITE, RES_ACCOUNT_LOCKS), (MENU_ACCESS, "Locked accounts"),
        *_REPORTS,
        (READ, RES_RECONCILE), (WRITE, RES_RECONCILE), (MENU_ACCESS, "Bank reconciliation"),
        # 退款管理 (app/views/refunds.py): review, print, record the payout
        (APPROVE, RES_REFUND), (REJECT, RES_REFUND), (PRINT, RES_REFUND), (CONFIRM, RES_REFUND),
        (MENU_ACCESS, "Refunds"),
        # 冲正 (app/views/reversal.py): maker and checker are two officers, checked by the service
        (READ, RES_REVERSAL), (REQUEST, RES_REVERSAL), (APPROVE, RES_REVERSAL),
        (REJECT, RES_REVERSAL), (MENU_ACCESS, "Payment reversals"),
        (MENU_ACCESS, "Replenishment threshold"),  # app/views/standards.py
    ],
    ROLE_TELLER: [(READ, RES_BANK), (CONFIRM, RES_BANK), (PRINT, RES_BANK),
                  (MENU_ACCESS, "Bank"), (MENU_ACCESS, "Payment confirmation")],
    ROLE_DEV_ADMIN: _DEV_COMMON + _DEV_PROPERTY + _DEV_PAYMENT + [
        (WRITE, RES_ORGANISATION), (READ, RES_ORG_USERS), (WRITE, RES_ORG_USERS),
        (MENU_ACCESS, "Organisation Management"), (MENU_ACCESS, "Organisation Info"),
        (MENU_ACCESS, "Organisation Users"), *_REPORTS,
    ],
    ROLE_DEV_PROPERTY: _DEV_COMMON + _DEV_PROPERTY,
    ROLE_DEV_PAYMENT: _DEV_COMMON + _DEV_PAYMENT + _REPORTS,
}

# Several screens may grant the same menu entry to a role; each permission is written once.
ROLE_PERMISSIONS = {role: list(dict.fromkeys(perms)) for role, perms in ROLE_PERMISSIONS.items()}

#: Permissions every logged-in user needs for FAB's own screens (own profile, password, language).
SELF_SERVICE = [
    ("can_this_form_get", "ResetMyPasswordView"), ("can_this_form_post", "ResetMyPasswordView"),
    ("can_userinfo", "PlatformUserDBModelView"), ("resetmypassword", "PlatformUserDBModelView"),
    ("can_this_form_get", "UserInfoEditView"), ("can_this_form_post", "UserInfoEditView"),
    ("userinfoedit", "PlatformUserDBModelView"),
]


def permissions_of(role_name: str) -> list[tuple[str, str]]:
    """The role's permissions: its list above, plus the menu entry of every business (order
    handler) for the roles that may write orders, so a new business needs no edit here."""
    from app.services.orders.types import handlers

    wanted = list(ROLE_PERMISSIONS.get(role_name, []))
    if (WRITE, RES_ORDER) in wanted:
        wanted += [(MENU_ACCESS, h.menu_name) for h in handlers()
                   if (MENU_ACCESS, h.menu_name) not in wanted]
    return wanted


def is_internal_role_name(name: str) -> bool:
    return name in INTERNAL_ROLES


def role_names(roles: Iterable[object]) -> set[str]:
    return {getattr(role, "name", str(role)) for role in roles}
