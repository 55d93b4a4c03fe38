"""Template languages in the studio: a translation beside the source, outdated marks, the
preview in the translation's language and direction, versions, diff and restore."""

from __future__ import annotations

import re

from tests.test_templates_studio import create, form
from webapp.extensions import db

FRENCH = {
    "subject": "Entretien pour {{ job.title }}",
    "preheader": "Choisissez un créneau",
    "body_mjml": "<mj-section><mj-column><mj-text>Bonjour {{ candidate.first_name }}</mj-text>"
    '<mj-button href="{{ invite_url }}">Choisir un créneau</mj-button></mj-column></mj-section>',
    "body_text": "",
}
ARABIC = {
    "subject": "مقابلة لوظيفة {{ job.title }}",
    "preheader": "",
    "body_mjml": "<mj-section><mj-column><mj-text>مرحبا {{ candidate.first_name }}</mj-text>"
    "</mj-column></mj-section>",
    "body_text": "",
}


def translate(client, template, language, fields) -> None:
    response = client.post(f"/templates/{template.id}/translations/{language}", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)


def languages_page(client, template) -> str:
    return client.get(f"/templates/{template.id}/translations").get_data(as_text=True)


def test_a_translation_is_a_new_version_shown_beside_the_source(logged_in, org):
    template = create(logged_in)
    page = logged_in.get(f"/templates/{template.id}/translations/fr").get_data(as_text=True)
    assert "New translation: it starts as a copy of the source" in page
    assert "Interview for {{ job.title }}" in page  # the source, and the copy to translate

    translate(logged_in, template, "fr", FRENCH)
    db.session.expire_all()
    assert template.current_version.number == 2
    page = logged_in.get(f"/templates/{template.id}/translations/fr").get_data(as_text=True)
    assert "Source · English" in page and "Translation · French" in page
    assert "Interview for {{ job.title }}" in page and "Entretien pour {{ job.title }}" in page
    assert 'data-state="current"' in page and "Outdated" not in page
    listing = languages_page(logged_in, template)
    assert re.search(r'data-language="fr".*?✓ up to date', listing, re.S)


def test_changing_the_source_marks_the_translation_outdated_until_it_is_saved(logged_in, org):
    template = create(logged_in)
    translate(logged_in, template, "fr", FRENCH)
    response = logged_in.post(
        f"/templates/{template.id}", data=form(subject="Your interview for {{ job.title }}")
    )
    assert response.status_code == 302
    listing = languages_page(logged_in, template)
    assert re.search(r'data-language="fr".*?⚠ outdated', listing, re.S)
    page = logged_in.get(f"/templates/{template.id}/translations/fr").get_data(as_text=True)
    assert "the source changed after this translation was last edited (version 2)" in page
    assert "+Your interview for {{ job.title }}" in page  # what changed in the source
    assert "Entretien pour" in page  # the translation itself is carried along unchanged

    translate(logged_in, template, "fr", FRENCH)
    listing = languages_page(logged_in, template)
    assert re.search(r'data-language="fr".*?✓ up to date', listing, re.S)


def test_the_preview_renders_in_the_translations_language_and_direction(logged_in, org):
    template = create(logged_in)
    response = logged_in.post(f"/templates/{template.id}/translations/ar/preview", data=ARABIC)
    fragment = response.get_data(as_text=True)
    assert "✓ valid" in fragment and "مقابلة لوظيفة Backend Engineer" in fragment
    assert "lang=&#34;ar&#34; dir=&#34;rtl&#34;" in fragment  # inside the iframe's srcdoc
    french = logged_in.post(f"/templates/{template.id}/translations/fr-ca/preview", data=FRENCH)
    assert "lang=&#34;fr-CA&#34; dir=&#34;ltr&#34;" in french.get_data(as_text=True)


def test_a_broken_translation_is_not_saved_and_the_text_is_kept(logged_in, org):
    template = create(logged_in)
    broken = {**FRENCH, "body_mjml": "<mj-section><mj-column><mj-text>{{ oops </mj-text>"}
    response = logged_in.post(f"/templates/{template.id}/translations/fr", data=broken)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not saved" in page and "{{ oops" in page
    db.session.expire_all()
    assert template.current_version.number == 1


def test_unknown_languages_and_the_source_language_are_refused(logged_in, org):
    template = create(logged_in)
    response = logged_in.post(
        f"/templates/{template.id}/translations", data={"language": "xx_YY123"}
    )
    assert "is not a language" in logged_in.get(response.headers["Location"]).text
    response = logged_in.post(f"/templates/{template.id}/translations", data={"language": "EN"})
    assert "English is the source language" in logged_in.get(response.headers["Location"]).text
    response = logged_in.post(f"/templates/{template.id}/translations", data={"language": "fr_ca"})
    assert response.headers["Location"].endswith(f"/templates/{template.id}/translations/fr-CA")
    assert logged_in.get(f"/templates/{template.id}/translations/xx-zz").status_code == 404


def test_history_diff_and_restore_cover_every_language(logged_in, org):
    template = create(logged_in)
    translate(logged_in, template, "fr", FRENCH)
    translate(logged_in, template, "ar", ARABIC)
    db.session.expire_all()
    versions = logged_in.get(f"/templates/{template.id}/versions").get_data(as_text=True)
    assert "ar, fr" in versions
    remove = logged_in.post(f"/templates/{template.id}/translations/fr/remove")
    assert remove.status_code == 302
    db.session.expire_all()
    from webapp.services.templates.library import list_versions

    v4, _v3, v2, _v1 = list_versions(template)
    diff = logged_in.get(f"/templates/{template.id}/diff?a={v2.id}&b={v4.id}").text
    assert "French (fr): Subject" in diff and "-Entretien pour {{ job.title }}" in diff
    assert "Arabic (ar): Subject" in diff and "+مقابلة لوظيفة {{ job.title }}" in diff
    assert "fr" not in re.findall(r'data-language="(\w+)"', languages_page(logged_in, template))

    restored = logged_in.post(f"/templates/{template.id}/versions/{v2.id}/restore")
    assert restored.status_code == 302
    assert re.findall(r'data-language="([\w-]+)"', languages_page(logged_in, template)) == ["fr"]


def test_the_source_language_can_be_changed(logged_in, org):
    template = create(logged_in)
    translate(logged_in, template, "fr", FRENCH)
    response = logged_in.post(f"/templates/{template.id}/source-language", data={"language": "fr"})
    assert response.status_code == 302
    listing = languages_page(logged_in, template)
    assert "Source: French" in listing
    assert "No translations yet" in listing  # the French translation became the source's place


def test_viewers_see_translations_and_their_preview_but_cannot_save(client, org, login_as):
    from tests.support import factories

    editor = factories.make_user("editor@acme.example", org=org, role="editor")
    viewer = factories.make_user("viewer@acme.example", org=org, role="viewer")
    db.session.commit()
    login_as(editor, org=org)
    template = create(client)
    translate(client, template, "ar", ARABIC)
    client.post("/logout")
    login_as(viewer, org=org)
    page = client.get(f"/templates/{template.id}/translations/ar").get_data(as_text=True)
    assert "Save Arabic" not in page and "lang=&#34;ar&#34; dir=&#34;rtl&#34;" in page
    assert client.post(f"/templates/{template.id}/translations/ar", data=ARABIC).status_code == 403
