"""Sending single messages through the API, and the message list filters.

A send names its content one of three ways: ``template_id`` (the template's current version),
``template_type`` (the organization's template of that type, else the system default that
ships in ``templates/emails/``), or raw ``subject`` with ``html`` and/or ``text``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from webapp.extensions import db
from webapp.models import Candidate, EmailTemplate, Message, Organization
from webapp.services.api import attachments
from webapp.services.api.validation import (
    FieldErrors,
    clean_email,
    clean_locale,
    field_error,
    parse_datetime,
)
from webapp.services.rendering.required import missing_values
from webapp.services.sending.outbox import create_message, create_messages
from webapp.services.templates import library as email_templates
from webapp.services.templates.compose import build_context, version_source
from webapp.tenancy import get_scoped, parse_uuid, scoped


def send_message(
    org_id: uuid.UUID, spec: dict[str, Any], *, idempotency_key: str | None = None
) -> Message:
    """Validate ``spec`` (an API send request) and create the outbox row."""
    fields = message_fields(org_id, spec, resolve_content, _candidate_id)
    return create_message(org_id, idempotency_key=idempotency_key, **fields)


def send_many(org_id: uuid.UUID, specs: list[dict[str, Any] | list]) -> list[dict[str, Any]]:
    """A bulk request: each spec validated alone (a list is a spec's schema errors), the
    valid ones written in one INSERT. One template lookup per distinct template and one
    candidate query for the whole request. Returns one result per spec, in order."""
    contents = _Memo(lambda key: resolve_content(org_id, dict([key])))
    known = _known_candidates(org_id, [s for s in specs if isinstance(s, dict)])
    # Held for the whole request: the session's identity map keeps only weak references, so
    # without it every item's ``session.get`` read the organization again (~70 % of a request).
    organization = db.session.get(Organization, org_id)

    def content_of(_org_id: uuid.UUID, spec: dict[str, Any]) -> dict[str, Any]:
        ways = [name for name in ("template_id", "template_type", "subject") if spec.get(name)]
        if ways not in (["template_id"], ["template_type"]):
            return resolve_content(org_id, spec)  # raw content, or the error for the mix-up
        return dict(contents.get((ways[0], str(spec[ways[0]]))))

    def candidate_of(_org_id: uuid.UUID, spec: dict[str, Any]) -> uuid.UUID | None:
        if not spec.get("candidate_id"):
            return None
        candidate_id = parse_uuid(spec["candidate_id"])
        if candidate_id not in known:
            raise field_error("candidate_id", "no such candidate in this organization")
        return candidate_id

    results: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    stored: dict = {}  # attachment bytes stored by this request, by sha256
    for index, spec in enumerate(specs):
        try:
            if isinstance(spec, list):
                raise FieldErrors(spec)
            rows.append(message_fields(org_id, spec, content_of, candidate_of, stored))
        except FieldErrors as exc:
            results.append({"index": index, "status": "rejected", "errors": exc.errors})
            continue
        results.append({"index": index, "status": "accepted"})
    del organization
    created = iter(create_messages(org_id, rows))
    for result in results:
        if result["status"] == "accepted":
            message_id, status = next(created)
            result.update(id=str(message_id), message_status=status)
    return results


class _Memo:
    """Each key's value (or the ``FieldErrors`` it raised), computed once."""

    def __init__(self, compute) -> None:
        self.compute, self.values = compute, {}

    def get(self, key):
        if key not in self.values:
            try:
                self.values[key] = self.compute(key)
            except FieldErrors as exc:
                self.values[key] = exc
        value = self.values[key]
        if isinstance(value, FieldErrors):
            raise FieldErrors(value.errors)
        return value


def _known_candidates(org_id: uuid.UUID, specs: list[dict[str, Any]]) -> set[uuid.UUID]:
    wanted = {parse_uuid(s["candidate_id"]) for s in specs if s.get("candidate_id")}
    wanted.discard(None)
    if not wanted:
        return set()
    statement = scoped(select(Candidate.id), org_id).where(Candidate.id.in_(wanted))
    return set(db.session.scalars(statement))


def message_fields(
    org_id: uuid.UUID, spec: dict[str, Any], content_of, candidate_of, seen: dict | None = None
):
    """``create_message`` arguments for a send request, or ``FieldErrors``. ``seen`` holds the
    attachment bytes a bulk request already stored."""
    errors: list[dict[str, str]] = []
    to_email = _collect(errors, clean_email, spec["to"], "to")
    send_at = (
        _collect(errors, parse_datetime, spec["send_at"], "send_at")
        if spec.get("send_at")
        else None
    )
    content = _collect(errors, content_of, org_id, spec)
    candidate_id = _collect(errors, candidate_of, org_id, spec)
    locale = _collect(errors, clean_locale, spec["locale"]) if "locale" in spec else None
    if content is not None and to_email is not None:
        _collect(errors, require_values, org_id, content, spec, to_email)
    files = (
        _collect(errors, attachments.decode, spec["attachments"], content)
        if spec.get("attachments")
        else None
    )
    if errors:
        raise FieldErrors(errors)
    if files:
        content["attachments"] = attachments.store(org_id, files, seen)
    category = spec.get("category") or content.pop("default_category")
    content.pop("default_category", None)
    return {
        "to_email": to_email,
        "to_name": spec.get("to_name", ""),
        "context": _with_locale(spec.get("context") or {}, locale),
        "category": category,
        "is_transactional": category == "transactional",
        "send_after": send_at,
        "candidate_id": candidate_id,
        **content,
    }


def _with_locale(context: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """The send's ``locale`` goes with the message as ``recipient.locale``: sending chooses
    the template's language from it (``compose.wanted_locale``)."""
    if not locale:
        return context
    recipient = context.get("recipient") if isinstance(context.get("recipient"), dict) else {}
    return {**context, "recipient": {**recipient, "locale": locale}}


def _collect(errors: list, fn, *args):
    try:
        return fn(*args)
    except FieldErrors as exc:
        errors.extend(exc.errors)
        return None


def resolve_content(org_id: uuid.UUID, spec: dict[str, Any]) -> dict[str, Any]:
    """The template or raw content a send request names, as ``create_message`` arguments."""
    ways = [name for name in ("template_id", "template_type", "subject") if spec.get(name)]
    if len(ways) != 1:
        raise field_error(
            "template_id", "give exactly one of template_id, template_type or subject (raw)"
        )
    if spec.get("template_id"):
        template = get_scoped(EmailTemplate, spec["template_id"], org_id)
        if template is None or template.archived_at is not None:
            raise field_error("template_id", "no such template in this organization")
        return _from_template(template)
    if spec.get("template_type"):
        template = email_templates.org_template_for_type(org_id, spec["template_type"])
        if template is not None:
            return _from_template(template)
        default = email_templates.system_default(spec["template_type"])
        return {"kind": spec["template_type"], "default_category": default.category}
    if not (spec.get("html") or spec.get("text")):
        raise field_error("html", "a raw message needs html or text")
    return {
        "raw_subject": spec["subject"],
        "raw_html": spec.get("html"),
        "raw_text": spec.get("text"),
        "kind": "custom",
        "default_category": "transactional",
    }


def require_values(
    org_id: uuid.UUID, content: dict[str, Any], spec: dict[str, Any], to_email: str
) -> None:
    """Refuse a template send whose context leaves a value the template needs empty: it
    would go out as "Interview for  at Acme" (``required.missing_values``, as the wizard)."""
    if "raw_subject" in content:
        return
    version_id = content.get("template_version_id")
    if version_id is not None:
        source = version_source(version_id, org_id)  # cached: versions never change
    else:
        source = email_templates.system_default(content["kind"]).source
    org = db.session.get(Organization, org_id)
    context = build_context(
        org, to_email=to_email, to_name=spec.get("to_name", ""), extra=spec.get("context") or {}
    )
    missing = missing_values(source, context)
    if missing:
        raise FieldErrors([_missing_error(path) for path in missing])


def _missing_error(path: str) -> dict[str, str]:
    hint = {
        "candidate.first_name": " (or to_name)",
        "candidate.full_name": " (or to_name)",
    }.get(path, "")
    return {
        "field": f"context.{path}",
        "message": f"the template prints {{{{ {path} }}}} and this send gives no value for it"
        f"{hint}; give it, or give the template a default",
    }


def _from_template(template: EmailTemplate) -> dict[str, Any]:
    if template.current_version_id is None:
        raise field_error("template_id", "this template has no saved version yet")
    return {
        "template_id": template.id,
        "template_version_id": template.current_version_id,
        "kind": template.type,
        "default_category": template.category,
    }


def _candidate_id(org_id: uuid.UUID, spec: dict[str, Any]) -> uuid.UUID | None:
    if not spec.get("candidate_id"):
        return None
    candidate = get_scoped(Candidate, spec["candidate_id"], org_id)
    if candidate is None:
        raise field_error("candidate_id", "no such candidate in this organization")
    return candidate.id


def message_filters(org_id: uuid.UUID, filters: dict[str, Any]) -> Select:
    """The scoped statement for ``GET /messages`` with its filters applied."""
    statement = scoped(select(Message), org_id)
    if filters.get("status"):
        statement = statement.where(Message.status == filters["status"])
    if filters.get("to"):
        statement = statement.where(Message.to_email == filters["to"].strip().lower())
    if filters.get("category"):
        statement = statement.where(Message.category == filters["category"])
    for name, column in (
        ("campaign_id", Message.campaign_id),
        ("candidate_id", Message.candidate_id),
    ):
        if filters.get(name):
            statement = statement.where(column == _uuid_filter(filters[name], name))
    if filters.get("created_after"):
        statement = statement.where(Message.created_at >= _time(filters, "created_after"))
    if filters.get("created_before"):
        statement = statement.where(Message.created_at < _time(filters, "created_before"))
    return statement


def _uuid_filter(value: str, name: str) -> uuid.UUID:
    parsed = parse_uuid(value)
    if parsed is None:
        raise field_error(name, "must be a UUID")
    return parsed


def _time(filters: dict[str, Any], name: str) -> datetime:
    return parse_datetime(filters[name], name)
