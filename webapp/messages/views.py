"""Messages: the list with filters, the detail page with its timeline and rendered email, and
the failed messages (dead letters) with retry and cancel."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.i18n.pages import gettext as _
from webapp.i18n.pages import ngettext
from webapp.messages import bp
from webapp.messages import incoming as _incoming  # noqa: F401 - registers the attachment route
from webapp.messages.forms import STATUS_CHOICES, parse_filters
from webapp.models import Campaign, EmailTemplate, Message, MessageEvent
from webapp.services.inbound import history as inbound_history
from webapp.services.sending import actions, sent_record
from webapp.services.sending.content import ComposeError
from webapp.tenancy import get_or_404, scoped

guard_blueprint(bp)
PER_PAGE = 50
# Links open in a new tab (``<base target="_blank">``), so the frame itself never navigates.
PREVIEW_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "img-src https: http: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"  # framed by the message page only
)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _choices():
    campaigns = db.session.execute(
        scoped(select(Campaign.id, Campaign.name), g.org, Campaign).order_by(Campaign.name)
    ).all()
    templates = db.session.execute(
        scoped(select(EmailTemplate.id, EmailTemplate.name), g.org, EmailTemplate).order_by(
            EmailTemplate.name
        )
    ).all()
    return campaigns, templates


def _list(template: str, *, status: str | None = None):
    form = parse_filters(request.args, g.org.timezone, status=status)
    rows, has_next = [], False
    if not form.errors:
        rows, has_next = actions.search(g.org.id, form.filters, page=_page(), per_page=PER_PAGE)
    campaigns, templates = _choices()
    return render_template(
        template,
        form=form,
        rows=rows,
        has_next=has_next,
        page=_page(),
        status_choices=[(value, _(label)) for value, label in STATUS_CHOICES],
        campaigns=campaigns,
        templates=templates,
        total=None if form.errors else actions.count(g.org.id, form.filters),
    )


@bp.get("/")
def index():
    return _list("messages/index.html")


@bp.get("/failed")
def failed():
    return _list("messages/failed.html", status=request.args.get("status") or "dead")


@bp.get("/<uuid:message_id>")
def show(message_id):
    message = get_or_404(Message, message_id, g.org)
    events = db.session.scalars(
        scoped(select(MessageEvent), g.org)
        .where(MessageEvent.message_id == message.id)
        .order_by(MessageEvent.occurred_at)
    ).all()
    timeline = sorted(
        [("attempt", a.attempted_at, a) for a in message.attempts_log]
        + [("event", e.occurred_at, e) for e in events],
        key=lambda item: item[1],
    )
    record = sent_record.load(message.id, g.org.id)
    shown, problem = _shown(message, record)
    return render_template(
        "messages/show.html",
        message=message,
        timeline=timeline,
        record=record,
        shown=shown,
        problem=problem,
        template_used=sent_record.template_used(message, record),
        retention_days=current_app.config["HERALD"].sent_content_retention_days,
        incoming=inbound_history.for_message(g.org.id, message.id),
    )


def _shown(message: Message, record):
    try:
        return sent_record.shown_email(message, g.org, record), ""
    except ComposeError as exc:
        return None, str(exc)


@bp.get("/<uuid:message_id>/preview")
def preview(message_id):
    """The email's HTML as sent, tracking taken out, served to a sandboxed iframe: no
    scripts, no same-origin (T5), and no open or click counted for the recipient."""
    message = get_or_404(Message, message_id, g.org)
    shown, problem = _shown(message, sent_record.load(message.id, g.org.id))
    if shown is None:
        html = _paragraph(_("This email cannot be shown: %(problem)s", problem=problem))
    elif shown.source == "private":
        html = _paragraph(
            _("This email carries a personal sign-in link; its content is not shown.")
        )
    elif shown.source == "purged":
        html = _paragraph(_("The content of this email is no longer kept; its details remain."))
    else:
        html = shown.html or _paragraph(_("(This email has no HTML part.)"))
    html = _links_in_new_tab(html)
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": PREVIEW_CSP,
        "X-Frame-Options": "SAMEORIGIN",
    }
    return html, 200, headers


def _paragraph(text: str) -> str:
    return str(Markup("<p>{}</p>").format(text))


def _links_in_new_tab(html: str) -> str:
    base = '<base target="_blank">'
    head = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
    return html[: head.end()] + base + html[head.end() :] if head else base + html


def _back(message: Message):
    """Where to go after an action: the page the form came from (a local path), else detail."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(url_for("messages.show", message_id=message.id))


@bp.post("/<uuid:message_id>/retry")
def retry(message_id):
    message = get_or_404(Message, message_id, g.org)
    if actions.retry_message(message):
        db.session.commit()
        flash(_("The message is queued and will be sent again within seconds."), "success")
    else:
        flash(_("A %(status)s message cannot be retried.", status=message.status), "error")
    return _back(message)


@bp.post("/<uuid:message_id>/cancel")
def cancel(message_id):
    message = get_or_404(Message, message_id, g.org)
    if actions.cancel_message(message):
        db.session.commit()
        flash(_("The message was canceled and will not be sent."), "success")
    else:
        flash(
            _("A %(status)s message cannot be canceled any more.", status=message.status), "error"
        )
    return _back(message)


@bp.post("/failed/retry")
def retry_all():
    form = parse_filters(request.form, g.org.timezone)
    if form.errors:
        abort(400)
    count = actions.retry_failed(g.org.id, form.filters)
    db.session.commit()
    message = ngettext(
        "%(num)s message(s) queued to be sent again.",
        "%(num)s message(s) queued to be sent again.",
        count,
    )
    flash(message, "success")
    args = {k: v for k, v in form.values.items() if v}
    return redirect(url_for("messages.failed", **args))
