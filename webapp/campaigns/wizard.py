"""The bulk invitation wizard: job → candidates → template → when → review → confirm.

Each step is a page of its own (bookmarkable, works without JavaScript); with htmx the step
forms swap only the ``#wizard`` panel and push the step's URL. The draft Campaign row holds
the state, so going back and forth keeps every choice.
"""

from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.campaigns import bp
from webapp.extensions import db
from webapp.htmx import is_htmx, push_url
from webapp.i18n.catalogs import N_
from webapp.i18n.pages import gettext as _
from webapp.models import Campaign, CampaignStatus, Candidate, EmailTemplate, Job, Shortlist
from webapp.services.audience import shortlists
from webapp.services.audience.candidates import search_jobs
from webapp.services.campaigns import drafts as campaigns
from webapp.services.scheduling import format_local, parse_local_datetime
from webapp.tenancy import get_or_404, parse_uuid

STEPS = (
    ("campaigns.new", N_("Job")),
    ("campaigns.audience", N_("Candidates")),
    ("campaigns.template", N_("Template")),
    ("campaigns.schedule", N_("When")),
    ("campaigns.review", N_("Review")),
)
SHOWN_ROWS = 500
DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _step(name: str, campaign: Campaign | None, code: int = 200, **context):
    steps = [(endpoint, _(label)) for endpoint, label in STEPS]
    context.update(campaign=campaign, steps=steps, current=f"campaigns.{name}")
    template = f"campaigns/_step_{name}.html"
    if is_htmx():
        response = make_response(render_template(template, **context), code)
        return push_url(response, request.path)
    return render_template("campaigns/wizard.html", step_template=template, **context), code


def _draft(campaign_id) -> Campaign:
    campaign = get_or_404(Campaign, campaign_id, g.org)
    if campaign.status != CampaignStatus.DRAFT.value:
        return None
    return campaign


def _go(endpoint: str, campaign: Campaign):
    return redirect(url_for(endpoint, campaign_id=campaign.id), code=303)


@bp.route("/new", methods=["GET", "POST"])
def new():
    jobs = search_jobs(g.org.id, status="open", page=1).items
    selected = parse_uuid(request.values.get("job"))
    job = get_or_404(Job, selected, g.org) if selected else None
    lists = shortlists.shortlists_for_job(g.org.id, job.id) if job else []
    if request.method == "POST" and job is not None:
        shortlist = get_or_404(Shortlist, request.form.get("shortlist_id"), g.org)
        if shortlist.job_id == job.id:
            name = request.form.get("name", "").strip() or _("Invitations — %(job)s", job=job.title)
            campaign = campaigns.create_draft(
                g.org.id,
                job_id=job.id,
                shortlist_id=shortlist.id,
                name=name,
                created_by_id=current_user.id,
            )
            db.session.commit()
            return _go("campaigns.audience", campaign)
    return _step("new", None, jobs=jobs, job=job, lists=lists)


@bp.route("/<uuid:campaign_id>/audience", methods=["GET", "POST"])
def audience(campaign_id):
    campaign = _draft(campaign_id)
    if campaign is None:
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    query, status = request.values.get("q", ""), request.values.get("status", "")
    # The filter form always sends a hidden "0" and the ticked box adds "1"; no value at all
    # (first visit) means the default: exclude.
    flags = request.values.getlist("exclude_invited")
    exclude = "1" in flags if flags else request.method == "GET"
    choice = campaigns.audience_choice(
        g.org.id,
        campaign,
        query=query,
        status=status,
        exclude_invited=exclude,
        limit=SHOWN_ROWS,
    )
    error = ""
    if request.method == "POST" and request.form.get("action") == "next":
        ids = request.form.getlist("candidate_id")
        if request.form.get("all_matching") == "1":
            ids = choice.all_ids()
        if campaigns.set_audience(g.org.id, campaign, ids):
            db.session.commit()
            return _go("campaigns.template", campaign)
        error = _("Tick at least one candidate.")
    shown = {str(entry.candidate_id) for entry, _person, _invited in choice.rows}
    chosen = set(campaign.candidate_ids) & shown if campaign.candidate_ids else shown
    return _step(
        "audience",
        campaign,
        422 if error else 200,
        rows=choice.rows,
        total=choice.total,
        query=query,
        status=status,
        exclude=exclude,
        chosen=chosen,
        error=error,
    )


