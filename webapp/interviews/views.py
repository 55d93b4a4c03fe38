"""The candidate's interview page at ``/i/<token>``: public, authenticated by the signed token.

GET only shows (link scanners follow links); POST records the answer. A tampered, expired,
revoked or unknown token gets one uniform 404 page that reveals nothing. The page speaks the
candidate's language (their locale, the same language without region, the organization's,
English), with times in the candidate's zone and language.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, render_template, request

from webapp.extensions import db
from webapp.i18n.catalogs import N_
from webapp.i18n.pages import gettext, use_language, when, zone_name
from webapp.interviews import bp
from webapp.models import Candidate, Job, Organization, Shortlist
from webapp.services.interviews import links as interview_links
from webapp.services.tokens import InvalidToken
from webapp.throttle import enforce


def _load(token: str):
    enforce("public", current_app.config["HERALD"].public_rate_limit)
    try:
        entry = interview_links.verify(token)
    except InvalidToken:
        abort(404)
    return entry


def _page(entry, *, notice: str = "", error: str = "", status: int = 200):
    """``notice`` and ``error`` are catalog messages, translated once the language is known
    (as plain text: the template escapes them like any value)."""
    org = db.session.get(Organization, entry.org_id)
    candidate = db.session.get(Candidate, entry.candidate_id)
    shortlist = db.session.get(Shortlist, entry.shortlist_id)
    job = db.session.get(Job, shortlist.job_id)
    use_language(candidate.locale, org.locale)
    tz = candidate.timezone or org.timezone
    slots = [
        (raw, when(datetime.fromisoformat(raw), tz, org.timezone)["full"])
        for raw in entry.offered_slots or []
    ]
    response = current_app.make_response(
        (
            render_template(
                "interviews/show.html",
                org=org,
                brand=org.brand,
                entry=entry,
                candidate=candidate,
                job=job,
                when=when(entry.interview_at, tz, org.timezone) if entry.interview_at else None,
                zone_label=zone_name(tz),
                slots=slots,
                picked_slot=_picked_slot(entry),
                notice=gettext(notice) if notice else "",
                error=gettext(error) if error else "",
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _picked_slot(entry) -> str | None:
    """The offered slot the interview is set to (the candidate's pick), if any."""
    for raw in entry.offered_slots or []:
        if entry.interview_at is not None and datetime.fromisoformat(raw) == entry.interview_at:
            return raw
    return None


@bp.get("/<token>")
def show(token: str):
    return _page(_load(token))


@bp.post("/<token>")
def answer(token: str):
    entry = _load(token)
    action = request.form.get("action", "")
    try:
        status = interview_links.respond(
            entry, action, slot=request.form.get("slot", ""), note=request.form.get("note", "")
        )
    except ValueError as exc:
        db.session.rollback()
        return _page(_load(token), error=str(exc), status=422)
    db.session.commit()
    notices = {
        "accepted": N_("Thank you! Your interview is confirmed."),
        "declined": N_("Thank you for letting us know. Your answer was sent to the recruiter."),
        "reschedule_requested": N_("Thank you. The recruiter will propose another time."),
    }
    return _page(entry, notice=notices[status])
