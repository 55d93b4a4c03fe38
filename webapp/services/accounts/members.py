"""Inviting people into an organization."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services.accounts.login_sessions import end_all_sessions
from webapp.services.accounts.organizations import add_member, create_user, find_user
from webapp.services.links import public_url
from webapp.services.tokens import make_token


@dataclass
class InviteResult:
    user: User
    is_new_user: bool
    set_password_url: str | None

    @property
    def message(self) -> str:
        if self.is_new_user:
            return (
                f"Invited {self.user.email}. They were emailed a link to choose a password; "
                f"you can also share it: {self.set_password_url}"
            )
        return f"{self.user.email} now has access to this organization."


def set_password_url(user: User) -> str:
    # The password hash is part of the token, so the link stops working once it has been used.
    token = make_token("password", [str(user.id), user.password_hash[-16:]])
    return public_url(f"/set-password/{token}")


def invite_member(org: Organization, email: str, role: str, *, invited_by: User) -> InviteResult:
    user = find_user(email)
    is_new = user is None
    if user is None:
        user = create_user(email, None)
    add_member(org, user, role)
    link = set_password_url(user) if is_new else None
    if is_new:
        from webapp.services.sending.outbox import create_message

        create_message(
            org.id,
            to_email=user.email,
            raw_subject=f"{invited_by.name or invited_by.email} invited you to {org.name}",
            raw_text=(
                f"You have been invited to {org.name} on Herald as {role}.\n\n"
                f"Choose a password to sign in:\n{link}\n\nThe link works for 7 days."
            ),
            category="transactional",
            is_transactional=True,
            kind="member_invite",
        )
    return InviteResult(user, is_new, link)


def remove_member(membership: Membership) -> None:
    """Take a person out of an organization. Their sessions end too, so a browser that is still
    open (or a copied cookie) cannot keep using what it loaded from that organization."""
    end_all_sessions(membership.user_id)
    db.session.delete(membership)
    db.session.flush()


def member_choices(org_id) -> list[tuple[str, str]]:
    """(user id, "Name <email>") of the organization's active members, for pickers."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Membership

    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, User.is_active_user.is_(True))
        .order_by(User.email)
    )
    return [(str(i), f"{name} <{email}>" if name else email) for i, name, email in rows]
