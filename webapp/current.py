"""The signed-in user's current organization and role, and the guards that use them."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, session
from flask_login import current_user

from webapp.extensions import db
from webapp.models import Organization, Role
from webapp.services.organizations import membership_for, organizations_of

SESSION_ORG_KEY = "org_id"


def load_current_org() -> None:
    """Set ``g.org`` and ``g.role`` for the signed-in user (first organization by default)."""
    g.org, g.role, g.my_orgs = None, None, []
    if not current_user.is_authenticated:
        return
    g.my_orgs = organizations_of(current_user)
    org_id = session.get(SESSION_ORG_KEY)
    membership = None
    if org_id:
        from webapp.tenancy import parse_uuid

        parsed = parse_uuid(org_id)
        membership = membership_for(current_user.id, parsed) if parsed else None
    if membership is None:
        if not g.my_orgs:
            return
        org, _ = g.my_orgs[0]
        membership = membership_for(current_user.id, org.id)
        session[SESSION_ORG_KEY] = str(org.id)
    g.org = db.session.get(Organization, membership.org_id)
    g.role = Role(membership.role)


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
