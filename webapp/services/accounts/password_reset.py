""" "Forgot password": an emailed, signed link that sets a new password.

The link carries the user id and a digest of the current password hash, is signed with the
``reset`` purpose and expires after ``HERALD_PASSWORD_RESET_MINUTES``. Setting a password
changes the hash, so the link (and every other reset or invitation link sent before) stops
working once it has been used, or once the password changed some other way.

The request answers the same way whether an account exists or not; the caller limits how
often an address and a client may ask. The email goes through the outbox like every other
email, from the organization the person belongs to (their oldest membership): a person with
no organization, or a deactivated one, gets nothing. Its content is not shown in the
dashboard (``PRIVATE_KINDS``): another admin of that organization must not be able to read
the link.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services import audit
from webapp.services.accounts.login_sessions import end_all_sessions
from webapp.services.accounts.organizations import find_user
from webapp.services.accounts.passwords import hash_password
from webapp.services.links import public_url
from webapp.services.tokens import InvalidToken, make_token, read_token
from webapp.tenancy import parse_uuid

KIND = "password_reset"
# Emails that carry a link which signs someone in: their content is never shown in the
# dashboard or kept in the sent record's view.
PRIVATE_KINDS = frozenset({KIND, "member_invite"})


def fingerprint(user: User) -> str:
    """Changes whenever the password does (a new hash has a new salt)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_url(user: User) -> str:
    return public_url(f"/reset-password/{make_token('reset', [str(user.id), fingerprint(user)])}")


def describe(lifetime: timedelta) -> str:
    minutes = round(lifetime.total_seconds() / 60)
    if minutes % 60 == 0 and minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes" if minutes != 1 else "1 minute"


def _home_org(user: User) -> Organization | None:
    return db.session.scalars(
        select(Organization)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.created_at, Membership.id)
    ).first()


def request_reset(email: str, *, lifetime: timedelta) -> bool:
    """Email a reset link to ``email`` if it is an active account; True when one was queued.
    The caller must answer the same either way."""
    user = find_user(email)
    org = _home_org(user) if user is not None and user.is_active else None
    if org is None:
        return False
    from webapp.services.sending.outbox import create_message

    create_message(
        org.id,
        to_email=user.email,
        to_name=user.name,
        raw_subject="Reset your Herald password",
        raw_text=_body(user, org, lifetime),
        category="transactional",
        is_transactional=True,
        kind=KIND,
    )
    audit.record(
        org.id,
        "auth.password_reset_requested",
        actor_user_id=user.id,
        actor_label=user.email,
        target_type="user",
        target_id=user.id,
    )
    return True


def _body(user: User, org: Organization, lifetime: timedelta) -> str:
    return (
        f"Someone asked to reset the password of your Herald account {user.email} "
        f"({org.name}).\n\n"
        f"Choose a new password here:\n{reset_url(user)}\n\n"
        f"The link works for {describe(lifetime)}, and only once. Setting a new password "
        "signs you out everywhere else.\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )


def user_for_token(token: str, *, lifetime: timedelta) -> User | None:
    """The user a reset link is for, or None when it is tampered, expired or already used."""
    try:
        user_id, digest = read_token("reset", token, max_age=int(lifetime.total_seconds()))
    except (InvalidToken, ValueError, TypeError):
        return None
    uid = parse_uuid(user_id)
    user = db.session.get(User, uid) if uid else None
    if user is None or not user.is_active or digest != fingerprint(user):
        return None
    return user


def complete_reset(user: User, password: str) -> int:
    """Set the new password and sign the user out everywhere; returns how many sessions ended."""
    user.password_hash = hash_password(password)
    ended = end_all_sessions(user.id)
    org_ids = db.session.scalars(select(Membership.org_id).where(Membership.user_id == user.id))
    for org_id in org_ids.all():
        audit.record(
            org_id,
            "auth.password_reset",
            actor_user_id=user.id,
            actor_label=user.email,
            target_type="user",
            target_id=user.id,
            details={"sessions_ended": ended},
        )
    db.session.flush()
    return ended
