"""Shortlist pages: entries, adding candidates (search + checkboxes), interview details."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.audience import bp
from webapp.audience.forms import EntryForm
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.models import Candidate, Job, Shortlist, ShortlistEntry
from webapp.services import (
    audit,
    interview_links,
    interview_updates,
    reminders,
    shortlists,
    triggers,
)
from webapp.services import candidates as candidate_service
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
        flash("Tick at least one candidate to add.", "error")
        return redirect(url_for("audience.search_for_shortlist", shortlist_id=shortlist.id))
    added = shortlists.add_candidates(g.org.id, shortlist, ids)
    db.session.commit()
    flash(f"{added} candidate(s) added to the shortlist.", "success")
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
    flash(f"{removed} candidate(s) removed from the shortlist.", "success")
    return redirect(url_for("audience.show_shortlist", shortlist_id=shortlist.id))


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
            return redirect(url_for("audience.show_shortlist", shortlist_id=entry.shortlist_id))
    return render_template(
        "audience/entry.html",
        entry=entry,
        candidate=candidate,
        form=form,
        invite_url=interview_links.invite_url(entry),
    )


def _saved_message(change: str, announced) -> str:
    if announced is not None:
        what = "cancellation" if announced.kind == "cancellation" else "new time"
        return f"Interview saved. The candidate will be emailed the {what} in a moment."
    if change == "canceled":
        return "Interview canceled; its reminders are canceled."
    return "Interview saved; reminders follow the new time."


def _entry_values(form: EntryForm) -> dict | None:
    tz = g.org.timezone
    try:
        at = parse_local_datetime(form.interview_at.data, tz) if form.interview_at.data else None
    except ValueError:
        form.interview_at.errors = ["Give a date and time, e.g. 2026-05-04 09:30."]
        return None
    slots = []
    for line in (form.offered_slots.data or "").splitlines():
        if line.strip():
            try:
                slots.append(parse_local_datetime(line, tz).isoformat())
            except ValueError:
                form.offered_slots.errors = [f"Not a date and time: {line.strip()!r}."]
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
    flash("Earlier interview links for this candidate no longer work.", "success")
    return redirect(url_for("audience.edit_entry", entry_id=entry.id))
