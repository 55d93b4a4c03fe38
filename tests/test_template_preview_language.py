"""The studio's live previews speak the language they preview, as a sent email would: a
translation in its own language, the source in the template's source language, each with its
``lang`` and ``dir`` (Arabic right to left) and its dates and numbers."""

from __future__ import annotations

from tests.test_template_translations import ARABIC
from tests.test_templates_studio import BODY, create, form
from webapp.extensions import db

DATED = (
    "<mj-section><mj-column><mj-text>{{ interview.at|date }} · {{ 1234.5|money('EUR') }}"
    "</mj-text></mj-column></mj-section>"
)


def source_preview(client, template=None, **fields) -> str:
    url = "/templates/preview" + (f"?template_id={template.id}" if template else "")
    return client.post(url, data=form(**fields)).get_data(as_text=True)


def test_an_arabic_translation_previews_right_to_left_with_arabic_dates(logged_in, org):
    template = create(logged_in)
    arabic = {**ARABIC, "body_mjml": ARABIC["body_mjml"] + DATED}
    response = logged_in.post(f"/templates/{template.id}/translations/ar/preview", data=arabic)
    fragment = response.get_data(as_text=True)
    assert "lang=&#34;ar&#34; dir=&#34;rtl&#34;" in fragment  # inside the iframe's srcdoc
    assert "ديسمبر" in fragment and "December" not in fragment  # 1 December 2026, in Arabic


def test_the_source_previews_in_the_templates_source_language(logged_in, org):
    org.locale = "de-DE"
    db.session.commit()
    template = create(logged_in, body_mjml=BODY + DATED)  # written in German, the org's language
    fragment = source_preview(logged_in, template, body_mjml=BODY + DATED)
    assert "lang=&#34;de&#34; dir=&#34;ltr&#34;" in fragment
    assert "1. Dezember 2026" in fragment and "1.234,50" in fragment

    response = logged_in.post(f"/templates/{template.id}/source-language", data={"language": "ar"})
    assert response.status_code == 302
    fragment = source_preview(logged_in, template, body_mjml=BODY + DATED)
    assert "lang=&#34;ar&#34; dir=&#34;rtl&#34;" in fragment and "ديسمبر" in fragment


def test_a_new_template_previews_in_the_organizations_language(logged_in, org):
    org.locale = "fr-FR"
    db.session.commit()
    fragment = source_preview(logged_in, body_mjml=BODY + DATED)
    assert "lang=&#34;fr&#34; dir=&#34;ltr&#34;" in fragment and "décembre" in fragment


def test_the_editor_posts_its_preview_with_the_template(logged_in, org):
    template = create(logged_in)
    page = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert f'hx-post="/templates/preview?template_id={template.id}"' in page
