"""Helpers of the operations tests: an instance with money and documents on it, and a picture of
everything a user could see of it (ledger, balances, notices, orders with history, attachments)."""
from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.codes import KIND_ATTACHMENT
from app.models.ledger import LedgerEntry
from app.models.order import Attachment, BusinessOrder, OrderHistory
from app.models.payment import CHANNEL_BANK, Notice
from app.models.property import House
from app.services.ledger import balances
from app.services.orders import staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, add_attachment, save_draft
from app.services.payments import confirm_payment, issue_building_notices
from app.services.payments.notices import local_today
from app.services.backup.schema import head_revision
from app.services.reference import code_map

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
PDF = b"%PDF-1.4\n% backup test attachment\n%%EOF\n"
OPINION = "Papers complete (backup test)"


def put_money_and_documents(session: Session, demo: Any, upload_folder: str) -> dict[str, Any]:
    """An order with history and an attachment, two issued notices, one of them paid."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    order = save_draft(session, dev, "area_collect", DraftInput(
        agent=AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X"),
        fields={"area": {"name": "备份花园", "district_code": "440703",
                         "address": "江门市蓬江区备份路1号"}, "deposit_time_point": "2026-03-01"}))
    staging.insert_lines(session, order.id, [
        (staging.BUILDING, staging.building_data(name="A座", structure_code="rc", floors=6)),
        (staging.HOUSE, staging.house_data(building="A座", floor=1, room="101", unit="1",
                                           building_area=Decimal("88.50"), use_code="residential",
                                           has_lift=True, source="excel"))])
    session.commit()
    kind = next(iter(code_map(session, KIND_ATTACHMENT)))
    attachment = add_attachment(session, order.id, dev, kind=kind, filename="营业执照.pdf", data=PDF,
                                upload_folder=upload_folder, max_mb=10)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True, opinion=OPINION)
    notices = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices
    paid = notices[0]
    confirm_payment(session, paid.number, "BK-BACKUP-0001", CHANNEL_BANK, local_today(), paid.total,
                    demo.users["teller"].id)
    return {"order_id": order.id, "attachment_id": attachment.id, "paid_notice": paid.number}


def picture(session: Session) -> dict[str, Any]:
    """Everything the checks compare, as plain values."""
    session.expire_all()
    house_ids = list(session.scalars(select(House.id)))
    ledger = [(e.house_id, e.kind, str(e.amount), e.notice_id)
              for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    return {
        "ledger": ledger,
        "ledger_total": str(sum((e.amount for e in session.scalars(select(LedgerEntry))), start=0)),
        "balances": {hid: (str(b.deposited), str(b.balance))
                     for hid, b in balances(session, house_ids).items()},
        "notices": {n.number: (n.status, str(n.total), n.bank_serial)
                    for n in session.scalars(select(Notice))},
        "orders": {o.number: (o.status, o.type) for o in session.scalars(select(BusinessOrder))},
        "history": [(h.order_id, h.from_status, h.to_status, h.opinion)
                    for h in session.scalars(select(OrderHistory).order_by(OrderHistory.id))],
        "attachments": {a.id: (a.stored_name, a.sha256) for a in session.scalars(select(Attachment))},
    }


def file_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fresh_database_url(database: Any, name: str, tmp_path: Path) -> str:
    """An empty database of the run's kind: a new PostgreSQL database or a new SQLite file."""
    if database.postgres:
        database._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        return database.admin_url.set(database=name).render_as_string(hide_password=False)
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'platform.sqlite'}"


def drop_database(database: Any, name: str) -> None:
    if database.postgres:
        database._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PROBE_REVISION = "c0de0000feed"
_PROBE_SOURCE = '''"""ops tests: a revision after the project's head (a table and a column)"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("ops_upgrade_probe", sa.Column("id", sa.Integer(), primary_key=True))
    # Not house or ledger_entry: on SQLite, rebuilding either must drop and recreate the totals
    # triggers around it (migration c0de0000001c), a chore of that revision and not of this probe.
    with op.batch_alter_table("owner") as batch:
        batch.add_column(sa.Column("ops_probe_note", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("owner") as batch:
        batch.drop_column("ops_probe_note")
    op.drop_table("ops_upgrade_probe")
'''


def migrations_with_probe(tmp_path: Path) -> Path:
    """A copy of the project's migrations with one more revision on top: code "newer" than the
    project, so the project's head becomes a previous head."""
    folder = tmp_path / "migrations-with-probe"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / f"{PROBE_REVISION}_ops_probe.py").write_text(
        _PROBE_SOURCE.format(revision=PROBE_REVISION, head=head_revision(MIGRATIONS)))
    return folder
