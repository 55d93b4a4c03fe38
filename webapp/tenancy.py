"""The one way to read tenant data: every query names the organization it is for.

``scoped(select(Model), org)`` adds ``Model.org_id == org.id``; ``get_or_404(Model, id, org)``
answers 404 for an id of another organization exactly as for an id that does not exist
(REQUIREMENTS P3).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select

from webapp.extensions import db

T = TypeVar("T")


def _org_id(org: Any) -> uuid.UUID:
    return org if isinstance(org, uuid.UUID) else org.id


def scoped(statement: Select, org: Any, model: Any = None) -> Select:
    """Restrict ``statement`` to rows of ``org`` (the first selected entity, or ``model``)."""
    model = model or statement.column_descriptions[0]["entity"]
    return statement.where(model.org_id == _org_id(org))


def parse_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def get_scoped(model: type[T], object_id: Any, org: Any) -> T | None:
    object_uuid = parse_uuid(object_id)
    if object_uuid is None:
        return None
    statement = select(model).where(model.id == object_uuid, model.org_id == _org_id(org))
    return db.session.scalars(statement).first()


def get_or_404(model: type[T], object_id: Any, org: Any) -> T:
    obj = get_scoped(model, object_id, org)
    if obj is None:
        abort(404)
    return obj
