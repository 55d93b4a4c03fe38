"""The candidate's interview page at ``/i/<token>``: public, authenticated by the signed token.

GET only shows (link scanners follow links); POST records the answer. A tampered, expired,
revoked or unknown token gets one uniform 404 page that reveals nothing.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from webapp.extensions import db
from webapp.interviews import bp
from webapp.models import Candidate, Job, Organization, Shortlist
from webapp.services.campaigns.context import interview_context
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
    org = db.session.get(Organization, entry.org_id)
    candidate = db.session.get(Candidate, entry.candidate_id)
    shortlist = db.session.get(Shortlist, entry.shortlist_id)
    job = db.session.get(Job, shortlist.job_id)
    slots = list(
        zip(
            entry.offered_slots or [],
            interview_context(entry, candidate.timezone, org.timezone).get("slots", []),
            strict=False,
        )
    )
    response = current_app.make_response(
        (
            render_template(
                "interviews/show.html",
                org=org,
                brand=org.brand,
                entry=entry,
                candidate=candidate,
                job=job,
                interview=interview_context(entry, candidate.timezone, org.timezone),
                slots=slots,
                picked_slot=_picked_slot(entry),
                notice=notice,
                error=error,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _picked_slot(entry) -> str | None:
    """The offered slot the interview is set to (the candidate's pick), if any."""
    from datetime import datetime

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
        "accepted": "Thank you! Your interview is confirmed.",
        "declined": "Thank you for letting us know. Your answer was sent to the recruiter.",
        "reschedule_requested": "Thank you. The recruiter will propose another time.",
    }
    return _page(entry, notice=notices[status])
