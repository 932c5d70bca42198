"""开发商注册 (§1.1): a developer registers its organisation and gets its Developer Admin account.

Everything is validated first (organisation, account, agreement, every 要件); only then are the
files written and the rows added, in one transaction. If the commit fails the files are removed,
so a failed registration leaves nothing behind.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, cast

from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.validators import ID_TYPE_RESIDENT_ID, normalise_text
from app.errors import Problem, ValidationFailed
from app.models.base import utcnow
from app.models.organisation import Organisation
from app.security.models import PlatformUser
from app.security.roles import ROLE_DEV_ADMIN
from app.services import audit
from app.services.attachments import (UploadedFile, attachment_file_path, remove_stored_files,
                                      store_attachment, validate_upload)
from app.services.org_users import (NO_EMAIL_DOMAIN, PasswordHashing, email_problems,
                                    password_problems, split_person_name, username_problems)
from app.services.organisation import ORG_FIELD_LABELS, normalise_org_value, org_field_problems
from app.services.reference import REGISTRATION_ATTACHMENTS
from app.services.unit_of_work import unit_of_work


@dataclass
class RegistrationInput:
    """The registration form as plain values (files travel separately)."""

    name: str = ""
    uscc: str = ""
    legal_rep: str = ""
    legal_rep_id_no: str = ""
    contact: str = ""
    phone: str = ""
    address: str = ""
    district_code: str = ""
    email: str = ""
    username: str = ""
    password: str = ""
    password_confirm: str = ""
    agreement_accepted: bool = False

    def org_values(self) -> dict[str, str]:
        return {field: normalise_org_value(field, getattr(self, field)) for field in ORG_FIELD_LABELS}


def _problems(session: Session, data: RegistrationInput, values: dict[str, str], username: str,
              files: Mapping[str, Optional[UploadedFile]], max_mb: int) -> list[Problem]:
    problems = org_field_problems(session, values)
    problems += username_problems(session, username)
    problems += password_problems(data.password, data.password_confirm, username=username)
    if not any(p.field == "email" for p in problems):
        problems += email_problems(session, values["email"])
    if not data.agreement_accepted:
        problems.append(Problem("agreement", _l("Please read and accept the organisation "
                                                "registration agreement.")))
    for kind in REGISTRATION_ATTACHMENTS:
        upload = files.get(kind)
        problem = (validate_upload(upload.filename, upload.data, max_mb=max_mb, field=kind)
                   if upload is not None else Problem(kind, _l("Please choose a file.")))
        if problem is not None:
            problems.append(problem)
    return problems


def register_developer(session: Session, data: RegistrationInput,
                       files: Mapping[str, Optional[UploadedFile]], *,
                       upload_folder: str | os.PathLike[str], max_mb: int,
                       hashing: PasswordHashing = PasswordHashing()) -> Organisation:
    """Create the organisation, its Developer Admin (who can log in at once) and its 要件.

    ``files`` maps each kind of REGISTRATION_ATTACHMENTS to the uploaded file. Raises
    ValidationFailed listing every problem by field (the kind, for a file) and stores nothing then.
    """
    values = data.org_values()
    username = normalise_text(data.username)
    problems = _problems(session, data, values, username, files, max_mb)
    if problems:
        raise ValidationFailed(problems=problems)
    role = session.scalar(select(Role).where(Role.name == ROLE_DEV_ADMIN))
    if role is None:
        raise RuntimeError("role Developer Admin missing: run `flask security sync`")

    written: list[Path] = []
    try:
        with unit_of_work(session):
            org = Organisation(**{**values, "email": values["email"] or None},
                               legal_rep_id_type=ID_TYPE_RESIDENT_ID, agreement_accepted_at=utcnow())
            session.add(org)
            session.flush()
            last, first = split_person_name(values["contact"])
            user = PlatformUser(username=username, first_name=first, last_name=last, active=True,
                                email=values["email"] or f"{username.lower()}@{NO_EMAIL_DOMAIN}",
                                password=hashing.hash(data.password), org_id=org.id,
                                phone=values["phone"], roles=[role])
            session.add(user)
            session.flush()
            for kind in REGISTRATION_ATTACHMENTS:
                upload = cast(UploadedFile, files[kind])  # validated above
                att = store_attachment(session, org_id=org.id, kind=kind, filename=upload.filename,
                                       data=upload.data, upload_folder=upload_folder, user_id=user.id)
                written.append(attachment_file_path(att, upload_folder))
            audit.record(session, "org.register", "organisation", org.id, user_id=user.id,
                         org_id=org.id, detail={"name": org.name, "uscc": org.uscc,
                                                "username": user.username})
    except IntegrityError:
        # Someone registered the same organisation or user name a moment ago.
        remove_stored_files(written)
        raise ValidationFailed(_l("This organisation or user name was registered just now. "
                                  "Please check and try again."),
                               _problems(session, data, values, username, files, max_mb)) from None
    except BaseException:
        remove_stored_files(written)
        raise
    return org
