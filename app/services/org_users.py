"""机构用户管理 (§1.2.2): a Developer Admin manages the accounts of its own organisation.

The rules live here, not in the screens: only users of the organisation (anything else is "not
found"), only developer roles may be granted, areas only of the organisation, and the organisation
always keeps at least one active Developer Admin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from app.domain.validators import (ID_TYPE_RESIDENT_ID, ID_TYPES, normalise_id_number,
                                   normalise_phone, normalise_text, validate_id_number,
                                   validate_mobile, validate_person_name)
from app.errors import NotFound, PermissionDenied, Problem, ValidationFailed
from app.models.property import PropertyArea
from app.security.models import PlatformUser
from app.security.passwords import password_problem
from app.security.roles import GRANTABLE_ROLES, ROLE_DEV_ADMIN
from app.services import audit
from app.services.unit_of_work import transaction

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}\Z")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
EMAIL_MAX = 120
#: Users without an e-mail get a unique address that can never receive mail (FAB needs one).
NO_EMAIL_DOMAIN = "users.jiangmen.invalid"
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                      "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "西门", "南宫", "呼延")


@dataclass
class OrgUserInput:
    """What the add/modify form sends. ``username`` and the password are ignored on modify when empty."""

    name: str = ""
    phone: str = ""
    roles: Sequence[str] = ()
    username: str = ""
    id_type: str = ""
    id_no: str = ""
    email: str = ""
    area_ids: Sequence[int] = field(default_factory=tuple)
    password: str = ""
    password_confirm: str = ""


# --- small shared helpers (registration uses them too) ---------------------------------------

@dataclass(frozen=True)
class PasswordHashing:
    """How passwords are hashed: as FAB does (same settings), so FAB's login checks them."""

    method: str = "scrypt"
    salt_length: int = 16

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "PasswordHashing":
        return cls(method=config.get("FAB_PASSWORD_HASH_METHOD", cls.method),
                   salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", cls.salt_length))

    def hash(self, password: str) -> str:
        return generate_password_hash(password, method=self.method, salt_length=self.salt_length)


def split_person_name(name: str) -> tuple[str, str]:
    """(last name, first name) as FAB stores them: 欧阳明华 → (欧阳, 明华); Anna Lee → (Lee, Anna)."""
    name = normalise_text(name)
    if " " in name:
        first, _, last = name.rpartition(" ")
        return last, first
    surname_len = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:surname_len], name[surname_len:]


def person_name(user: PlatformUser) -> str:
    """The name as people write it: 李敏, or Anna Lee for a Latin-script name."""
    first, last = user.first_name or "", user.last_name or ""
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"


def username_taken(session: Session, username: str, *, except_id: Optional[int] = None) -> bool:
    query = select(PlatformUser.id).where(func.lower(PlatformUser.username) == username.lower())
    if except_id is not None:
        query = query.where(PlatformUser.id != except_id)
    return session.scalar(query.limit(1)) is not None


def email_taken(session: Session, email: str, *, except_id: Optional[int] = None) -> bool:
    query = select(PlatformUser.id).where(func.lower(PlatformUser.email) == email.lower())
    if except_id is not None:
        query = query.where(PlatformUser.id != except_id)
    return session.scalar(query.limit(1)) is not None


def username_problems(session: Session, username: str, field_name: str = "username") -> list[Problem]:
    if not username:
        return [Problem(field_name, _l("Please enter a user name."))]
    if not USERNAME_RE.match(username):
        return [Problem(field_name, _l("The user name must be 3 to 64 letters, digits or _ . @ -, "
                                       "starting with a letter or digit."))]
    if username_taken(session, username):
        return [Problem(field_name, _l("The user name %(name)s is already taken.", name=username))]
    return []


def password_problems(password: str, confirm: str, *, username: str = "",
                      field_name: str = "password") -> list[Problem]:
    problem = password_problem(password, username)
    if problem:
        return [Problem(field_name, problem)]
    if password != confirm:
        return [Problem(f"{field_name}_confirm", _l("The two passwords do not match."))]
    return []


def email_problems(session: Session, email: str, *, except_id: Optional[int] = None,
                   field_name: str = "email") -> list[Problem]:
    if not email:
        return []
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        return [Problem(field_name, _l("Please enter a valid e-mail address."))]
    if email_taken(session, email, except_id=except_id):
        return [Problem(field_name, _l("This e-mail address is already used by another account."))]
    return []


