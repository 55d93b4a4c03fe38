"""Settings → Suppressions: search, add, remove (audited), import and export CSV (P5)."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from webapp.extensions import db
from webapp.formkit import choices
from webapp.i18n.pages import gettext
from webapp.models import Suppression
from webapp.services import audit
from webapp.services.consent import suppressions as service
from webapp.settings import bp
from webapp.tenancy import get_or_404

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class SuppressionForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=320)])
    reason = SelectField(
        "Reason", choices=choices(list(service.REASON_LABELS.items())), default="manual"
    )
    note = StringField("Note", validators=[Length(max=500)])


def _audit(action: str, email: str, **details) -> None:
    audit.record(
        g.org.id,
        action,
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="suppression",
        details={"email": email, **details},
    )


def _render(form: SuppressionForm, status: int = 200, import_result=None):
    page = max(1, request.args.get("page", 1, type=int))
    query, reason = request.args.get("q", "").strip(), request.args.get("reason", "")
    rows, has_next = service.search(g.org.id, query=query, reason=reason, page=page)
    return render_template(
        "settings/suppressions.html",
        form=form,
        rows=rows,
        has_next=has_next,
        page=page,
        query=query,
        reason=reason,
        total=service.count(g.org.id),
        labels=service.REASON_LABELS,
        import_result=import_result,
    ), status


@bp.get("/suppressions")
def suppressions():
    return _render(SuppressionForm(formdata=None))


@bp.post("/suppressions")
def add_suppression():
    form = SuppressionForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    _, created = service.suppress(
        g.org.id, form.email.data, form.reason.data, note=form.note.data or ""
    )
    _audit("suppression.add", service.normalize(form.email.data), reason=form.reason.data)
    db.session.commit()
    flash(
        gettext("Address added.") if created else gettext("That address was already on the list."),
        "success",
    )
    return redirect(url_for("settings.suppressions"))


@bp.post("/suppressions/<uuid:suppression_id>/remove")
def remove_suppression(suppression_id):
    row = get_or_404(Suppression, suppression_id, g.org)
    _audit("suppression.remove", row.email, reason=row.reason)
    db.session.delete(row)
    db.session.commit()
    flash(gettext("%(email)s can receive email again.", email=row.email), "success")
    return redirect(url_for("settings.suppressions"))


@bp.post("/suppressions/import")
def import_suppressions():
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    if not raw or len(raw) > MAX_IMPORT_BYTES:
        flash(gettext("Choose a CSV file (at most 5 MB) with one address per line."), "error")
        return _render(SuppressionForm(formdata=None), 422)
    result = service.import_csv(g.org.id, raw.decode("utf-8-sig", errors="replace"))
    _audit("suppression.import", "", added=result.added, errors=len(result.errors))
    db.session.commit()
    return _render(SuppressionForm(formdata=None), import_result=result)


@bp.get("/suppressions/export.csv")
def export_suppressions():
    _audit("suppression.export", "")
    db.session.commit()
    return Response(
        service.export_csv(g.org.id),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=suppressions.csv"},
    )
