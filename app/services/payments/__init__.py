"""交款管理: payment notices (notices.py), their printables (documents.py), bank confirmation
(confirm.py) and the 续筹 amounts sheet (renew_sheet.py).

Rules every entry point keeps: a house is on at most one unpaid notice (printing it again voids
the old one), a notice is paid once (idempotent by bank serial number), and only a confirmation
writes ledger rows.
"""
from app.services.payments.confirm import ConfirmResult, confirm_payment
from app.services.payments.notices import (IssueResult, allocate_notice_numbers,
                                           issue_building_notices, issue_custom_notices,
                                           issue_owner_notices, preview_buildings, reissue_notice,
                                           void_notice)

__all__ = [
    "ConfirmResult", "IssueResult", "allocate_notice_numbers", "confirm_payment",
    "issue_building_notices", "issue_custom_notices", "issue_owner_notices", "preview_buildings",
    "reissue_notice", "void_notice",
]
