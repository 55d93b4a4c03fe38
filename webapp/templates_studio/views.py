"""Template studio: the list, the split-view editor with live preview, versions, test sends.

Views stay thin: they load and authorize, read the form, call one service and render.
Viewers can look at everything; editors and above can change templates (guard below).
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.current import guard_blueprint, has_role
from webapp.extensions import db
from webapp.i18n.pages import gettext as _
from webapp.models import EmailTemplate, Role, TemplateVersion
from webapp.services import audit
from webapp.services.audience.candidates import CandidateError, normalize_email
from webapp.services.rendering import BrandData, TemplateSource
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import FILTER_DOCS, VARIABLES
from webapp.services.sending import outbox
from webapp.services.templates import library as studio
from webapp.services.templates import translations as translations_service
from webapp.templates_studio import attachments as _attachments  # noqa: F401 - the panel's routes
from webapp.templates_studio import bp
from webapp.templates_studio.forms import CATEGORY_LABELS, TYPE_LABELS, TemplateForm
from webapp.tenancy import get_or_404

guard_blueprint(bp, read=Role.VIEWER, write=Role.EDITOR)


@bp.get("/")
def index():
    templates = studio.list_templates(g.org.id)
    overridden = {t.type for t in templates if t.current_version_id}
    defaults = [studio.system_default(t) for t in TYPE_LABELS if t != "custom"]
    return render_template(
        "templates_studio/index.html",
        templates=templates,
        defaults=defaults,
        overridden=overridden,
        type_labels={key: _(label) for key, label in TYPE_LABELS.items()},
        category_labels={key: _(label) for key, label in CATEGORY_LABELS.items()},
    )


@bp.get("/new")
def new():
    default = studio.system_default(request.args.get("type", "custom"))
    form = TemplateForm(
        data={
            "name": default.name if default.type != "custom" else "",
            "type": default.type,
            "category": default.category,
            "subject": default.source.subject,
            "preheader": default.source.preheader,
            # ?start=blocks: an empty body, which opens in the visual editor
            "body_mjml": "" if request.args.get("start") == "blocks" else default.source.body_mjml,
        }
    )
    return _editor(form, template=None)


@bp.post("/")
def create():
    return _save(template=None)


@bp.get("/<template_id>")
def edit(template_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    version = template.current_version
    form = TemplateForm(obj=template)
    if version is not None and not form.is_submitted():
        for name in ("subject", "preheader", "body_mjml", "body_text"):
            getattr(form, name).data = getattr(version, name)
    return _editor(form, template=template)


@bp.post("/<template_id>")
def update(template_id):
    return _save(template=get_or_404(EmailTemplate, template_id, g.org))


def _draft(form: TemplateForm) -> studio.TemplateDraft:
    source = TemplateSource(
        subject=form.subject.data or "",
        preheader=form.preheader.data or "",
        body_mjml=(form.body_mjml.data or "").replace("\r\n", "\n"),
        body_text=(form.body_text.data or "").replace("\r\n", "\n"),
    )
    return studio.TemplateDraft(
        name=(form.name.data or "").strip(),
        template_type=form.type.data,
        category=form.category.data,
        source=source,
        note=form.note.data or "",
    )


def _save(template: EmailTemplate | None):
    form = TemplateForm()
    if not form.validate_on_submit():
        return _editor(form, template=template), 422
    saved, result = studio.save_template(
        g.org,
        template,
        _draft(form),
        user_id=current_user.id,
        actor_label=current_user.email,
    )
    if saved is None:
        return _editor(form, template=template, errors=result.errors), 422
    db.session.commit()
    version = saved.current_version
    flash(
        _("Saved “%(name)s” as version %(number)s.", name=saved.name, number=version.number),
        "success",
    )
    return redirect(url_for("templates_studio.edit", template_id=saved.id))


def _editor(form: TemplateForm, *, template: EmailTemplate | None, errors=None):
    candidates, jobs = studio.sample_people(g.org.id)
    can_edit = has_role(Role.EDITOR)
    static_preview = None
    if not can_edit:  # viewers cannot post to the live preview: render it once here
        language = _source_language(template)
        static_preview = validate(
            replace(_draft(form).source, language=language),
            BrandData.from_org(g.org),
            category=form.category.data or "updates",
            context=studio.preview_context(g.org, language=language)[0],
        )
    return render_template(
        "templates_studio/edit.html",
        form=form,
        template=template,
        errors=errors or [],
        candidates=candidates,
        jobs=jobs,
        variables=VARIABLES,
        filters=FILTER_DOCS,
        can_edit=can_edit,
        static_preview=static_preview,
        brand=BrandData.from_org(g.org),
    )


@bp.post("/preview")
def preview():
    """The live preview: the unsaved source through the same render as sending, in the
    template's source language (``?template_id=``; a new template's is the organization's)."""
    form = request.form
    template_id = request.args.get("template_id")
    template = get_or_404(EmailTemplate, template_id, g.org) if template_id else None
    language = _source_language(template)
    source = TemplateSource(
        subject=form.get("subject", ""),
        preheader=form.get("preheader", ""),
        body_mjml=form.get("body_mjml", "").replace("\r\n", "\n"),
        body_text=form.get("body_text", "").replace("\r\n", "\n"),
        language=language,
    )
    context, sample_problem = studio.preview_context(
        g.org,
        candidate_id=form.get("candidate_id", ""),
        job_id=form.get("job_id", ""),
        sample_json=form.get("sample_json", ""),
        language=language,
    )
    category = form.get("category", "invitations")
    result = validate(source, BrandData.from_org(g.org), category=category, context=context)
    return render_template(
        "templates_studio/_preview.html", result=result, sample_problem=sample_problem
    )


