"""Campaign pages: the list, the live progress page and its controls."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.campaigns import bp
from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.i18n.pages import gettext as _
from webapp.i18n.pages import ngettext
from webapp.models import Campaign, CampaignStatus, EmailTemplate, Job
from webapp.services.campaigns import drafts as campaigns
from webapp.services.campaigns import run as campaign_run
from webapp.tenancy import get_or_404, get_scoped

guard_blueprint(bp)

STATE_ORDER = (
    "scheduled",
    "queued",
    "sending",
    "deferred",
    "paused",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "failed",
    "unknown",
    "suppressed",
    "canceled",
)


@bp.get("/")
def index():
    page = campaigns.list_campaigns(g.org.id, request.args.get("page", 1, type=int) or 1)
    progress = {c.id: campaign_run.progress(c) for c in page.items}
    return render_template("campaigns/index.html", result=page, progress=progress)


def _actor() -> dict:
    return {"actor_user_id": current_user.id, "actor_label": current_user.email}


@bp.get("/<uuid:campaign_id>")
def show(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    if campaign.status == CampaignStatus.DRAFT.value:
        return redirect(url_for("campaigns.audience", campaign_id=campaign.id))
    if campaign_run.refresh_status(campaign):
        db.session.commit()
    status_filter = request.args.get("status", "")
    context = {
        "campaign": campaign,
        "p": campaign_run.progress(campaign),
        "states": STATE_ORDER,
        "job": get_scoped(Job, campaign.job_id, g.org) if campaign.job_id else None,
        "template": get_scoped(EmailTemplate, campaign.template_id, g.org)
        if campaign.template_id
        else None,
        "recipients": campaign_run.recipients(
            campaign, status=status_filter, page=request.args.get("page", 1, type=int) or 1
        ),
        "status_filter": status_filter,
    }
    if is_htmx() and request.args.get("fragment") == "progress":
        return render_template("campaigns/_progress.html", **context)
    return render_template("campaigns/show.html", **context)


@bp.post("/<uuid:campaign_id>/pause")
def pause(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    if campaign_run.pause(campaign, **_actor()):
        db.session.commit()
        flash(_("Campaign paused: nothing more is sent until you resume it."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.post("/<uuid:campaign_id>/resume")
def resume(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    if campaign_run.resume(campaign, **_actor()):
        db.session.commit()
        flash(_("Campaign resumed."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.post("/<uuid:campaign_id>/delete")
def delete(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    name = campaign.name
    if not campaign_run.delete_draft(campaign, **_actor()):
        flash(_("Only a draft can be deleted; cancel a confirmed campaign instead."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    db.session.commit()
    flash(_("Draft “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("campaigns.index"))


@bp.post("/<uuid:campaign_id>/cancel")
def cancel(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    canceled = campaign_run.cancel(campaign, **_actor())
    db.session.commit()
    message = ngettext(
        "Campaign canceled; %(num)s unsent message(s) will not be sent.",
        "Campaign canceled; %(num)s unsent message(s) will not be sent.",
        canceled,
    )
    flash(message, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.post("/<uuid:campaign_id>/resend-failed")
def resend_failed(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    count = campaign_run.resend_failed(campaign, **_actor())
    db.session.commit()
    message = ngettext(
        "%(num)s failed message(s) will be sent again.",
        "%(num)s failed message(s) will be sent again.",
        count,
    )
    flash(message, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


from webapp.campaigns import wizard  # noqa: E402,F401  the wizard's routes on ``bp``
