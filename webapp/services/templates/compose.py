"""From a Message row to the email to send: subject, HTML, text, tracked links, attachments.

``compose_message`` is what the sending pipeline calls for every recipient. It picks the
template version (the message's own, else the current one of ``message.template_id``, else the
organization's own template for ``message.kind``, else the system default for that kind),
builds the plain-data context, renders through the shared cache (compiled once per version
and brand revision), rewrites links for click tracking, adds the honeypot link and the open
pixel, and attaches an ``.ics`` for interviews.

Raw messages (``raw_subject``/``raw_html``/``raw_text``) are sent as given: no Jinja runs on
them; links and pixel are handled the same way.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from webapp.extensions import db
from webapp.models import (
    Candidate,
    EmailTemplate,
    Message,
    Organization,
    ShortlistEntry,
    TemplateVersion,
)
from webapp.services import links as public_links
from webapp.services.interviews.calendar import interview_attachment, interview_context
from webapp.services.rendering import BrandData, RenderError, TemplateSource, render
from webapp.services.rendering.links import rewrite_links
from webapp.services.rendering.text import html_to_text
from webapp.services.templates.library import org_template_for_type, system_default
from webapp.services.templates.translations import variant_for

HONEYPOT = "__honeypot__"


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ComposedEmail:
    subject: str
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # by click index; HONEYPOT marks the trap
    template_version_id: uuid.UUID | None = None
    preheader: str = ""
    warnings: list[str] = field(default_factory=list)
    language: str = ""  # the language the template was rendered in (none for raw content)


class ComposeError(Exception):
    """The template could not be rendered for this message (errors are for people to read)."""

    def __init__(self, errors: list[RenderError]) -> None:
        self.errors = errors
        first = errors[0] if errors else None
        super().__init__(first.message if first else "The message could not be rendered.")


def build_context(
    org: Organization,
    *,
    to_email: str,
    to_name: str = "",
    message_id: uuid.UUID | None = None,
    entry: ShortlistEntry | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plain-data context every template sees (the variables panel lists these keys)."""
    context: dict[str, Any] = dict(extra or {})
    context.update(
        org={"name": org.name, "postal_address": org.postal_address or ""},
        sender_name=org.sender_name or org.name,
        recipient={"email": to_email, "name": to_name, "timezone": org.timezone,
                   "locale": org.locale},
        unsubscribe_url=public_links.unsubscribe_url(org.id, to_email, message_id),
        preferences_url=public_links.preferences_url(org.id, to_email),
    )  # fmt: skip
    if entry is not None:
        context.update(interview_context(org, entry))
        context["recipient"].update(
            timezone=entry.candidate.timezone or org.timezone,
            locale=entry.candidate.locale or org.locale,
        )
    context.setdefault("candidate", {"first_name": to_name, "full_name": to_name})
    context.setdefault("job", {"title": ""})
    context.setdefault("interview", {})
    return context


_versions: OrderedDict[uuid.UUID, TemplateSource] = OrderedDict()


def version_source(version_id: uuid.UUID, org_id: uuid.UUID) -> TemplateSource | None:
    """Versions never change after insert, so their source is cached by id."""
    source = _versions.get(version_id)
    if source is None:
        version = db.session.get(TemplateVersion, version_id)
        if version is None or version.org_id != org_id:
            return None
        source = TemplateSource.from_version(version)
        _versions[version_id] = source
        if len(_versions) > 1024:
            _versions.popitem(last=False)
    return source


def template_source_for(message: Message, org: Organization) -> TemplateSource:
    if message.template_version_id:
        source = version_source(message.template_version_id, org.id)
        if source is not None:
            return source
    if message.template_id:
        template = db.session.get(EmailTemplate, message.template_id)
        if template is not None and template.org_id == org.id and template.current_version_id:
            source = version_source(template.current_version_id, org.id)
            if source is not None:
                return source
    override = org_template_for_type(org.id, message.kind)
    if override is not None and override.current_version_id:
        source = version_source(override.current_version_id, org.id)
        if source is not None:
            return source
    return system_default(message.kind).source


