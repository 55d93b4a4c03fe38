from flask import abort, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from webapp.current import SESSION_ORG_KEY
from webapp.dashboard import bp
from webapp.extensions import db
from webapp.models import Campaign, Candidate, EmailTemplate, Job, Message, MessageStatus
from webapp.services.accounts.organizations import membership_for
from webapp.tenancy import parse_uuid, scoped


@bp.get("/")
@login_required
def index():
    if g.org is None:
        return render_template("dashboard/no_org.html")
    counts = {
        name: db.session.scalar(scoped(select(func.count()).select_from(model), g.org, model))
        for name, model in (
            ("templates", EmailTemplate),
            ("candidates", Candidate),
            ("jobs", Job),
            ("campaigns", Campaign),
            ("messages", Message),
        )
    }
    counts["moving"] = db.session.scalar(
        scoped(select(func.count()).select_from(Message), g.org, Message).where(
            Message.status.in_((MessageStatus.QUEUED.value, MessageStatus.SENDING.value))
        )
    )
    recent = db.session.scalars(
        scoped(select(Campaign), g.org).order_by(Campaign.created_at.desc()).limit(5)
    ).all()
    return render_template("dashboard/index.html", counts=counts, recent_campaigns=recent)


@bp.post("/switch-org")
@login_required
def switch_org():
    org_id = parse_uuid(request.form.get("org_id"))
    if org_id is None or membership_for(current_user.id, org_id) is None:
        abort(404)
    session[SESSION_ORG_KEY] = str(org_id)
    return redirect(url_for("dashboard.index"))
