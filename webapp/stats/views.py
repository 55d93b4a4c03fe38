"""Statistics: the overview of a date range, breakdowns, a campaign's report, queue health."""

from __future__ import annotations

import redis
from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from webapp.current import guard_blueprint, require_role
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.i18n.catalogs import N_
from webapp.i18n.pages import gettext
from webapp.models import Campaign, MessageStatus, Role
from webapp.redis_client import get_redis
from webapp.services import audit, csv_export
from webapp.services.sending import scheduler_status
from webapp.services.sending.guardrails import sending_health
from webapp.services.stats import breakdowns, campaign_report, queue_health
from webapp.services.stats.alerts import failure_alert
from webapp.services.stats.overview import overview_for
from webapp.services.stats.ranges import PRESETS, DateRange, parse_range, preset_range, zone
from webapp.stats import bp
from webapp.tenancy import get_or_404

guard_blueprint(bp, read=Role.VIEWER, write=Role.ADMIN)

BREAKDOWNS = {
    "campaign": N_("Campaigns"),
    "template": N_("Templates"),
    "job": N_("Jobs"),
    "domain": N_("Recipient domains"),
    "links": N_("Top links"),
}


def _breakdown_names() -> dict[str, str]:
    """The breakdown tabs, in the page's language."""
    return {key: gettext(label) for key, label in BREAKDOWNS.items()}


def _period() -> DateRange:
    args = request.args
    days = args.get("days", type=int)
    if days in PRESETS and not (args.get("start") or args.get("end")):
        return preset_range(days, g.org.timezone)
    period, error = parse_range(args.get("start"), args.get("end"), g.org.timezone)
    if error:
        flash(error, "error")
    return period


def _range_args(period: DateRange) -> dict:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


@bp.get("/")
def overview():
    period = _period()
    return render_template(
        "stats/overview.html",
        data=overview_for(g.org.id, period),
        health=sending_health(g.org.id),
        failures=failure_alert(g.org.id),
        range_args=_range_args(period),
        presets=PRESETS,
        breakdown_names=_breakdown_names(),
    )


def _breakdown_rows(kind: str, period: DateRange):
    start, end = period.start_utc, period.end_utc
    loaders = {
        "campaign": breakdowns.by_campaign,
        "template": breakdowns.by_template_version,
        "job": breakdowns.by_job,
        "domain": breakdowns.by_domain,
        "links": breakdowns.top_links,
    }
    return loaders[kind](g.org.id, start, end)


@bp.get("/breakdowns")
def breakdown():
    period = _period()
    kind = request.args.get("by", "campaign")
    kind = kind if kind in BREAKDOWNS else "campaign"
    context = {
        "kind": kind,
        "rows": _breakdown_rows(kind, period),
        "range_args": _range_args(period),
        "breakdown_names": _breakdown_names(),
        "period": period,
    }
    if is_htmx():
        return render_template("stats/_breakdown.html", **context)
    return render_template("stats/breakdown.html", **context)


@bp.get("/campaigns/<uuid:campaign_id>")
def campaign(campaign_id):
    found = get_or_404(Campaign, campaign_id, g.org)
    flt = campaign_report.RecipientFilter.from_args(request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, has_next = campaign_report.recipients_page(g.org.id, found.id, flt, page)
    context = {"rows": rows, "has_next": has_next, "page": page, "flt": flt, "campaign": found}
    if is_htmx():
        return render_template("stats/_recipients.html", **context)
    return render_template(
        "stats/campaign.html",
        funnel=campaign_report.campaign_funnel(g.org.id, found.id),
        states=[state.value for state in MessageStatus],
        **context,
    )


@bp.get("/campaigns/<uuid:campaign_id>/recipients.csv")
def campaign_export(campaign_id):
    found = get_or_404(Campaign, campaign_id, g.org)
    flt = campaign_report.RecipientFilter.from_args(request.args)
    rows = campaign_report.recipients_csv_rows(g.org.id, found.id, flt)
    lines = csv_export.csv_lines(campaign_report.CSV_HEADER, rows)
    filename = f"campaign-{found.id}-recipients.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/queues")
@require_role(Role.ADMIN)
def queues():
    settings = current_app.config["HERALD"]
    conn = get_redis()
    return render_template(
        "stats/queues.html",
        snapshot=queue_health.redis_snapshot(conn),
        waiting=queue_health.waiting_messages(g.org.id, stuck_after=settings.requeue_after_seconds),
        ahead=_local_hours(queue_health.scheduled_ahead(g.org.id)),
        circuits=queue_health.relay_circuits(conn, g.org.id),
        scheduler=_scheduler_state(conn),
        stuck=scheduler_status.stuck_by_org(settings.stuck_alert_seconds).get(g.org.id, 0),
        health=sending_health(g.org.id),
        failures=failure_alert(g.org.id),
    )


def _scheduler_state(conn) -> dict | None:
    try:
        return scheduler_status.scheduler_state(conn)
    except redis.RedisError:
        return None  # the page already says Redis did not answer


def _local_hours(rows):
    tz = zone(g.org.timezone)
    return [(at.astimezone(tz).strftime("%a %H:00"), count) for at, count in rows]


@bp.post("/queues/<queue_name>/failed/<rq_job>/requeue")
def requeue(queue_name, rq_job):
    """Retry a failed RQ job. RQ jobs belong to the installation, not to one organization, so
    the argument is not an organization object id; the action is audited."""
    job_id = rq_job[:100]
    if queue_health.requeue_failed(get_redis(), queue_name, job_id):
        audit.record(
            g.org.id,
            "job.requeue",
            actor_user_id=current_user.id,
            actor_label=current_user.email,
            target_type="job",
            target_id=job_id[:64],
            details={"queue": queue_name},
        )
        db.session.commit()
        flash(gettext("The job is back on its queue."), "success")
    else:
        flash(gettext("That job is no longer in the failed list."), "warning")
    return redirect(url_for("stats.queues"))
