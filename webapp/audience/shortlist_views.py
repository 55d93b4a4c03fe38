"""Shortlist pages: entries, adding candidates (search + checkboxes), interview details."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.audience import bp
from webapp.audience.forms import EntryForm
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.i18n.pages import gettext
from webapp.models import Candidate, Job, Shortlist, ShortlistEntry
from webapp.services import audit
from webapp.services.audience import candidates as candidate_service
from webapp.services.audience import shortlists
from webapp.services.interviews import links as interview_links
from webapp.services.interviews import reminders
from webapp.services.interviews import times as interview_times
from webapp.services.interviews import updates as interview_updates
from webapp.services.notify import triggers
from webapp.services.scheduling import format_local, parse_local_datetime
from webapp.tenancy import get_or_404, parse_uuid

STATUS_FILTERS = ("", "pending", "invited", "accepted", "declined", "reschedule_requested")


@bp.get("/shortlists/<uuid:shortlist_id>")
def show_shortlist(shortlist_id):
    shortlist = get_or_404(Shortlist, shortlist_id, g.org)
    query, status = request.args.get("q", ""), request.args.get("status", "")
    rows = shortlists.entries(g.org.id, shortlist.id, query=query, status=status)
    job = get_or_404(Job, shortlist.job_id, g.org)
    return render_template(
        "audience/shortlist.html",
        shortlist=shortlist,
        job=job,
        rows=rows,
        query=query,
        status=status,
        statuses=STATUS_FILTERS,
        notify_default=interview_updates.notifies_by_default(g.org),
    )


@bp.get("/shortlists/<uuid:shortlist_id>/search")
def search_for_shortlist(shortlist_id):
    shortlist = get_or_404(Shortlist, shortlist_id, g.org)
    query = request.args.get("q", "")
    result = candidate_service.search_candidates(g.org.id, query=query, page=1)
    on_list = {row[0].candidate_id for row in shortlists.entries(g.org.id, shortlist.id)}
    template = "audience/_search_results.html" if is_htmx() else "audience/add_candidates.html"
    return render_template(
        template, shortlist=shortlist, result=result, query=query, on_list=on_list
    )


@bp.post("/shortlists/<uuid:shortlist_id>/add")
def add_to_shortlist(shortlist_id):
    shortlist = get_or_404(Shortlist, shortlist_id, g.org)
    ids = [cid for cid in map(parse_uuid, request.form.getlist("candidate_id")) if cid]
    if not ids:
        flash(gettext("Tick at least one candidate to add."), "error")
        return redirect(url_for("audience.search_for_shortlist", shortlist_id=shortlist.id))
    added = shortlists.add_candidates(g.org.id, shortlist, ids)
    db.session.commit()
    flash(gettext("%(n)s candidate(s) added to the shortlist.", n=added), "success")
    return redirect(url_for("audience.show_shortlist", shortlist_id=shortlist.id))


@bp.post("/shortlists/<uuid:shortlist_id>/remove")
def remove_from_shortlist(shortlist_id):
    shortlist = get_or_404(Shortlist, shortlist_id, g.org)
    removed = 0
    for entry_id in request.form.getlist("entry_id"):
        entry = get_or_404(ShortlistEntry, entry_id, g.org)
        if entry.shortlist_id == shortlist.id:
            reminders.cancel_for_entry(entry)
            shortlists.remove_entry(entry)
            removed += 1
    db.session.commit()
    flash(gettext("%(n)s candidate(s) removed from the shortlist.", n=removed), "success")
    return redirect(url_for("audience.show_shortlist", shortlist_id=shortlist.id))


@bp.post("/shortlists/<uuid:shortlist_id>/schedule")
def schedule_entries(shortlist_id):
    """Times for the ticked entries at once: one after another, or the same offered times."""
    shortlist = get_or_404(Shortlist, shortlist_id, g.org)
    back = redirect(url_for("audience.show_shortlist", shortlist_id=shortlist.id))
    picked = [get_or_404(ShortlistEntry, i, g.org) for i in request.form.getlist("entry_id")]
    entries = [e for e in picked if e.shortlist_id == shortlist.id]
    if not entries:
        flash(gettext("Tick the candidates to schedule first."), "error")
        return back
    try:
        plan = _bulk_plan(request.form)
        done = interview_times.schedule_many(g.org, entries, **plan)
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    pairs = [(db.session.get(Candidate, e.candidate_id), e.interview_at) for e, _ in done]
    db.session.commit()
    if plan.get("start"):
        done_text = gettext("%(n)s candidate(s): times set; reminders follow.", n=len(done))
    else:
        done_text = gettext("%(n)s candidate(s): times offered; reminders follow.", n=len(done))
    flash(done_text, "success")
    warning = interview_times.warning_text(interview_times.odd_hours(pairs))
    if warning and plan.get("start"):
        flash(warning, "warning")
    return back


def _bulk_plan(form) -> dict:
    notify = bool(form.get("notify_candidate"))
    if form.get("mode") == "slots":
        try:
            slots = [
                parse_local_datetime(line, g.org.timezone).isoformat()
                for line in (form.get("slots") or "").splitlines()
                if line.strip()
            ]
        except ValueError:
            raise ValueError(gettext("Offered times: one per line, as YYYY-MM-DD HH:MM.")) from None
        if not slots:
            raise ValueError(gettext("Give at least one time to offer, one per line."))
        return {"slots": slots, "notify": notify}
    try:
        start = parse_local_datetime(form.get("start") or "", g.org.timezone)
    except ValueError:
        raise ValueError(
            gettext("Give the first interview's start, e.g. 2026-05-04 09:30.")
        ) from None
    length, gap = form.get("length", type=int), form.get("gap", type=int, default=0)
    if not length or not 5 <= length <= 600 or gap is None or not 0 <= gap <= 600:
        raise ValueError(gettext("Length: 5 to 600 minutes; gap: 0 to 600 minutes."))
    return {"start": start, "length": length, "gap": gap, "notify": notify}


def _slots_text(entry: ShortlistEntry) -> str:
    from datetime import datetime

    return "\n".join(
        format_local(datetime.fromisoformat(s), g.org.timezone, "%Y-%m-%d %H:%M")
        for s in entry.offered_slots or []
    )


@bp.route("/entries/<uuid:entry_id>", methods=["GET", "POST"])
def edit_entry(entry_id):
    entry = get_or_404(ShortlistEntry, entry_id, g.org)
    candidate = get_or_404(Candidate, entry.candidate_id, g.org)
    form = EntryForm(obj=entry)
    if request.method == "GET":
        form.interview_at.data = format_local(entry.interview_at, g.org.timezone, "%Y-%m-%dT%H:%M")
        form.offered_slots.data = _slots_text(entry)
        form.notify_candidate.data = interview_updates.notifies_by_default(g.org)
    if form.validate_on_submit():
        values = _entry_values(form)
        if values is not None:
            change = shortlists.update_entry(entry, **values)
            reminders.on_entry_change(g.org, entry, change)
            triggers.interview_event(g.org, entry, change)
            announced = None
            if form.notify_candidate.data:
                announced = interview_updates.announce_change(g.org, entry, change)
            db.session.commit()
            flash(_saved_message(change, announced), "success")
            odd = interview_times.odd_hours([(candidate, entry.interview_at)])
            if odd and not entry.is_canceled:
                flash(interview_times.warning_text(odd), "warning")
            return redirect(url_for("audience.show_shortlist", shortlist_id=entry.shortlist_id))
    odd = interview_times.odd_hours([(candidate, entry.interview_at)])
    return render_template(
        "audience/entry.html",
        entry=entry,
        candidate=candidate,
        form=form,
        invite_url=interview_links.invite_url(entry),
        odd_hour_warning=interview_times.warning_text(odd) if not entry.is_canceled else None,
    )


def _saved_message(change: str, announced) -> str:
    if announced is not None:
        if announced.kind == "cancellation":
            return gettext(
                "Interview saved. The candidate will be emailed the cancellation in a moment."
            )
        return gettext("Interview saved. The candidate will be emailed the new time in a moment.")
    if change == "canceled":
        return gettext("Interview canceled; its reminders are canceled.")
    return gettext("Interview saved; reminders follow the new time.")


def _entry_values(form: EntryForm) -> dict | None:
    tz = g.org.timezone
    try:
        at = parse_local_datetime(form.interview_at.data, tz) if form.interview_at.data else None
    except ValueError:
        form.interview_at.errors = [gettext("Give a date and time, e.g. 2026-05-04 09:30.")]
        return None
    slots = []
    for line in (form.offered_slots.data or "").splitlines():
        if line.strip():
            try:
                slots.append(parse_local_datetime(line, tz).isoformat())
            except ValueError:
                form.offered_slots.errors = [
                    gettext("Not a date and time: %(line)s.", line=repr(line.strip()))
                ]
                return None
    return {
        "interview_at": at,
        "duration_minutes": form.duration_minutes.data,
        "location": form.location.data or "",
        "video_url": form.video_url.data or "",
        "offered_slots": slots,
        "is_canceled": form.is_canceled.data,
    }


@bp.post("/entries/<uuid:entry_id>/revoke")
def revoke_link(entry_id):
    entry = get_or_404(ShortlistEntry, entry_id, g.org)
    interview_links.revoke(entry)
    audit.record(
        g.org.id,
        "interview_link.revoke",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="shortlist_entry",
        target_id=entry.id,
    )
    db.session.commit()
    flash(gettext("Earlier interview links for this candidate no longer work."), "success")
    return redirect(url_for("audience.edit_entry", entry_id=entry.id))
