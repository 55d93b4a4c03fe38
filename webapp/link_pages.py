"""The page that answers a dead or invalid candidate-facing link (``/i``, ``/u``, ``/p``, ``/t``).

A revoked, expired, tampered or unknown link on a page a candidate opens gets one 404 page in
the brand of the organization the link names: "This link is no longer valid — contact Acme
Talent", never the dashboard's error page. Which organization is read from the token alone
(``tokens.unverified_org_id``), so the answer is the same for every dead token of that
organization, existing row or not, and nothing is written (REQUIREMENTS C5). A link that names
no organization gets the same page without a brand. Other errors on those links (too many
requests, a bad request, a failure on our side) get the same branded page with a word about
what happened. Both speak the organization's language: the token is not trusted enough to
look up its candidate.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.exceptions import HTTPException

from webapp.extensions import db
from webapp.i18n.pages import use_language
from webapp.models import Organization
from webapp.services.tokens import unverified_org_id

PREFIXES = ("/i/", "/u/", "/p/", "/t/")
PURPOSES = {
    "interviews.show": "interview",
    "interviews.answer": "interview",
    "preferences.unsubscribe_page": "unsubscribe",
    "preferences.unsubscribe": "unsubscribe",
    "preferences.manage": "preferences",
    "tracking.click": "click",
    "tracking.open_pixel": "open",
}


def is_candidate_link() -> bool:
    return request.path.startswith(PREFIXES)


# When routing itself failed (a 405), the path says which kind of link it was.
PREFIX_PURPOSES = {"/i/": "interview", "/u/": "unsubscribe", "/p/": "preferences"}


def _purpose_and_token() -> tuple[str, str]:
    if request.endpoint in PURPOSES:
        return PURPOSES[request.endpoint], (request.view_args or {}).get("token", "")
    purpose = PREFIX_PURPOSES.get(request.path[:3], "")
    return purpose, request.path[3:].split("/", 1)[0] if purpose else ""


def _named_org() -> Organization | None:
    purpose, token = _purpose_and_token()
    org_id = unverified_org_id(purpose, token) if purpose else None
    org = db.session.get(Organization, org_id) if org_id else None
    use_language(org.locale if org else "")
    return org


def invalid_link_page(status: int = 404):
    org = _named_org()
    html = render_template(
        "public/link_invalid.html",
        org=org,
        brand=org.brand if org else None,
        contact=(org.reply_to or org.sender_email) if org else "",
    )
    return _answer(html, status)


def error_page(exc: HTTPException):
    """Any other error on a candidate link, in the organization's brand and language."""
    try:
        org = _named_org()
    except Exception:  # the database may be what failed: the page still shows, unbranded
        db.session.rollback()
        org = None
    html = render_template("public/error.html", org=org, brand=org.brand if org else None,
                           error=exc)  # fmt: skip
    return _answer(html, exc.code or 500)


def _answer(html: str, status: int):
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