def _source_language(template: EmailTemplate | None) -> str:
    version = template.current_version if template is not None else None
    return translations_service.source_language(version, g.org)


@bp.app_template_filter("links_in_new_tab")
def links_in_new_tab(html: str) -> str:
    """A preview's HTML whose links open a new tab, so the sandboxed frame never navigates."""
    return str(html).replace("<head>", '<head><base target="_blank">', 1)


@bp.get("/<template_id>/versions")
def versions(template_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    return render_template(
        "templates_studio/versions.html",
        template=template,
        versions=studio.list_versions(template),
        authors=studio.version_authors(template),
        version_languages=translations_service.languages_by_version(template),
    )


@bp.get("/<template_id>/diff")
def diff(template_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    old = _version_of(template, request.args.get("a"))
    new = _version_of(template, request.args.get("b"))
    if old.number > new.number:
        old, new = new, old
    return render_template(
        "templates_studio/diff.html",
        template=template,
        old=old,
        new=new,
        changes=studio.version_diff(old, new),
        versions=studio.list_versions(template),
    )


def _version_of(template: EmailTemplate, version_id) -> TemplateVersion:
    version = get_or_404(TemplateVersion, version_id, g.org)
    if version.template_id != template.id:
        abort(404)
    return version


@bp.post("/<template_id>/versions/<version_id>/restore")
def restore(template_id, version_id):
    template = get_or_404(EmailTemplate, template_id, g.org)
    old = _version_of(template, version_id)
    version = studio.restore_version(template, old, user_id=current_user.id)
    audit.record(
        g.org.id,
        "template.restore",
        actor_user_id=current_user.id,
        actor_label=current_user.email,
        target_type="template",
        target_id=template.id,
        details={"restored": old.number, "version": version.number},
    )
    db.session.commit()
    flash(
        _("Version %(old)s restored as version %(new)s.", old=old.number, new=version.number),
        "success",
    )
    return redirect(url_for("templates_studio.edit", template_id=template.id))


@bp.post("/<template_id>/test")
def send_test(template_id):
    """Send the current version through the real sending path, to the address typed in
    (a colleague, a seed inbox) or else to the signed-in user."""
    template = get_or_404(EmailTemplate, template_id, g.org)
    if template.current_version_id is None:
        abort(404)
    typed = (request.form.get("to") or "").strip()
    try:
        to_email = normalize_email(typed) if typed else current_user.email
    except CandidateError:
        flash(
            _("“%(typed)s” is not an email address; the test was not sent.", typed=typed[:320]),
            "error",
        )
        return redirect(url_for("templates_studio.edit", template_id=template.id))
    mine = to_email == current_user.email.lower()
    context = studio.preview_context(g.org)[0]
    outbox.create_message(
        g.org.id,
        to_email=to_email,
        to_name=(current_user.name or "") if mine else "",
        template_id=template.id,
        template_version_id=template.current_version_id,
        context=context,
        category="transactional",
        is_transactional=True,
        kind=template.type,
    )
    db.session.commit()
    flash(_("Test email on its way to %(email)s.", email=to_email), "success")
    return redirect(url_for("templates_studio.edit", template_id=template.id))


from webapp.templates_studio import translations  # noqa: E402,F401  routes on ``bp``
