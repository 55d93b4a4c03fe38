"""Record who did what (shown on the audit log page)."""

from __future__ import annotations

import uuid
from typing import Any

from webapp.extensions import db
from webapp.models import AuditLog


def record(
    org_id: uuid.UUID,
    action: str,
    *,
    actor_user_id: uuid.UUID | None = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: object = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        org_id=org_id,
        action=action,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        target_type=target_type,
        target_id=str(target_id or ""),
        details=details or {},
    )
    db.session.add(entry)
    return entry