def find_roles(session: Session, names: Sequence[str]) -> list[Role]:
    return list(session.scalars(select(Role).where(Role.name.in_(list(names))).order_by(Role.name)))


def grantable_roles(session: Session) -> list[Role]:
    """The roles a Developer Admin may give, in the order of GRANTABLE_ROLES."""
    by_name = {role.name: role for role in find_roles(session, GRANTABLE_ROLES)}
    return [by_name[name] for name in GRANTABLE_ROLES if name in by_name]


# --- queries ----------------------------------------------------------------------------------

def list_org_users(session: Session, org_id: int) -> list[PlatformUser]:
    """The organisation's users with their roles and areas (one query each, not one per user)."""
    return list(session.scalars(select(PlatformUser).where(PlatformUser.org_id == org_id)
                                .options(selectinload(PlatformUser.roles), selectinload(PlatformUser.areas))
                                .order_by(PlatformUser.active.desc(), PlatformUser.username)))


def get_org_user(session: Session, org_id: Optional[int], user_id: object) -> PlatformUser:
    """The user ``user_id`` of organisation ``org_id``; NotFound for anyone else's (or no one)."""
    try:
        ident = int(user_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NotFound() from None
    user = session.get(PlatformUser, ident)
    if user is None or org_id is None or user.org_id != org_id:
        raise NotFound()
    return user


def org_areas(session: Session, org_id: int) -> list[PropertyArea]:
    return list(session.scalars(select(PropertyArea).where(PropertyArea.org_id == org_id)
                                .order_by(PropertyArea.name)))


# --- commands ---------------------------------------------------------------------------------

def _check_actor(session: Session, org_id: int, actor_id: int) -> None:
    actor = session.get(PlatformUser, actor_id)
    if actor is None or not actor.active or actor.org_id != org_id:
        raise PermissionDenied()


def _profile_problems(session: Session, org_id: int, data: OrgUserInput,
                      *, except_id: Optional[int]) -> tuple[list[Problem], list[Role], list[PropertyArea]]:
    """Problems with the fields add and modify share, plus the resolved roles and areas."""
    problems: list[Problem] = []
    name_problem = validate_person_name(data.name)
    if name_problem:
        problems.append(Problem("name", name_problem))
    phone_problem = validate_mobile(data.phone)
    if phone_problem:
        problems.append(Problem("phone", phone_problem))
    id_no = normalise_id_number(data.id_no)
    if id_no:
        id_type = data.id_type or ID_TYPE_RESIDENT_ID
        id_problem = (validate_id_number(id_type, id_no) if id_type in ID_TYPES
                      else _l("Please choose an identity document type."))
        if id_problem:
            problems.append(Problem("id_no", id_problem))
    problems += email_problems(session, normalise_text(data.email), except_id=except_id)

    wanted = list(dict.fromkeys(data.roles))
    roles: list[Role] = []
    if not wanted:
        problems.append(Problem("roles", _l("Please choose at least one role.")))
    elif any(name not in GRANTABLE_ROLES for name in wanted):
        problems.append(Problem("roles", _l("Only the roles of a developer organisation can be "
                                            "granted.")))
    else:
        roles = find_roles(session, wanted)
        if len(roles) != len(wanted):
            problems.append(Problem("roles", _l("A chosen role does not exist.")))

    areas: list[PropertyArea] = []
    try:
        wanted_areas = sorted({int(a) for a in data.area_ids})
    except (TypeError, ValueError):
        wanted_areas = [-1]  # not an id: reported below like any area that is not ours
    if wanted_areas:
        areas = list(session.scalars(select(PropertyArea).where(
            PropertyArea.id.in_(wanted_areas), PropertyArea.org_id == org_id)))
        if len(areas) != len(wanted_areas):
            # Never say whether the id belongs to someone else: it is simply not one of ours.
            problems.append(Problem("area_ids", _l("A chosen property area is not one of your "
                                                   "organisation's areas.")))
    return problems, roles, areas


def active_admin_ids(session: Session, org_id: int) -> set[int]:
    """Ids of the organisation's active Developer Admins."""
    query = (select(PlatformUser.id).join(PlatformUser.roles)
             .where(PlatformUser.org_id == org_id, PlatformUser.active.is_(True),
                    Role.name == ROLE_DEV_ADMIN))
    return set(session.scalars(query))


def _keeps_an_admin(session: Session, org_id: int, user: PlatformUser, *, active: bool,
                    role_names: Sequence[str]) -> bool:
    """Whether the organisation still has an active Developer Admin if ``user`` becomes so."""
    others = active_admin_ids(session, org_id) - {user.id}
    return bool(others) or (active and ROLE_DEV_ADMIN in role_names)


def _apply_profile(user: PlatformUser, data: OrgUserInput, roles: list[Role],
                   areas: list[PropertyArea]) -> None:
    user.last_name, user.first_name = split_person_name(data.name)
    user.phone = normalise_phone(data.phone)
    id_no = normalise_id_number(data.id_no)
    user.id_type = (data.id_type or ID_TYPE_RESIDENT_ID) if id_no else None
    user.id_no = id_no or None
    email = normalise_text(data.email)
    user.email = email or f"{user.username.lower()}@{NO_EMAIL_DOMAIN}"
    user.roles = roles
    user.areas = areas


def _profile_detail(user: PlatformUser) -> dict[str, object]:
    return {"username": user.username, "roles": sorted(r.name for r in user.roles),
            "area_ids": sorted(a.id for a in user.areas), "active": bool(user.active)}


@transaction
def add_org_user(session: Session, org_id: int, data: OrgUserInput, *, actor_id: int,
                 hashing: PasswordHashing = PasswordHashing()) -> PlatformUser:
    """Create a user of the organisation (添加用户). Raises ValidationFailed with every problem."""
    _check_actor(session, org_id, actor_id)
    username = normalise_text(data.username)
    problems = username_problems(session, username)
    problems += password_problems(data.password, data.password_confirm, username=username)
    more, roles, areas = _profile_problems(session, org_id, data, except_id=None)
    problems += more
    if problems:
        raise ValidationFailed(problems=problems)
    user = PlatformUser(username=username, active=True, org_id=org_id,
                        password=hashing.hash(data.password))
    _apply_profile(user, data, roles, areas)
    session.add(user)
    session.flush()
    audit.record(session, "user.add", "user", user.id, user_id=actor_id, org_id=org_id,
                 detail=_profile_detail(user))
    return user


@transaction
def update_org_user(session: Session, org_id: int, user_id: int, data: OrgUserInput, *,
                    actor_id: int, hashing: PasswordHashing = PasswordHashing()) -> PlatformUser:
    """Modify a user's data, roles or areas (修改用户); a new password only when one is given."""
    _check_actor(session, org_id, actor_id)
    user = get_org_user(session, org_id, user_id)
    problems: list[Problem] = []
    if data.password or data.password_confirm:
        problems += password_problems(data.password, data.password_confirm, username=user.username)
    more, roles, areas = _profile_problems(session, org_id, data, except_id=user.id)
    problems += more
    if roles and not _keeps_an_admin(session, org_id, user, active=bool(user.active),
                                     role_names=[r.name for r in roles]):
        problems.append(Problem("roles", _l("The organisation must keep at least one active "
                                            "Developer Admin.")))
    if problems:
        raise ValidationFailed(problems=problems)
    before = _profile_detail(user)
    _apply_profile(user, data, roles, areas)
    if data.password:
        user.password = hashing.hash(data.password)
    audit.record(session, "user.update", "user", user.id, user_id=actor_id, org_id=org_id,
                 detail={"before": before, "after": _profile_detail(user),
                         "password_changed": bool(data.password)})
    return user


@transaction
def set_user_active(session: Session, org_id: int, user_id: int, active: bool, *,
                    actor_id: int) -> PlatformUser:
    """注销 (active=False: the account can no longer log in, sessions and tokens stop) or 激活."""
    _check_actor(session, org_id, actor_id)
    user = get_org_user(session, org_id, user_id)
    if bool(user.active) == active:
        return user
    if not active and not _keeps_an_admin(session, org_id, user, active=False,
                                          role_names=[r.name for r in user.roles]):
        raise ValidationFailed(_l("The organisation must keep at least one active Developer Admin."),
                               [Problem("active", _l("The last active Developer Admin cannot be "
                                                     "deactivated."))])
    user.active = active
    audit.record(session, "user.activate" if active else "user.deactivate", "user", user.id,
                 user_id=actor_id, org_id=org_id, detail={"username": user.username})
    return user