@bp.route("/<uuid:campaign_id>/template", methods=["GET", "POST"])
def template(campaign_id):
    campaign = _draft(campaign_id)
    if campaign is None:
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    error = ""
    if request.method == "POST" and request.form.get("use_default") == "invitation":
        chosen = campaigns.default_invitation(g.org.id, current_user.id)
        campaigns.set_template(campaign, chosen)
        db.session.commit()
        return _go("campaigns.template", campaign)
    if request.method == "POST":
        chosen = get_or_404(EmailTemplate, request.form.get("template_id"), g.org)
        error = campaigns.set_template(campaign, chosen) or ""
        if not error:
            db.session.commit()
            return _go("campaigns.schedule", campaign)
    people = campaigns.load_audience(g.org.id, campaign)[:200]
    templates = campaigns.org_templates(g.org.id)
    return _step(
        "template",
        campaign,
        422 if error else 200,
        templates=templates,
        has_invitation=any(t.type == "invitation" and t.current_version_id for t in templates),
        people=people,
        error=error,
    )


@bp.get("/<uuid:campaign_id>/preview")
def preview(campaign_id):
    campaign = get_or_404(Campaign, campaign_id, g.org)
    chosen = get_or_404(EmailTemplate, request.args.get("template_id"), g.org)
    person = None
    raw = request.args.get("candidate_id")
    if raw and raw in campaign.candidate_ids:
        person = get_or_404(Candidate, raw, g.org)
    result = campaigns.preview(g.org, campaign, chosen, person)
    return render_template("campaigns/_preview.html", result=result, person=person, chosen=chosen)


@bp.route("/<uuid:campaign_id>/schedule", methods=["GET", "POST"])
def schedule(campaign_id):
    campaign = _draft(campaign_id)
    if campaign is None:
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else _schedule_defaults(campaign)
    if request.method == "POST":
        errors = _save_schedule(campaign, form)
        if not errors:
            db.session.commit()
            return _go("campaigns.review", campaign)
    days = [_(day) for day in DAYS]
    return _step("schedule", campaign, 422 if errors else 200, form=form, errors=errors, days=days)


def _schedule_defaults(campaign: Campaign) -> dict:
    window = campaign.send_window or {}
    return {
        "mode": campaign.schedule_mode,
        "send_at": format_local(campaign.send_at, g.org.timezone, "%Y-%m-%dT%H:%M"),
        "local_time": campaign.local_time or "09:00",
        "window": "1" if window else "",
        "start": window.get("start", "08:00"),
        "end": window.get("end", "18:00"),
        "days": [str(d) for d in window.get("days", [0, 1, 2, 3, 4])],
    }


def _save_schedule(campaign: Campaign, form) -> dict[str, str]:
    from webapp.models import utcnow

    send_at = None
    if form.get("mode") == "at":
        try:
            send_at = parse_local_datetime(form.get("send_at", ""), g.org.timezone)
        except ValueError:
            return {"send_at": _("Pick a date and a time.")}
    window = None
    if form.get("window") == "1":
        days = sorted({int(d) for d in form.getlist("days") if d.isdigit() and int(d) < 7})
        window = {"days": days, "start": form.get("start", ""), "end": form.get("end", "")}
    return campaigns.set_schedule(
        campaign,
        mode=form.get("mode", ""),
        send_at=send_at,
        local_time=form.get("local_time", ""),
        window=window,
        now=utcnow(),
    )


@bp.get("/<uuid:campaign_id>/review")
def review(campaign_id):
    campaign = _draft(campaign_id)
    if campaign is None:
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    result = campaigns.review(g.org, campaign)
    return _step(
        "review", campaign, review=result, errors=[], typed_above=campaigns.CONFIRM_TYPED_ABOVE
    )


@bp.post("/<uuid:campaign_id>/confirm")
def confirm(campaign_id):
    campaign = _draft(campaign_id)
    if campaign is None:
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    if request.form.get("skip_missing") == "1":
        campaigns.drop_missing_data(g.org, campaign)
    errors = campaigns.confirm(
        g.org,
        campaign,
        typed_count=request.form.get("typed_count", ""),
        actor_user_id=current_user.id,
        actor_label=current_user.email,
    )
    if errors:
        db.session.rollback()
        campaign = get_or_404(Campaign, campaign_id, g.org)
        result = campaigns.review(g.org, campaign)
        return _step(
            "review",
            campaign,
            422,
            review=result,
            errors=errors,
            typed_above=campaigns.CONFIRM_TYPED_ABOVE,
        )
    db.session.commit()
    target = url_for("campaigns.show", campaign_id=campaign.id)
    if is_htmx():
        from webapp.htmx import redirect as hx_redirect

        return hx_redirect(make_response("", 204), target)
    return redirect(target, code=303)
