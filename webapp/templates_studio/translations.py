"""Template studio: a template's languages. The source and a translation side by side, the
translation's preview, outdated marks when the source changed after the translation."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.current import has_role
from webapp.extensions import db
from webapp.i18n.pages import gettext as _
from webapp.models import EmailTemplate
from webapp.services import languages
from webapp.services.rendering import BrandData, TemplateSource
from webapp.services.rendering.validate import validate
from webapp.services.templates import library as studio
from webapp.services.templates import translation_edits, translations
from webapp.templates_studio import bp
from webapp.tenancy import get_or_404

SUGGESTED = ("ar", "de", "en", "es", "fr", "fr-CA", "he", "it", "ja", "nl", "pl", "pt", "pt-BR")


@bp.app_template_filter("language_name")
def language_name(tag: str) -> str:
    """``fr-CA`` → "French (Canada)", for the pages that show a message's language."""
    return languages.display_name(tag or "")


def _template(template_id) -> EmailTemplate:
    template = get_or_404(EmailTemplate, template_id, g.org)
    if template.current_version is None:
        abort(404)
    return template


@bp.get("/<template_id>/translations")
def translations_index(template_id):
    template = _template(template_id)
    version = template.current_version
    return render_template(
        "templates_studio/translations.html",
        template=template,
        source_language=translations.source_language(version, g.org),
        statuses=translations.statuses(version),
        suggested=[(tag, languages.display_name(tag)) for tag in SUGGESTED],
        language_name=languages.display_name,
        problem=request.args.get("problem", ""),
    )


@bp.post("/<template_id>/translations")
def translations_add(template_id):
    """The form that names a new language: on to its side-by-side page."""
    template = _template(template_id)
    try:
        language = languages.normalize(request.form.get("language", ""))
    except languages.LanguageError as exc:
        return redirect(_index_url(template, problem=str(exc)))
    if language == translations.source_language(template.current_version, g.org):
        problem = _(
            "%(language)s is the source language.", language=languages.display_name(language)
        )
        return redirect(_index_url(template, problem=problem))
    return redirect(url_for(".translation", template_id=template.id, language=language))


def _index_url(template: EmailTemplate, **args) -> str:
    return url_for(".translations_index", template_id=template.id, **args)


@bp.get("/<template_id>/translations/<language>")
def translation(template_id, language):
    template = _template(template_id)
    return _side_by_side(template, _known(language))


@bp.post("/<template_id>/translations/<language>")
def translation_save(template_id, language):
    template = _template(template_id)
    language = _known(language)
    typed = _typed_source()
    version, result = translation_edits.save_translation(
        g.org,
        template,
        language,
        typed,
        user_id=current_user.id,
        actor_label=current_user.email,
    )
    if version is None:
        return _side_by_side(template, language, typed=typed, errors=result.errors), 422
    db.session.commit()
    name = languages.display_name(language)
    flash(
        _(
            "Saved the %(language)s translation as version %(number)s.",
            language=name,
            number=version.number,
        ),
        "success",
    )
    return redirect(url_for(".translation", template_id=template.id, language=language))


@bp.post("/<template_id>/translations/<language>/remove")
def translation_remove(template_id, language):
    template = _template(template_id)
    language = _known(language)
    version = translation_edits.remove_translation(
        g.org, template, language, user_id=current_user.id, actor_label=current_user.email
    )
    if version is None:
        abort(404)
    db.session.commit()
    name = languages.display_name(language)
    flash(_("Removed the %(language)s translation.", language=name), "success")
    return redirect(_index_url(template))


@bp.post("/<template_id>/source-language")
def source_language(template_id):
    template = _template(template_id)
    try:
        version = translation_edits.set_source_language(
            g.org,
            template,
            request.form.get("language", ""),
            user_id=current_user.id,
            actor_label=current_user.email,
        )
    except languages.LanguageError as exc:
        return redirect(_index_url(template, problem=str(exc)))
    db.session.commit()
    flash(_("The source language is saved (version %(number)s).", number=version.number), "success")
    return redirect(_index_url(template))


@bp.post("/<template_id>/translations/<language>/preview")
def translation_preview(template_id, language):
    """The live preview of a translation: the unsaved text, rendered in its language."""
    template = _template(template_id)
    language = _known(language)
    typed = _typed_source(language)
    candidate_id = request.form.get("candidate_id", "")
    context = studio.preview_context(g.org, candidate_id=candidate_id, language=language)[0]
    result = validate(typed, BrandData.from_org(g.org), category=template.category, context=context)
    return render_template("templates_studio/_preview.html", result=result, sample_problem="")


def _known(language: str) -> str:
    try:
        return languages.normalize(language)
    except languages.LanguageError:
        abort(404)


def _typed_source(language: str = "") -> TemplateSource:
    form = request.form
    return TemplateSource(
        subject=form.get("subject", ""),
        preheader=form.get("preheader", ""),
        body_mjml=form.get("body_mjml", "").replace("\r\n", "\n"),
        body_text=form.get("body_text", "").replace("\r\n", "\n"),
        language=language,
    )


def _side_by_side(template, language, *, typed=None, errors=None):
    version = template.current_version
    found = next((s for s in translations.statuses(version) if s.language == language), None)
    shown = typed or (found.translation if found else TemplateSource.from_version(version))
    changes = []
    if found is not None and found.is_outdated:
        changes = translations.source_changes(template.id, found.translation, version)
    static_preview = None
    if not has_role("editor"):  # viewers cannot post to the live preview
        context = studio.preview_context(g.org, language=language)[0]
        shown_source = TemplateSource(
            shown.subject, shown.preheader or "", shown.body_mjml, shown.body_text or "",
            language=language,
        )  # fmt: skip
        static_preview = validate(
            shown_source, BrandData.from_org(g.org), category=template.category, context=context
        )
    return render_template(
        "templates_studio/translation.html",
        template=template,
        version=version,
        language=language,
        language_label=languages.display_name(language),
        direction=languages.direction(language),
        source_language=translations.source_language(version, g.org),
        source_direction=languages.direction(translations.source_language(version, g.org)),
        status=found,
        shown=shown,
        changes=changes,
        errors=errors or [],
        can_edit=has_role("editor"),
        static_preview=static_preview,
        candidates=studio.sample_people(g.org.id)[0],
        language_name=languages.display_name,
    )