def compose_message(message: Message, org: Organization) -> ComposedEmail:
    """Render ``message`` for sending. Raises ``ComposeError`` when the template fails."""
    entry = _entry(message, org)
    if message.raw_html is not None or message.raw_subject is not None:
        email = _compose_raw(message)
    else:
        email = _compose_template(message, org, entry)
    _track(email, message, org)
    attachment = interview_attachment(message, org, entry)
    if attachment is not None:
        email.attachments.append(Attachment(*attachment))
    return email


def _entry(message: Message, org: Organization) -> ShortlistEntry | None:
    if not message.shortlist_entry_id:
        return None
    entry = db.session.get(ShortlistEntry, message.shortlist_entry_id)
    return entry if entry is not None and entry.org_id == org.id else None


def _compose_template(message: Message, org: Organization, entry) -> ComposedEmail:
    source, language = variant_for(
        template_source_for(message, org), org, lambda: wanted_locale(message, org, entry)
    )
    context = build_context(
        org,
        to_email=message.to_email,
        to_name=message.to_name,
        message_id=message.id,
        entry=entry,
        extra=message.context,
    )
    context["language"] = language
    rewriter = _click_rewriter(message, org) if org.click_tracking else None
    result = render(source, BrandData.from_org(org), context, link_rewriter=rewriter)
    if result.errors:
        raise ComposeError(result.errors)
    return ComposedEmail(
        subject=result.subject,
        html=result.html,
        text=result.text,
        links=result.links,
        template_version_id=source.id,
        preheader=result.preheader,
        warnings=result.warnings,
        language=language,
    )


def wanted_locale(message: Message, org: Organization, entry) -> str:
    """The recipient's locale: the one the send gave, else the candidate's."""
    context = message.context or {}
    for section in ("recipient", "candidate"):
        value = context.get(section) if isinstance(context.get(section), dict) else {}
        if value.get("locale") and isinstance(value["locale"], str):
            return value["locale"]
    if entry is not None:
        return entry.candidate.locale or ""
    if message.candidate_id:
        candidate = db.session.get(Candidate, message.candidate_id)
        if candidate is not None and candidate.org_id == org.id:
            return candidate.locale or ""
    return ""


def _compose_raw(message: Message) -> ComposedEmail:
    html = message.raw_html or ""
    text = (
        message.raw_text if message.raw_text is not None else (html_to_text(html) if html else "")
    )
    return ComposedEmail(subject=message.raw_subject or "", html=html, text=text)


def _click_rewriter(message: Message, org: Organization):
    click_url = public_links.click_urls(org.id, message.id)

    def rewrite(url: str, index: int) -> str:
        return click_url(index, url)

    return rewrite


def _track(email: ComposedEmail, message: Message, org: Organization) -> None:
    if not email.html:
        return
    if org.click_tracking and not email.links and message.raw_html is not None:
        email.html, email.links = rewrite_links(email.html, _click_rewriter(message, org))
    extra = ""
    if org.click_tracking:
        honeypot = public_links.click_url(org.id, message.id, len(email.links), HONEYPOT)
        email.links.append(HONEYPOT)
        extra += (
            f'<a href="{honeypot}" aria-hidden="true" tabindex="-1" '
            'style="display:none;font-size:0;line-height:0;max-height:0;overflow:hidden"></a>'
        )
    if org.open_tracking:
        pixel = public_links.open_pixel_url(org.id, message.id)
        extra += (
            f'<img src="{pixel}" width="1" height="1" alt="" role="presentation" '
            'style="display:block;width:1px;height:1px;border:0">'
        )
    email.html = _before_body_end(email.html, extra)


def _before_body_end(document: str, extra: str) -> str:
    position = _last_body_end(document)
    if position == -1:
        return document + extra
    return document[:position] + extra + document[position:]


def _last_body_end(document: str) -> int:
    """Where the last ``</body>`` (any case) starts, or -1; from the end, without lower-casing
    the whole document (~0.1 ms for an email)."""
    end = len(document)
    while (position := document.rfind("</", 0, end)) != -1:
        if document[position : position + 7].lower() == "</body>":
            return position
        end = position
    return -1
