"""Herald's own words in emails: ``_()`` in the template sandbox, in the recipient's language.

The language is the render's ``language`` when the sender chose one, else the recipient's
locale (which sending fills from the candidate, then the organization), each tried without its
region too; English otherwise. What a translation fills in stays escaped and bounded.
"""

from __future__ import annotations

import pytest

from tests.test_rendering import BRAND, source
from webapp.services.rendering import render
from webapp.services.rendering.limits import Limits, current_limits, set_limits
from webapp.services.rendering.validate import validate
from webapp.services.rendering.variables import sample_context
from webapp.services.templates.library import system_default

INVITATION = {
    "en": ("Interview for Backend Engineer at Acme Recruiting", "Hi Ada, let's talk about",
           "Accept or choose another time", "Tuesday, December 1, 2026"),
    "fr-CA": ("Entretien pour Backend Engineer chez Acme Recruiting", "Bonjour Ada, parlons du",
              "Accepter ou choisir un autre créneau", "mardi 1 décembre 2026"),
    "de": ("Vorstellungsgespräch für Backend Engineer bei Acme Recruiting", "Hallo Ada, lassen",
           "Zusagen oder einen anderen Termin wählen", "Dienstag, 1. Dezember 2026"),
    "es": ("Entrevista para Backend Engineer en Acme Recruiting", "Hola, Ada: hablemos",
           "Aceptar o elegir otro horario", "martes, 1 de diciembre de 2026"),
    "ar": ("مقابلة لوظيفة Backend Engineer لدى Acme Recruiting", "مرحبًا Ada، لنتحدث",
           "اقبل أو اختر موعدًا آخر", "الثلاثاء، 1 ديسمبر 2026"),
}  # fmt: skip


def invitation(locale: str, **extra):
    context = sample_context({"recipient": {"locale": locale}, "candidate": {"locale": locale}})
    context.update(extra)
    result = render(system_default("invitation").source, BRAND, context)
    assert result.errors == []
    return result


@pytest.mark.parametrize("locale", INVITATION)
def test_the_default_invitation_in_each_language(locale):
    subject, greeting, button, date = INVITATION[locale]
    result = invitation(locale)
    assert result.subject == subject
    for part in (result.html.replace("&#39;", "'"), result.text):
        for words in (greeting, button, date):
            assert words in part, (locale, words)


def test_the_chosen_language_wins_over_the_recipients_locale():
    result = invitation("de", language="fr")
    assert result.subject.startswith("Entretien pour") and "Cordialement," in result.text


def test_a_language_without_catalog_falls_back_to_english():
    result = invitation("pt-BR")
    assert result.subject == INVITATION["en"][0] and "Kind regards," in result.text


@pytest.mark.parametrize("template_type", ["invitation", "reminder_2h", "digest", "custom"])
def test_default_templates_validate_with_their_translations(template_type):
    default = system_default(template_type)
    assert validate(default.source, BRAND, category=default.category).errors == []


def test_translation_placeholders_are_escaped_and_unknown_text_is_not_trusted():
    line = "{{ _('Hi %(name)s,', name=candidate.first_name) }} / {{ _(candidate.last_name) }}"
    context = sample_context({"candidate": {"first_name": "<b>Eve</b>", "last_name": "<i>x</i>"}})
    result = render(source(line), BRAND, context)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in result.html and "&lt;i&gt;x&lt;/i&gt;" in result.html
    assert "<b>Eve" not in result.html and "<i>x" not in result.html


def test_a_translation_cannot_build_a_huge_value():
    previous = current_limits()
    set_limits(Limits(max_output=50_000))
    try:
        line = "{{ _('%(x)s' * 5000, x='y' * 40000) }}"
        result = render(source(line), BRAND, sample_context())
    finally:
        set_limits(previous)
    assert result.errors and "size limit" in result.errors[0].message
    assert result.html == ""


def test_a_missing_placeholder_is_an_error_for_the_author_not_a_crash():
    result = validate(source("{{ _('Hi %(name)s') }}"), BRAND, category="transactional")
    assert result.errors and "name" in result.errors[0].message
