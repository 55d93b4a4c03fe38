"""Brand settings: saving applies to every template; the preview shows unsaved changes."""

from __future__ import annotations

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, Organization

BRAND = {
    "logo_url": "https://cdn.example.com/acme.png",
    "primary_color": "#aa3300",
    "text_color": "#111111",
    "background_color": "#fafafa",
    "font_family": "Georgia, 'Times New Roman', serif",
    "footer_text": "You applied at Acme {{ not a placeholder }}",
    "postal_address": "9 Harbour Road, Leith",
    "sender_name": "Acme People",
}


def test_brand_page_saves_and_every_template_uses_it(logged_in, org):
    assert logged_in.get("/settings/brand").status_code == 200
    response = logged_in.post("/settings/brand", data=BRAND)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organization, org.id)
    assert saved.brand.primary_color == "#aa3300"
    assert saved.postal_address == "9 Harbour Road, Leith"
    assert "brand.update" in db.session.scalars(select(AuditLog.action)).all()

    page = logged_in.post("/templates/preview", data={
        "subject": "Hi", "body_mjml": "<mj-section><mj-column><mj-text>x</mj-text></mj-column>"
        "</mj-section>", "category": "updates"}).get_data(as_text=True)  # fmt: skip
    assert "https://cdn.example.com/acme.png" in page
    assert "#aa3300" in page and "Georgia" in page
    assert "9 Harbour Road, Leith" in page
    # brand text is text, never a template: the braces reach the email as they are
    assert "You applied at Acme &amp;#123;&amp;#123; not a placeholder" in page


def test_brand_errors_are_shown_next_to_the_field_and_input_kept(logged_in):
    data = {**BRAND, "primary_color": "red", "logo_url": "http://insecure.example.com/x.png"}
    response = logged_in.post("/settings/brand", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use a colour like #2563eb." in page
    assert "Use an https:// address" in page
    assert 'value="9 Harbour Road' in page or "9 Harbour Road, Leith</textarea>" in page


def test_brand_preview_reflects_unsaved_values(logged_in):
    page = logged_in.get(
        "/settings/brand/preview", query_string={**BRAND, "primary_color": "#123456"}
    )
    html = page.get_data(as_text=True)
    assert "#123456" in html and "Backend Engineer" in html
    again = logged_in.get(
        "/settings/brand/preview", query_string={**BRAND, "primary_color": "#654321"}
    )
    assert "#654321" in again.get_data(as_text=True)


def test_only_admins_change_the_brand(app, client, org, login_as):
    editor = factories.make_user("editor@example.com", org=org, role="editor")
    db.session.commit()
    login_as(editor, org=org)
    assert client.get("/settings/brand").status_code == 200
    assert client.post("/settings/brand", data=BRAND).status_code == 403
    assert client.get("/settings/brand/preview", query_string=BRAND).status_code == 200
