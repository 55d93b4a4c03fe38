"""Responses: candidates' answers to interview invitations, unread first, per job and campaign;
and each person's choice of how to hear about new answers."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import Membership, Role
from webapp.responses import bp
from webapp.services.interviews import response_notices, responses
from webapp.tenancy import parse_uuid

# Both actions are about reading (marking answers read, one's own notification choice), so
# every member, viewers included, may post them.
guard_blueprint(bp, write=Role.VIEWER)


def _membership() -> Membership:
    return db.session.scalars(
        select(Membership).where(
            Membership.org_id == g.org.id, Membership.user_id == current_user.id
        )
    ).one()


@bp.get("/")
def index():
    job_id = parse_uuid(request.args.get("job"))
    campaign_id = parse_uuid(request.args.get("campaign"))
    jobs, campaigns = responses.filter_choices(g.org.id)
    return render_template(
        "responses/index.html",
        rows=responses.list_responses(g.org.id, job_id=job_id, campaign_id=campaign_id),
        unread=responses.unread_count(g.org.id),
        jobs=jobs,
        campaigns=campaigns,
        job_id=job_id,
        campaign_id=campaign_id,
        choice=_membership().response_notifications,
        choices=response_notices.CHOICES,
    )


@bp.post("/read")
def mark_read():
    ids = [i for i in map(parse_uuid, request.form.getlist("entry_id")) if i]
    count = responses.mark_read(g.org.id, ids or None)
    db.session.commit()
    flash(gettext("%(n)s answer(s) marked as read.", n=count), "success")
    return redirect(_back())


@bp.post("/notifications")
def notifications():
    try:
        response_notices.set_choice(_membership(), request.form.get("choice", ""))
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(_back())
    db.session.commit()
    flash(gettext("Your notification choice is saved."), "success")
    return redirect(_back())


def _back() -> str:
    """The list again, with the filters it had (ids only: never a URL from the form)."""
    job, campaign = parse_uuid(request.form.get("job")), parse_uuid(request.form.get("campaign"))
    return url_for("responses.index", job=job, campaign=campaign)
