"""Unsubscribe (``/u/<token>``) and preferences (``/p/<token>``): public, token-authenticated.

GET never changes anything (link scanners follow links, C4). A POST whose body is
``List-Unsubscribe=One-Click`` (RFC 8058, urlencoded or multipart, no cookie, no CSRF token)
unsubscribes at once and answers 200 without a redirect (C3). The page's own forms post
``action`` = unsubscribe | save | resubscribe. Bad tokens get one uniform 404 (C5). The page
speaks the recipient's language (``webapp.i18n.recipients``).
"""

from flask import abort, current_app, render_template, request

from webapp.after_commit import after_commit
from webapp.extensions import db
from webapp.i18n.pages import gettext as _
from webapp.i18n.pages import use_language
from webapp.i18n.recipients import link_language_preferences
from webapp.preferences import bp
from webapp.redis_client import get_redis
from webapp.services import events
from webapp.services.consent import preferences
from webapp.services.links import preferences_url
from webapp.throttle import enforce

ONE_CLICK = "One-Click"


def _recipient(purpose: str, token: str) -> preferences.Recipient:
    enforce("public", current_app.config["HERALD"].public_rate_limit)
    recipient = preferences.recipient_from_token(purpose, token)
    if recipient is None:
        abort(404)
    return recipient


def _speak_to(recipient: preferences.Recipient) -> None:
    """The page's language (the one-click answer is for mail clients and stays as it is)."""
    use_language(*link_language_preferences(recipient.org, recipient.email, recipient.message_id))


def _page(recipient: preferences.Recipient, token: str, *, notice: str = "", status: int = 200):
    _speak_to(recipient)
    response = current_app.make_response(
        (
            render_template(
                "public/preferences.html",
                org=recipient.org,
                brand=recipient.org.brand,
                prefs=preferences.get_preferences(recipient.org.id, recipient.email),
                categories=preferences.CATEGORY_CHOICES,
                action_url=request.path,
                manage_url=preferences_url(recipient.org.id, recipient.email),
                notice=notice,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/u/<token>")
def unsubscribe_page(token: str):
    return _page(_recipient("unsubscribe", token), token)


@bp.post("/u/<token>")
def unsubscribe(token: str):
    recipient = _recipient("unsubscribe", token)
    if request.form.get("List-Unsubscribe") == ONE_CLICK:
        _unsubscribe(recipient, source="one_click")
        db.session.commit()
        return "You are unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return _handle_form(recipient, token)


@bp.route("/p/<token>", methods=["GET", "POST"])
def manage(token: str):
    recipient = _recipient("preferences", token)
    if request.method == "GET":
        return _page(recipient, token)
    return _handle_form(recipient, token)


def _handle_form(recipient: preferences.Recipient, token: str):
    _speak_to(recipient)
    action = request.form.get("action", "")
    if action == "unsubscribe":
        _unsubscribe(recipient, source="page")
        notice = _("You are unsubscribed from everything. You will not get more emails from us.")
    elif action == "resubscribe":
        preferences.resubscribe(recipient.org.id, recipient.email)
        notice = _("Welcome back: you are subscribed again.")
    elif action == "save":
        preferences.update_preferences(
            recipient.org.id,
            recipient.email,
            subscribed_categories=request.form.getlist("categories"),
            digest_frequency=request.form.get("digest_frequency", "off"),
        )
        notice = _("Your choices are saved.")
    else:
        return _page(recipient, token, notice=_("Choose an option below."), status=400)
    db.session.commit()
    return _page(recipient, token, notice=notice)


def _unsubscribe(recipient: preferences.Recipient, *, source: str) -> None:
    changed = preferences.unsubscribe_all(
        recipient.org.id, recipient.email, message_id=recipient.message_id, source=source
    )
    if changed and recipient.message_id is not None:
        after_commit(_push_unsubscribed, recipient.org.id, recipient.message_id, source)


def _push_unsubscribed(org_id, message_id, source: str) -> None:
    """The ``unsubscribed`` stat for the message, once the unsubscribe is committed."""
    events.push_event(
        get_redis(),
        org_id=org_id,
        message_id=message_id,
        type="unsubscribed",
        data={"via": source},
    )
