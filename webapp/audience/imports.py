"""CSV import pages: upload → column mapping → progress and validation report."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.after_commit import after_commit
from webapp.audience import bp
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.i18n.pages import gettext
from webapp.models import ImportRun, Shortlist
from webapp.services import queues
from webapp.services.audience import import_matches
from webapp.services.audience import imports as csv_import
from webapp.services.audience.csv_records import UnreadableFile, decode_upload
from webapp.tenancy import get_or_404

MAX_UPLOAD_BYTES = 40 * 1024 * 1024


@bp.get("/imports/new")
def new_import():
    shortlist = _shortlist(request.args.get("shortlist"))
    return render_template("audience/import_new.html", shortlist=shortlist, error="")


def _shortlist(raw):
    return get_or_404(Shortlist, raw, g.org) if raw else None


@bp.post("/imports")
def create_import():
    shortlist = _shortlist(request.form.get("shortlist_id"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        text, error = "", gettext("Choose a CSV file to upload.")
    else:
        text, error = _read_upload(upload.read(MAX_UPLOAD_BYTES + 1))
    if error:
        return render_template("audience/import_new.html", shortlist=shortlist, error=error), 422
    headers, _ = csv_import.read_csv(text)
    run = csv_import.start_import(
        g.org.id,
        filename=upload.filename,
        source=text,
        mapping=csv_import.guess_mapping(headers),
        shortlist_id=shortlist.id if shortlist else None,
        created_by_id=current_user.id,
    )
    run.status = "mapping"
    db.session.commit()
    return redirect(url_for("audience.map_import", run_id=run.id))


def _read_upload(raw: bytes) -> tuple[str, str]:
    """The upload's text, or why the file as a whole cannot be imported."""
    if len(raw) > MAX_UPLOAD_BYTES:
        return "", gettext("The file is larger than 40 MB; split it into smaller files.")
    try:
        text = decode_upload(raw)
        headers, found = csv_import.read_csv(text)
    except UnreadableFile as exc:
        return "", str(exc)
    if not headers:
        return "", gettext("The file is empty.")
    if all(csv_import.is_blank(record) for record in found):
        return "", gettext("The file has column names but no rows below them.")
    return text, ""


@bp.route("/imports/<uuid:run_id>/map", methods=["GET", "POST"])
def map_import(run_id):
    run = get_or_404(ImportRun, run_id, g.org)
    if run.status != "mapping":
        return redirect(url_for("audience.show_import", run_id=run.id))
    headers, _ = csv_import.read_csv(run.source)
    preview = csv_import.preview_rows(run.source)
    error = ""
    if request.method == "POST":
        mapping = {f: request.form.get(f, "") for f in csv_import.FIELDS if request.form.get(f)}
        mapping["attributes"] = [c for c in request.form.getlist("attributes") if c in headers]
        run.on_match = "update" if request.form.get("on_match") == "update" else "skip"
        if "email" not in mapping:
            error = gettext("Choose the column that holds the email address.")
        else:
            _start(run, mapping)
            return redirect(url_for("audience.show_import", run_id=run.id))
        run.mapping = mapping
    return render_template(
        "audience/import_map.html",
        run=run,
        headers=headers,
        preview=preview,
        error=error,
        fields=csv_import.FIELD_LABELS,
    ), (422 if error else 200)


def _start(run: ImportRun, mapping: dict) -> None:
    run.mapping = mapping
    run.status = "pending"
    if run.total_rows > csv_import.INLINE_MAX_ROWS:
        after_commit(queues.enqueue_import, run.id)
        db.session.commit()
    else:
        db.session.commit()
        csv_import.run(run.id)


@bp.get("/imports/<uuid:run_id>")
def show_import(run_id):
    run = get_or_404(ImportRun, run_id, g.org)
    template = "audience/_import_progress.html" if is_htmx() else "audience/import_show.html"
    return render_template(template, run=run, rejected=run.rejected[:200])


@bp.post("/imports/<uuid:run_id>/apply-matches")
def apply_matches(run_id):
    """Update the matching candidates the report lists as skipped, with the file's values."""
    run = get_or_404(ImportRun, run_id, g.org)
    if run.status != "completed" or not run.skipped_count:
        abort(409)
    applied, stale = import_matches.apply_skipped(run)
    db.session.commit()
    message = gettext("%(n)s candidate(s) updated with the file's values.", n=applied)
    if stale:
        message += " " + gettext("%(n)s left as they are: they changed after the import.", n=stale)
    flash(message, "success")
    return redirect(url_for("audience.show_import", run_id=run.id))


@bp.post("/imports/<uuid:run_id>/cancel")
def cancel_import(run_id):
    run = get_or_404(ImportRun, run_id, g.org)
    if run.status in ("pending", "running", "mapping"):
        if run.status != "running":
            run.source = ""  # nothing will read the upload again (a running job clears it)
        run.status = "canceled"
        db.session.commit()
        flash(gettext("Import canceled. Rows already imported stay."), "success")
    return redirect(url_for("audience.show_import", run_id=run.id))


@bp.get("/imports/<uuid:run_id>/rejected.csv")
def rejected_csv(run_id):
    run = get_or_404(ImportRun, run_id, g.org)
    if not run.rejected:
        abort(404)
    return Response(
        csv_import.rejected_csv(run),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rejected-rows-{run.id}.csv"'},
    )
