"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) shared by the API's routes.

Each schema here serves both request validation and the OpenAPI document. Route-specific
request bodies live beside their routes; what several routes return is a component here.
"""

from __future__ import annotations

import re

from webapp.models.message import MessageStatus
from webapp.models.template import CATEGORIES, TEMPLATE_TYPES

UUID = {"type": "string", "format": "uuid"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_UUID = {"type": ["string", "null"], "format": "uuid"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
# Special-use domains (RFC 6761 and kin) are refused: no mail can be delivered to them.
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


EMAIL = {
    "type": "string",
    "format": "email",
    "maxLength": 320,
    "pattern": r"^(?!.*[@.](?:"
    + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAINS)
    + r")\.?$)",
    "description": "an address at a domain that can receive mail (not .test, .local …)",
}
# The API's own checks on dates: an offset is required (RFC 3339 always has one), the year
# is 2000-2999, no leap second.
DATETIME_INPUT = {
    "type": "string",
    "format": "date-time",
    "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]",
}
DATE = {"type": "string", "format": "date", "pattern": "^(?!0000)"}  # no year 0
CATEGORY = {"type": "string", "enum": list(CATEGORIES)}
TEMPLATE_TYPE = {"type": "string", "enum": list(TEMPLATE_TYPES)}
MESSAGE_STATUS = {"type": "string", "enum": [status.value for status in MessageStatus]}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}
CURSOR = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]{22}$",
    "description": "`next_cursor` of the previous page",
}
PATH_PARAMETERS = {"email": EMAIL}  # any other path parameter is an id (a UUID)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str) -> dict:
    return {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": ref(name)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def obj(properties: dict, required: tuple[str, ...] = (), *, extra: bool = False) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": extra,
    }


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

MESSAGE = {
    "type": "object",
    "required": ["id", "status", "to", "category", "created_at", "send_after"],
    "properties": {
        "id": UUID,
        "status": MESSAGE_STATUS,
        "to": {"type": "string"},
        "to_name": {"type": "string"},
        "category": {"type": "string"},
        "kind": {"type": "string"},
        "is_transactional": {"type": "boolean"},
        "template_id": NULLABLE_UUID,
        "template_version_id": NULLABLE_UUID,
        "campaign_id": NULLABLE_UUID,
        "candidate_id": NULLABLE_UUID,
        "subject": {"type": "string"},
        "language": {
            "type": ["string", "null"],
            "description": "the language it was sent in (null until sent, or raw content)",
        },
        "idempotency_key": {"type": ["string", "null"]},
        "attempts": {"type": "integer"},
        "last_error": {"type": "string"},
        "created_at": DATETIME,
        "send_after": DATETIME,
        "queued_at": NULLABLE_DATETIME,
        "sent_at": NULLABLE_DATETIME,
        "delivered_at": NULLABLE_DATETIME,
        "bounced_at": NULLABLE_DATETIME,
        "failed_at": NULLABLE_DATETIME,
        "opened_at": NULLABLE_DATETIME,
        "clicked_at": NULLABLE_DATETIME,
        "open_count": {"type": "integer"},
        "click_count": {"type": "integer"},
        "attachments": {
            "type": "array",
            "description": "the files this send gave (a template's own files are on the template)",
            "items": {
                "type": "object",
                "required": ["filename", "content_type", "size"],
                "properties": {
                    "filename": {"type": "string"},
                    "content_type": {"type": "string"},
                    "size": {"type": "integer", "description": "bytes"},
                },
            },
        },
    },
}

CANDIDATE = {
    "type": "object",
    "required": ["id", "email", "created_at"],
    "properties": {
        "id": UUID,
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "timezone": {"type": "string"},
        "locale": {"type": "string"},
        "external_id": {"type": ["string", "null"]},
        "attributes": {"type": "object"},
        "created_at": DATETIME,
        "updated_at": NULLABLE_DATETIME,
    },
}

JOB = {
    "type": "object",
    "required": ["id", "title", "created_at"],
    "properties": {
        "id": UUID,
        "title": {"type": "string"},
        "location": {"type": "string"},
        "department": {"type": "string"},
        "is_open": {"type": "boolean"},
        "attributes": {"type": "object"},
        "created_at": DATETIME,
    },
}

SHORTLIST_ENTRY = {
    "type": "object",
    "required": ["id", "candidate_id", "response_status"],
    "properties": {
        "id": UUID,
        "candidate_id": UUID,
        "interview_at": NULLABLE_DATETIME,
        "duration_minutes": {"type": "integer"},
        "location": {"type": "string"},
        "video_url": {"type": "string"},
        "response_status": {"type": "string"},
        "is_canceled": {"type": "boolean"},
    },
}

SHORTLIST = {
    "type": "object",
    "required": ["id", "job_id", "name", "entries", "created_at"],
    "properties": {
        "id": UUID,
        "job_id": UUID,
        "name": {"type": "string"},
        "entries": {"type": "array", "items": ref("ShortlistEntry")},
        "created_at": DATETIME,
    },
}

TEMPLATE = {
    "type": "object",
    "required": ["id", "name", "type", "category", "created_at"],
    "properties": {
        "id": UUID,
        "name": {"type": "string"},
        "type": {"type": "string"},
        "category": {"type": "string"},
        "current_version": {"oneOf": [ref("TemplateVersion"), {"type": "null"}]},
        "created_at": DATETIME,
        "updated_at": NULLABLE_DATETIME,
    },
}

TEMPLATE_VERSION = {
    "type": "object",
    "required": ["id", "number", "subject", "body_mjml"],
    "properties": {
        "id": UUID,
        "number": {"type": "integer"},
        "subject": {"type": "string"},
        "preheader": {"type": "string"},
        "body_mjml": {"type": "string"},
        "body_text": {"type": "string"},
        "note": {"type": "string"},
        "created_at": DATETIME,
    },
}

SUPPRESSION = {
    "type": "object",
    "required": ["email", "reason", "created_at"],
    "properties": {
        "email": {"type": "string"},
        "reason": {"type": "string"},
        "note": {"type": "string"},
        "created_at": DATETIME,
    },
}

PREFERENCE = {
    "type": "object",
    "required": ["email", "opted_out_categories", "unsubscribed_all"],
    "properties": {
        "email": {"type": "string"},
        "opted_out_categories": {"type": "array", "items": {"type": "string"}},
        "subscribed_categories": {"type": "array", "items": {"type": "string"}},
        "unsubscribed_all": {"type": "boolean"},
        "digest_frequency": {"type": "string"},
    },
}

WEBHOOK_ENDPOINT = {
    "type": "object",
    "required": ["id", "url", "event_types", "is_enabled", "created_at"],
    "properties": {
        "id": UUID,
        "url": {"type": "string"},
        "description": {"type": "string"},
        "event_types": {"type": "array", "items": {"type": "string"}},
        "is_enabled": {"type": "boolean"},
        "secret": {"type": "string", "description": "Only in the response that creates it."},
        "disabled_reason": {"type": "string"},
        "created_at": DATETIME,
    },
}

CAMPAIGN = {
    "type": "object",
    "required": ["id", "name", "status", "total_recipients", "created_at"],
    "properties": {
        "id": UUID,
        "name": {"type": "string"},
        "status": {"type": "string"},
        "category": {"type": "string"},
        "job_id": NULLABLE_UUID,
        "shortlist_id": NULLABLE_UUID,
        "template_id": NULLABLE_UUID,
        "template_version_id": NULLABLE_UUID,
        "schedule_mode": {"type": "string"},
        "send_at": NULLABLE_DATETIME,
        "local_time": {"type": "string"},
        "total_recipients": {"type": "integer"},
        "created_at": DATETIME,
        "started_at": NULLABLE_DATETIME,
        "completed_at": NULLABLE_DATETIME,
        "canceled_at": NULLABLE_DATETIME,
        "progress": {
            "type": "object",
            "description": "message counts by status, and the pace of sending",
            "properties": {
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "total": {"type": "integer"},
                "done": {"type": "integer"},
                "percent": {"type": "integer"},
                "sent_last_minute": {"type": "integer"},
                "eta_seconds": {"type": ["integer", "null"]},
            },
        },
    },
}

COMPONENTS: dict[str, dict] = {
    "Campaign": CAMPAIGN,
    "Problem": PROBLEM,
    "Message": MESSAGE,
    "Candidate": CANDIDATE,
    "Job": JOB,
    "Shortlist": SHORTLIST,
    "ShortlistEntry": SHORTLIST_ENTRY,
    "Template": TEMPLATE,
    "TemplateVersion": TEMPLATE_VERSION,
    "Suppression": SUPPRESSION,
    "Preference": PREFERENCE,
    "WebhookEndpoint": WEBHOOK_ENDPOINT,
}
