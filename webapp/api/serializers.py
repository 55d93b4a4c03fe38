"""Model rows as the JSON the API returns (the shapes in ``webapp.api.schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def uid(value: Any) -> str | None:
    return str(value) if value is not None else None


def message(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "status": row.status,
        "to": row.to_email,
        "to_name": row.to_name or "",
        "category": row.category,
        "kind": row.kind,
        "is_transactional": bool(row.is_transactional),
        "template_id": uid(row.template_id),
        "template_version_id": uid(row.template_version_id),
        "campaign_id": uid(row.campaign_id),
        "candidate_id": uid(row.candidate_id),
        "subject": row.subject or row.raw_subject or "",
        "language": row.language,
        "idempotency_key": row.idempotency_key,
        "attempts": row.attempts or 0,
        "last_error": row.last_error or "",
        "created_at": iso(row.created_at),
        "send_after": iso(row.send_after),
        "queued_at": iso(row.queued_at),
        "sent_at": iso(row.sent_at),
        "delivered_at": iso(row.delivered_at),
        "bounced_at": iso(row.bounced_at),
        "failed_at": iso(row.failed_at),
        "opened_at": iso(row.opened_at),
        "clicked_at": iso(row.clicked_at),
        "open_count": row.open_count or 0,
        "click_count": row.click_count or 0,
        "attachments": [
            {"filename": a["filename"], "content_type": a["content_type"], "size": a["size"]}
            for a in row.attachments or []
        ],
    }


def candidate(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "email": row.email,
        "first_name": row.first_name or "",
        "last_name": row.last_name or "",
        "timezone": row.timezone or "UTC",
        "locale": row.locale or "en",
        "external_id": row.external_id,
        "attributes": row.attributes or {},
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def job(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.title,
        "location": row.location or "",
        "department": row.department or "",
        "is_open": bool(row.is_open),
        "attributes": row.attributes or {},
        "created_at": iso(row.created_at),
    }


def shortlist_entry(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "candidate_id": str(row.candidate_id),
        "interview_at": iso(row.interview_at),
        "duration_minutes": row.duration_minutes or 0,
        "location": row.location or "",
        "video_url": row.video_url or "",
        "response_status": row.response_status or "pending",
        "is_canceled": bool(row.is_canceled),
    }


def shortlist(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "job_id": str(row.job_id),
        "name": row.name,
        "entries": [shortlist_entry(entry) for entry in row.entries],
        "created_at": iso(row.created_at),
    }


def template_version(row) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": str(row.id),
        "number": row.number,
        "subject": row.subject,
        "preheader": row.preheader or "",
        "body_mjml": row.body_mjml,
        "body_text": row.body_text or "",
        "note": row.note or "",
        "created_at": iso(row.created_at),
    }


def template(row) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "type": row.type,
        "category": row.category,
        "current_version": template_version(row.current_version),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def suppression(row) -> dict[str, Any]:
    return {
        "email": row.email,
        "reason": row.reason,
        "note": row.note or "",
        "created_at": iso(row.created_at),
    }


def webhook_endpoint(row, secret: str | None = None) -> dict[str, Any]:
    data = {
        "id": str(row.id),
        "url": row.url,
        "description": row.description or "",
        "event_types": list(row.event_types or []),
        "is_enabled": bool(row.is_enabled),
        "disabled_reason": row.disabled_reason or "",
        "created_at": iso(row.created_at),
    }
    if secret is not None:
        data["secret"] = secret
    return data


def campaign(row, progress=None) -> dict[str, Any]:
    data = {
        "id": str(row.id),
        "name": row.name,
        "status": row.status,
        "category": row.category,
        "job_id": uid(row.job_id),
        "shortlist_id": uid(row.shortlist_id),
        "template_id": uid(row.template_id),
        "template_version_id": uid(row.template_version_id),
        "schedule_mode": row.schedule_mode,
        "send_at": iso(row.send_at),
        "local_time": row.local_time or "",
        "total_recipients": row.total_recipients or 0,
        "created_at": iso(row.created_at),
        "started_at": iso(row.started_at),
        "completed_at": iso(row.completed_at),
        "canceled_at": iso(row.canceled_at),
    }
    if progress is not None:
        data["progress"] = {
            "counts": {str(key): int(value) for key, value in progress.counts.items()},
            "total": progress.total,
            "done": progress.done,
            "percent": progress.percent,
            "sent_last_minute": int(progress.rate_per_minute),
            "eta_seconds": progress.eta_seconds,
        }
    return data
