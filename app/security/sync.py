"""Write the role definitions of ``roles.py`` into FAB's permission tables (idempotent)."""
from __future__ import annotations

from typing import Any

from app.security.roles import ROLE_PERMISSIONS, SELF_SERVICE, permissions_of


def sync_roles(sm: Any) -> dict[str, int]:
    """Create each role and give it exactly the permissions defined in code.

    First every registered view's permissions are written (FAB gives them all to Admin), then each
    platform role gets exactly its list: permissions no longer defined are taken away, so the code
    stays the truth. Returns the number of permissions per role.
    """
    from flask_appbuilder.security.manager import BaseSecurityManager

    BaseSecurityManager.create_db(sm)  # the Admin and Public roles, without FAB creating tables
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
