"""/api/v1/messages: send one or many, read, list, cancel, retry."""

from __future__ import annotations

from typing import Any

from flask import g

from webapp.api import serializers
from webapp.api.framework import (
    ApiError,
    compile_schema,
    endpoint,
    invalid,
    json_response,
    not_found,
    schema_errors,
)
from webapp.api.replay import IDEMPOTENCY_HEADER, run
from webapp.api.schemas import (
    CATEGORY,
    CURSOR,
    DATETIME_INPUT,
    EMAIL,
    LIMIT,
    MESSAGE_STATUS,
    TEMPLATE_TYPE,
    UUID,
    obj,
    page_of,
    ref,
)
from webapp.extensions import db
from webapp.models import Message
from webapp.services.api import messages as message_service
from webapp.services.api.pagination import BadCursor, paginate
from webapp.services.api.validation import FieldErrors
from webapp.services.attachments.checks import ALLOWED_WORDS, CONTENT_TYPES, MAX_FILES
from webapp.services.sending import actions
from webapp.tenancy import get_scoped

ATTACHMENT = obj(
    {
        "filename": {"type": "string", "minLength": 1, "maxLength": 255},
        "content_type": {"type": "string", "enum": list(CONTENT_TYPES)},
        "content": {
            "type": "string",
            "minLength": 1,
            "contentEncoding": "base64",
            "description": "the file's bytes in standard base64 (RFC 4648)",
        },
    },
    ("filename", "content_type", "content"),
)
SEND_MESSAGE = obj(
    {
        "to": EMAIL,
        "to_name": {"type": "string", "maxLength": 300},
        "template_id": {**UUID, "description": "send the template's current version"},
        "template_type": {**TEMPLATE_TYPE, "description": "the org's template of this type"},
        "context": {"type": "object", "description": "plain data for the template"},
        "subject": {"type": "string", "minLength": 1, "maxLength": 998},
        "html": {"type": "string", "maxLength": 1_000_000},
        "text": {"type": "string", "maxLength": 1_000_000},
        "category": CATEGORY,
        "send_at": {**DATETIME_INPUT, "description": "schedule for later (UTC offset required)"},
        "candidate_id": UUID,
        "attachments": {
            "type": "array",
            "maxItems": MAX_FILES,
            "items": ATTACHMENT,
            "description": "files sent with this message, after the template's own files "
            f"(at most {MAX_FILES}). Types: {ALLOWED_WORDS}; the name's extension must fit "
            "the type. Each file at most HERALD_ATTACHMENT_MAX_BYTES (default 5 MB), all of "
            "an email's files at most HERALD_ATTACHMENTS_TOTAL_MAX_BYTES (default 7 MB).",
        },
        "locale": {
            "type": "string",
            "maxLength": 16,
            "description": "the recipient's language (BCP 47, e.g. fr-CA); chooses the "
            "template's language variant (default: the candidate's locale)",
        },
    },
    ("to",),
)
SEND_MESSAGE.update(
    {
        "oneOf": [{"required": [name]} for name in ("template_id", "template_type", "subject")],
        "dependentSchemas": {
            "subject": {
                "anyOf": [
                    {"required": [part], "properties": {part: {"minLength": 1}}}
                    for part in ("html", "text")
                ],
                "x-error": {"field": "html", "message": "a raw message needs html or text"},
            }
        },
        "x-error": {
            "field": "template_id",
            "message": "give exactly one of template_id, template_type or subject (raw)",
        },
    }
)
SEND_CHECK = compile_schema(SEND_MESSAGE)  # each bulk item is checked alone
SEND_DESCRIPTION = (
    "Name the content one way: `template_id`, `template_type` (with `context`), or raw "
    "`subject` with `html` and/or `text`. A template send must give every value the template "
    "prints without a default (e.g. `context.job.title`, `context.invite_url`): otherwise "
    "422, with one entry per missing value in `errors`."
)
BULK_SEND = obj(
    {
        "messages": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {"type": "object", "description": "a send request, as POST /messages"},
        }
    },
    ("messages",),
)
BULK_RESULT = {
    "type": "object",
    "required": ["accepted", "rejected", "results"],
    "properties": {
        "accepted": {"type": "integer"},
        "rejected": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "status"],
                "properties": {
                    "index": {"type": "integer"},
                    "status": {"type": "string", "enum": ["accepted", "rejected"]},
                    "id": UUID,
                    "message_status": MESSAGE_STATUS,
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
LIST_FILTERS = {
    "status": MESSAGE_STATUS,
    "to": {"type": "string", "maxLength": 320},
    "category": CATEGORY,
    "campaign_id": UUID,
    "candidate_id": UUID,
    "created_after": DATETIME_INPUT,
    "created_before": DATETIME_INPUT,
    "limit": LIMIT,
    "cursor": CURSOR,
}


@endpoint(
    "/messages",
    "POST",
    scope="send",
    tag="Messages",
    summary="Send one message",
    description=SEND_DESCRIPTION,
    body=SEND_MESSAGE,
    headers=IDEMPOTENCY_HEADER,
    responses={201: ref("Message"), 409: None},
)
def send_message(body: dict[str, Any]):
    def action(key: str | None) -> tuple[dict, int]:
        try:
            message = message_service.send_message(g.org_id, body, idempotency_key=key)
        except FieldErrors as exc:
            raise invalid(exc.errors) from None
        return serializers.message(message), 201

    return run(action, body)


@endpoint(
    "/messages/bulk",
    "POST",
    scope="send",
    tag="Messages",
    summary="Send up to 1,000 messages, with a result per item",
    description="Each item is validated alone: valid items are accepted even when others "
    "are rejected. " + SEND_DESCRIPTION,
    body=BULK_SEND,
    headers=IDEMPOTENCY_HEADER,
    responses={200: BULK_RESULT, 409: None},
)
def send_bulk(body: dict[str, Any]):
    def action(_key: str | None) -> tuple[dict, int]:
        specs = [schema_errors(SEND_CHECK, item, SEND_MESSAGE) or item for item in body["messages"]]
        results = message_service.send_many(g.org_id, specs)
        accepted = sum(1 for result in results if result["status"] == "accepted")
        return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}, 200

    return run(action, body)


@endpoint(
    "/messages/<message_id>",
    "GET",
    scope="read",
    tag="Messages",
    summary="Get a message and its delivery status",
    responses={200: ref("Message")},
)
def get_message(message_id: str):
    return json_response(serializers.message(_message_or_404(message_id)))


@endpoint(
    "/messages",
    "GET",
    scope="read",
    tag="Messages",
    summary="List messages, newest first",
    query=LIST_FILTERS,
    responses={200: page_of("Message")},
)
def list_messages(query: dict[str, Any]):
    try:
        statement = message_service.message_filters(g.org_id, query)
        page = paginate(
            statement, Message.id, limit=query.get("limit", 50), cursor=query.get("cursor")
        )
    except FieldErrors as exc:
        raise invalid(exc.errors) from None
    except BadCursor:
        raise invalid([{"field": "cursor", "message": "is not a cursor this API gave"}]) from None
    return json_response(
        {"data": [serializers.message(row) for row in page.items], "next_cursor": page.next_cursor}
    )


@endpoint(
    "/messages/<message_id>/cancel",
    "POST",
    scope="send",
    tag="Messages",
    summary="Cancel a message that has not been sent yet",
    responses={200: ref("Message"), 409: None},
)
def cancel_message(message_id: str):
    return _act(message_id, actions.cancel_message, "canceled")


@endpoint(
    "/messages/<message_id>/retry",
    "POST",
    scope="send",
    tag="Messages",
    summary="Send a failed, unknown or deferred message again now (same Message-ID)",
    responses={200: ref("Message"), 409: None},
)
def retry_message(message_id: str):
    return _act(message_id, actions.retry_message, "retried")


def _act(message_id: str, action, verb: str):
    message = _message_or_404(message_id)
    if not action(message):
        raise ApiError(409, "Conflict", f"A {message.status} message cannot be {verb}.")
    db.session.commit()
    return json_response(serializers.message(message))


def _message_or_404(message_id: str) -> Message:
    message = get_scoped(Message, message_id, g.org_id)
    if message is None:
        raise not_found("Message")
    return message
