"""Server-side sign-in sessions: start, resolve on every request, end.

The session cookie is signed but lives in the browser, so on its own it cannot be taken back.
Each sign-in therefore gets a ``LoginSession`` row and the cookie names only that row. A request
is signed in while the row is not ended and was seen within the idle time; signing out ends the
row, and a password change or a removal from an organization ends every row of that user, so a
copied cookie stops working at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from webapp.extensions import db
from webapp.models import LoginSession, User, utcnow

# last_seen_at is written at most this often per session (and at least four times per idle time).
TOUCH_EVERY = timedelta(seconds=60)


def start_session(user: User, *, idle: timedelta, now: datetime | None = None) -> LoginSession:
    """A new session for ``user`` (bound to the instance for Flask-Login), and the user's ended
    or idle sessions cleared away."""
    now = now or utcnow()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            or_(LoginSession.ended_at.is_not(None), LoginSession.last_seen_at < now - idle),
        )
    )
    row = LoginSession(user_id=user.id, created_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    user.login_session_id = row.id
    return row


def resolve_session(
    session_id: uuid.UUID, *, idle: timedelta, now: datetime | None = None
) -> tuple[User | None, bool]:
    """The signed-in user for ``session_id``, or None when the session is unknown, ended, idle
    for longer than ``idle`` or its user is deactivated. The flag says whether the row was
    written (last seen, or ended for idleness), so the caller knows to commit."""
    now = now or utcnow()
    found = db.session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None, False
    row, user = found
    if row.last_seen_at < now - idle:
        row.ended_at = now
        db.session.flush()
        return None, True
    if not user.is_active:
        return None, False
    touched = now - row.last_seen_at >= min(TOUCH_EVERY, idle / 4)
    if touched:
        row.last_seen_at = now
        db.session.flush()
    user.login_session_id = row.id
    return user, touched


def end_session(session_id: uuid.UUID | None, *, now: datetime | None = None) -> None:
    if session_id is not None:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
            .values(ended_at=now or utcnow())
        )


def end_all_sessions(user_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """End every session of a user (password changed, removed from an organization)."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
    return result.rowcount or 0
