"""Write the role definitions of ``roles.py`` into FAB's permission tables (idempotent)."""
from __future__ import annotations

from typing import Any, Iterable

from app.security.roles import ROLE_PERMISSIONS, SELF_SERVICE, permissions_of


def share_resource_permissions(views: Iterable[Any],
                               granted: Iterable[tuple[str, str]] = ()) -> None:
    """Give every view of one resource the verbs of all of them and those roles are granted on it.

    Several screens share a resource (the order screens, 房屋合同号设置 and the review all use
    BusinessOrder). FAB writes one view at a time and deletes the resource's verbs that view does
    not list, so each sync tried to delete the others' verbs ("Refused to delete permission view",
    14–19 lines) and dropped those no role held yet. With the union on every view nothing is
    deleted; access is unchanged, as each method still asks for its own verb.
    """
    views = list(views)
    verbs: dict[str, list[str]] = {}
    for view in views:
        name = getattr(view, "class_permission_name", None)
        if name:
            known = verbs.setdefault(name, [])
            known += [v for v in view.base_permissions or [] if v not in known]
    for permission, resource in granted:
        if resource in verbs and permission not in verbs[resource]:
            verbs[resource].append(permission)
    for view in views:
        name = getattr(view, "class_permission_name", None)
        if name:
            view.base_permissions = list(verbs[name])


def sync_roles(sm: Any) -> dict[str, int]:
    """Create each role and give it exactly the permissions defined in code.

    First every registered view's permissions are written (FAB gives them all to Admin), then each
    platform role gets exactly its list: permissions no longer defined are taken away, so the code
    stays the truth. Returns the number of permissions per role.
    """
    from flask_appbuilder.security.manager import BaseSecurityManager

    BaseSecurityManager.create_db(sm)  # the Admin and Public roles, without FAB creating tables
    share_resource_permissions(sm.appbuilder.baseviews,
                               [pv for wanted in ROLE_PERMISSIONS.values() for pv in wanted])
    sm.appbuilder.add_permissions(update_perms=True)
    result: dict[str, int] = {}
    for role_name in ROLE_PERMISSIONS:
        wanted = permissions_of(role_name)
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted_pvs = []
        for permission, resource in list(wanted) + SELF_SERVICE:
            pv = sm.find_permission_view_menu(permission, resource)
            if pv is None:
                pv = sm.add_permission_view_menu(permission, resource)
            wanted_pvs.append(pv)
        wanted_ids = {pv.id for pv in wanted_pvs}
        for pv in list(role.permissions):
            if pv.id not in wanted_ids:
                sm.del_permission_role(role, pv)
        have_ids = {pv.id for pv in role.permissions}
        for pv in wanted_pvs:
            if pv.id not in have_ids:
                sm.add_permission_role(role, pv)
        result[role_name] = len(wanted_ids)
    return result
