"""Candidates and jobs: lists with search, filters and pagination; create, edit, erase."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.audience import bp
from webapp.audience.forms import CandidateForm, JobForm
from webapp.current import guard_blueprint
from webapp.extensions import db
from webapp.i18n.pages import gettext
from webapp.models import Candidate, Job
from webapp.services import audit
from webapp.services.audience import candidates as candidate_service
from webapp.services.audience import shortlists
from webapp.services.inbound import history as inbound_history
from webapp.services.scheduling import known_timezones
from webapp.tenancy import get_or_404

guard_blueprint(bp)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/candidates")
def candidates():
    query, zone_name = request.args.get("q", ""), request.args.get("tz", "")
    job_id = request.args.get("job", "")
    job = get_or_404(Job, job_id, g.org) if job_id else None
    result = candidate_service.search_candidates(
        g.org.id, query=query, timezone=zone_name, page=_page(), job_id=job.id if job else None
    )
    jobs = candidate_service.search_jobs(g.org.id, page=1).items
    return render_template(
        "audience/candidates.html",
        result=result,
        query=query,
        tz=zone_name,
        job=job,
        jobs=jobs,
    )


@bp.route("/candidates/new", methods=["GET", "POST"])
def new_candidate():
    form = CandidateForm()
    if form.validate_on_submit() and _save(form, None):
        db.session.commit()
        flash(gettext("Candidate added."), "success")
        return redirect(url_for("audience.candidates"))
    return render_template(
        "audience/candidate_form.html", form=form, candidate=None, zones=sorted(known_timezones())
    )


@bp.route("/candidates/<uuid:candidate_id>/edit", methods=["GET", "POST"])
def edit_candidate(candidate_id):
    candidate = get_or_404(Candidate, candidate_id, g.org)
    form = CandidateForm(obj=candidate)
    if form.validate_on_submit() and _save(form, candidate):
        db.session.commit()
        flash(gettext("Candidate saved."), "success")
        return redirect(url_for("audience.show_candidate", candidate_id=candidate.id))
    return render_template(
        "audience/candidate_form.html",
        form=form,
        candidate=candidate,
        zones=sorted(known_timezones()),
    )


def _save(form: CandidateForm, candidate: Candidate | None) -> bool:
    try:
        candidate_service.save_candidate(g.org.id, form.data, candidate)
    except candidate_service.CandidateError as exc:
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, str(exc)]
        db.session.rollback()
        return False
    return True


@bp.get("/candidates/<uuid:candidate_id>")
def show_candidate(candidate_id):
    candidate = get_or_404(Candidate, candidate_id, g.org)
    messages = candidate_service.candidate_messages(g.org.id, candidate.id)
    memberships = candidate_service.candidate_shortlists(g.org.id, candidate.id)
    return render_template(
        "audience/candidate.html",
        candidate=candidate,
        messages=messages,
        memberships=memberships,
        replies=inbound_history.replies_of(g.org.id, candidate.id),
    )


@bp.post("/candidates/<uuid:candidate_id>/erase")
def erase_candidate(candidate_id):
    candidate = get_or_404(Candidate, candidate_id, g.org)
    candidate_service.erase_candidate(candidate)
    audit.record(
        g.org.id,
        "candidate.erase",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="candidate",
        target_id=candidate.id,
    )
    db.session.commit()
    flash(
        gettext("The candidate's personal data was erased. Anonymous counts are kept."), "success"
    )
    return redirect(url_for("audience.candidates"))


@bp.get("/jobs")
def jobs():
    query, status = request.args.get("q", ""), request.args.get("status", "")
    result = candidate_service.search_jobs(g.org.id, query=query, status=status, page=_page())
    return render_template("audience/jobs.html", result=result, query=query, status=status)


@bp.route("/jobs/new", methods=["GET", "POST"])
def new_job():
    form = JobForm()
    form.recruiter_ids.choices = _member_choices()
    if form.validate_on_submit():
        job = candidate_service.save_job(g.org.id, form.data)
        shortlists.create_shortlist(g.org.id, job, gettext("%(job)s shortlist", job=job.title))
        db.session.commit()
        flash(gettext("Job created with an empty shortlist."), "success")
        return redirect(url_for("audience.show_job", job_id=job.id))
    return render_template("audience/job_form.html", form=form, job=None)


@bp.route("/jobs/<uuid:job_id>/edit", methods=["GET", "POST"])
def edit_job(job_id):
    job = get_or_404(Job, job_id, g.org)
    form = JobForm(obj=job)
    form.recruiter_ids.choices = _member_choices()
    if form.validate_on_submit():
        candidate_service.save_job(g.org.id, form.data, job)
        db.session.commit()
        flash(gettext("Job saved."), "success")
        return redirect(url_for("audience.show_job", job_id=job.id))
    return render_template("audience/job_form.html", form=form, job=job)


def _member_choices() -> list[tuple[str, str]]:
    from webapp.services.accounts.members import member_choices

    return member_choices(g.org.id)


@bp.get("/jobs/<uuid:job_id>")
def show_job(job_id):
    job = get_or_404(Job, job_id, g.org)
    lists = shortlists.shortlists_for_job(g.org.id, job.id)
    return render_template("audience/job.html", job=job, lists=lists)


@bp.post("/jobs/<uuid:job_id>/shortlists")
def create_shortlist(job_id):
    job = get_or_404(Job, job_id, g.org)
    shortlist = shortlists.create_shortlist(g.org.id, job, request.form.get("name", ""))
    db.session.commit()
    return redirect(url_for("audience.show_shortlist", shortlist_id=shortlist.id))


from webapp.audience import imports, shortlist_views  # noqa: E402,F401  routes on ``bp``
