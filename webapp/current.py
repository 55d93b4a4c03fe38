"""The signed-in user's current organization and role, and the guards that use them."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, session
from flask_login import current_user

from webapp.models import Role
from webapp.services.accounts.organizations import organizations_of
from webapp.tenancy import parse_uuid

SESSION_ORG_KEY = "org_id"


def load_current_org() -> None:
    """Set ``g.org`` and ``g.role`` for the signed-in user (first organization by default).

    One query: the user's memberships with their organizations, which the org switcher shows too.
    """
    g.org, g.role, g.my_orgs = None, None, []
    if not current_user.is_authenticated:
        return
    g.my_orgs = organizations_of(current_user)
    if not g.my_orgs:
        return
    wanted = parse_uuid(session.get(SESSION_ORG_KEY))
    org, role = next(((o, r) for o, r in g.my_orgs if o.id == wanted), g.my_orgs[0])
    if org.id != wanted:
        session[SESSION_ORG_KEY] = str(org.id)
    g.org, g.role = org, Role(role)


def has_role(minimum: Role | str) -> bool:
    role = getattr(g, "role", None)
    return role is not None and role.rank >= Role(minimum).rank


def require_role(minimum: Role | str):
    """Guard a view: 403 unless the current role is at least ``minimum``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def guard_blueprint(bp, *, read: Role | str = Role.VIEWER, write: Role | str = Role.EDITOR):
    """Every route of ``bp`` needs a signed-in member; unsafe methods need ``write``."""
    from flask import request
    from flask_login import login_required

    @bp.before_request
    @login_required
    def _guard():
        if g.org is None:
            abort(403)
        minimum = read if request.method in ("GET", "HEAD", "OPTIONS") else write
        if not has_role(minimum):
            abort(403)
