"""The template editor's attachments panel: list, upload and remove a template's files.

Each upload or removal saves a new version (``services.attachments.templates``). The panel
posts with htmx and swaps itself, so what the author is typing in the editor stays; htmx
only swaps 2xx answers, so a refused file is shown in a 200 fragment, with the reason next
to the file field. Without JavaScript the forms post normally: success redirects to the
editor, a refused file answers 422 with the editor and the reason in the panel.
"""

from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.current import has_role
from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.i18n.pages import gettext as _
from webapp.models import EmailTemplate, Role, TemplateAttachment
from webapp.services.attachments import checks, storage
from webapp.services.attachments import templates as template_files
from webapp.templates_studio import bp
from webapp.tenancy import get_or_404

ERROR_KEY = "herald.attachment_error"  # in the request's environ: this request only


@bp.context_processor
def _panel_helper():
    return {"attachment_panel": attachment_panel, "files_by_version": files_by_version}


def files_by_version(versions: list) -> dict:
    """{version id: "a.pdf, b.png"} for the history page (one query for every version)."""
    if not versions:
        return {}
    found = storage.attachments_by_version([v.id for v in versions], versions[0].org_id)
    return {key: ", ".join(row.filename for row in rows) for key, rows in found.items()}


def attachment_panel(template: EmailTemplate | None) -> dict:
    """What ``templates_studio/_attachments.html`` shows for ``template``."""
    limits = checks.Limits.from_settings(current_app.config["HERALD"])
    files = template_files.current_attachments(template) if template is not None else []
    return {
        "template": template,
        "files": [
            {
                "id": row.id,
                "filename": row.filename,
                "label": _label(row.content_type),
                "size": _size(row.size),
            }
            for row in files
        ],
        "can_edit": has_role(Role.EDITOR),
        "accept": checks.ACCEPT,
        "hint": _(
            "%(types)s; up to %(each)s each, %(total)s together.",
            types=checks.ALLOWED_WORDS,
            each=checks.megabytes(limits.per_file),
            total=checks.megabytes(limits.total),
        ),
        "error": request.environ.get(ERROR_KEY, ""),
    }


@bp.post("/<template_id>/attachments")
def attach(template_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(template, _("Choose a file to attach."))
    limits = checks.Limits.from_settings(current_app.config["HERALD"])
    try:
        checked = checks.check_file(upload.filename, upload.read(), limits)
        version = template_files.attach(
            template, checked, limits, user_id=current_user.id, actor_label=current_user.email
        )
    except checks.AttachmentRejected as rejected:
        db.session.rollback()
        return _refused(template, str(rejected))
    db.session.commit()
    notice = _(
        "Attached “%(file)s”; saved as version %(number)s.",
        file=checked.filename,
        number=version.number,
    )
    return _changed(template, notice)


@bp.post("/<template_id>/attachments/<attachment_id>/delete")
def detach(template_id, attachment_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    attachment = get_or_404(TemplateAttachment, attachment_id, g.org)
    if attachment.template_version_id != template.current_version_id:
        return _refused(template, _("That file was already removed; the list below is current."))
    version = template_files.detach(
        template, attachment, user_id=current_user.id, actor_label=current_user.email
    )
    db.session.commit()
    notice = _(
        "Removed “%(file)s”; saved as version %(number)s.",
        file=attachment.filename,
        number=version.number,
    )
    return _changed(template, notice)


def _changed(template: EmailTemplate, notice: str):
    if is_htmx():
        return _fragment(template, notice=notice)
    flash(notice, "success")
    return redirect(url_for("templates_studio.edit", template_id=template.id) + "#attachments", 303)


def _refused(template: EmailTemplate, reason: str):
    request.environ[ERROR_KEY] = reason
    if is_htmx():
        return _fragment(template)
    from webapp.templates_studio.views import edit

    return edit(template.id), 422


def _fragment(template: EmailTemplate, notice: str = ""):
    html = render_template(
        "templates_studio/_attachments.html",
        panel=attachment_panel(template),
        notice=notice,
        swap_version=True,
    )
    return make_response(html, 200)


def _label(content_type: str) -> str:
    for kind, label in checks.TYPES.values():
        if kind == content_type:
            return label
    return content_type


def _size(size: int) -> str:
    if size < 1000:
        return _("%(num)s bytes", num=size)
    if size < 1_000_000:
        return _("%(num)s kB", num=format(size / 1000, ".0f"))
    return _("%(num)s MB", num=format(size / 1_000_000, ".1f"))  # as the message page writes it
