"""Organizations, users and memberships."""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Brand, Membership, Organization, Role, User
from webapp.services.accounts.passwords import hash_password


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "org"


def unique_slug(name: str) -> str:
    base = slugify(name)
    slug = base
    while db.session.scalar(select(Organization.id).where(Organization.slug == slug)):
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


def create_organization(name: str, *, timezone: str = "UTC", **fields) -> Organization:
    org = Organization(name=name, slug=unique_slug(name), timezone=timezone, **fields)
    db.session.add(org)
    db.session.flush()
    db.session.add(Brand(org_id=org.id))
    db.session.flush()
    return org


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_user(email: str, password: str | None, *, name: str = "") -> User:
    user = User(
        email=email.strip().lower(),
        name=name,
        password_hash=hash_password(password) if password else "",
    )
    db.session.add(user)
    db.session.flush()
    return user


def add_member(org: Organization, user: User, role: Role | str) -> Membership:
    membership = db.session.scalars(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id)
    ).first()
    if membership is None:
        membership = Membership(org_id=org.id, user_id=user.id, role=Role(role).value)
        db.session.add(membership)
    else:
        membership.role = Role(role).value
    db.session.flush()
    return membership


def membership_for(user_id: uuid.UUID, org_id: uuid.UUID) -> Membership | None:
    return db.session.scalars(
        select(Membership).where(Membership.user_id == user_id, Membership.org_id == org_id)
    ).first()


def organizations_of(user: User) -> list[tuple[Organization, str]]:
    rows = db.session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Organization.name)
    )
    return [(org, role) for org, role in rows]


def owners_count(org_id: uuid.UUID) -> int:
    return len(
        db.session.scalars(
            select(Membership.id).where(
                Membership.org_id == org_id, Membership.role == Role.OWNER.value
            )
        ).all()
    )
