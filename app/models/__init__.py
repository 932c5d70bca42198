"""All models, imported so that Alembic and the app see the whole metadata."""
from app.models.audit import AuditLog  # noqa: F401
from app.models.codes import CodeItem  # noqa: F401
from app.models.ledger import LedgerEntry  # noqa: F401
from app.models.totals import AreaTotals, BuildingTotals  # noqa: F401
from app.models.order import (Attachment, BusinessOrder, OrderHistory, OrderJob,  # noqa: F401
                              OrderLine)
from app.models.organisation import Organisation, OrganisationChange  # noqa: F401
from app.models.outbox import OutboxMessage  # noqa: F401
from app.models.payment import Notice, NoticeLine, NoticeSequence, Refund  # noqa: F401
from app.models.property import AreaTradeProject, Building, House, Owner, PropertyArea  # noqa: F401
from app.models.reconciliation import BankStatement, ReconItem, StatementLine  # noqa: F401
from app.models.reversal import PaymentReversal  # noqa: F401
from app.models.standard import DepositStandard, RenewThreshold  # noqa: F401
from app.security.models import AuthSession, PlatformUser, user_area  # noqa: F401
