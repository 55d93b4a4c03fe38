"""Template studio pages: list, editor, save with validation, live preview, versions, tenancy."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import AuditLog, EmailTemplate, Message, TemplateVersion

BODY = """<mj-section>
  <mj-column>
    <mj-text>Hello {{ candidate.first_name }}, about {{ job.title }}</mj-text>
    <mj-button href="{{ invite_url }}">Choose a time</mj-button>
  </mj-column>
</mj-section>
"""


def form(**overrides):
    data = {
        "name": "Our invitation",
        "type": "invitation",
        "category": "invitations",
        "subject": "Interview for {{ job.title }}",
        "preheader": "Pick a time",
        "body_mjml": BODY,
        "body_text": "",
        "note": "first draft",
    }
    data.update(overrides)
    return data


def create(client, **overrides) -> EmailTemplate:
    response = client.post("/templates/", data=form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    template_id = response.headers["Location"].rstrip("/").split("/")[-1]
    return db.session.get(EmailTemplate, uuid.UUID(template_id))


def test_list_shows_system_defaults_and_an_empty_state(logged_in):
    page = logged_in.get("/templates/").get_data(as_text=True)
    assert "No templates of your own yet" in page
    for label in ("Interview invitation", "Reminder, 24 hours before", "Digest of your updates"):
        assert label in page
    assert "/templates/new?type=invitation" in page


def test_new_from_a_default_starts_with_its_source(logged_in):
    page = logged_in.get("/templates/new?type=reminder_2h").get_data(as_text=True)
    assert "Your interview starts at" in page  # the default subject is in the form
    assert 'hx-post="/templates/preview"' in page
    assert "codemirror-5.65.18.js" in page


def test_save_creates_version_one_and_audits(logged_in, org):
    template = create(logged_in)
    assert template.org_id == org.id
    assert template.current_version.number == 1
    assert template.current_version.note == "first draft"
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "template.create" in actions
    page = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "Version 1" in page and "Hello {{ candidate.first_name }}" in page


def test_broken_template_is_refused_with_line_numbers_and_text_kept(logged_in):
    broken = BODY.replace("{{ job.title }}", "{{ job.title }").replace(
        'href="{{ invite_url }}"', 'href="javascript:alert(1)"'
    )
    response = logged_in.post("/templates/", data=form(body_mjml=broken))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not saved" in page
    assert re.search(r'data-goto-line="3">Line 3</button>', page)  # the Jinja error, on line 3
    assert "javascript:alert(1)" in page  # the author's text is still in the editor
    assert db.session.scalars(select(EmailTemplate)).first() is None


def test_unknown_variable_and_mj_include_are_refused(logged_in):
    body = BODY.replace("candidate.first_name", "candidate.frist_name") + '<mj-include path="x" />'
    page = logged_in.post("/templates/", data=form(body_mjml=body)).get_data(as_text=True)
    assert "Unknown variable field “frist_name”" in page
    assert "&lt;mj-include&gt; is not allowed" in page


def test_full_document_in_bulk_category_needs_unsubscribe_link(logged_in):
    document = f"<mjml><mj-body>{BODY}</mj-body></mjml>"
    page = logged_in.post("/templates/", data=form(body_mjml=document)).get_data(as_text=True)
    assert "must contain {{ unsubscribe_url }}" in page
    fixed = document.replace("</mj-body>", "<mj-section><mj-column><mj-text>"
                             '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
                             "</mj-text></mj-column></mj-section></mj-body>")  # fmt: skip
    assert logged_in.post("/templates/", data=form(body_mjml=fixed)).status_code == 302


def test_preview_renders_unsaved_source_in_a_sandboxed_iframe(logged_in):
    data = form(body_mjml=BODY + "<script>x</script>")
    response = logged_in.post("/templates/preview", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    iframe = re.search(r"<iframe[^>]*>", page).group(0)
    sandbox = re.search(r'sandbox="([^"]*)"', iframe).group(1)
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox  # T5
    assert "Hello Ada, about Backend Engineer" in page  # sample data
    assert "Interview for Backend Engineer" in page


def test_preview_shows_errors_with_lines(logged_in):
    body = BODY.replace("</mj-text>", "{% if x %}</mj-text>", 1)
    page = logged_in.post("/templates/preview", data=form(body_mjml=body)).get_data(as_text=True)
    assert 'data-error-line="3"' in page
    assert "<iframe" not in page


def test_preview_uses_a_real_candidate_and_job_of_the_org(logged_in, org, other_org):
    candidate = factories.make_candidate(org, first_name="grace", last_name="Hopper")
    job = factories.make_job(org, title="Compiler Engineer")
    foreign = factories.make_candidate(other_org, first_name="Mallory")
    db.session.commit()
    data = form(candidate_id=str(candidate.id), job_id=str(job.id))
    page = logged_in.post("/templates/preview", data=data).get_data(as_text=True)
    assert "Hello grace, about Compiler Engineer" in page
    data = form(candidate_id=str(foreign.id))
    page = logged_in.post("/templates/preview", data=data).get_data(as_text=True)
    assert "Mallory" not in page and "Hello Ada" in page


def test_preview_with_sample_json_and_bad_json(logged_in):
    data = form(sample_json='{"candidate": {"first_name": "Linus"}}')
    assert "Hello Linus" in logged_in.post("/templates/preview", data=data).get_data(as_text=True)
    data = form(sample_json='{"candidate": ')
    page = logged_in.post("/templates/preview", data=data).get_data(as_text=True)
    assert "Sample JSON, line 1" in page and "Hello Ada" in page


def test_gmail_clipping_warning(logged_in):
    filler = "<mj-text>" + ("Lorem ipsum dolor sit amet. " * 4000) + "</mj-text>"
    body = BODY.replace("</mj-column>", filler + "</mj-column>")
    page = logged_in.post("/templates/preview", data=form(body_mjml=body)).get_data(as_text=True)
    assert "Gmail clips messages above 102 KB" in page


def test_versions_diff_and_restore(logged_in):
    template = create(logged_in)
    first = template.current_version
    response = logged_in.post(
        f"/templates/{template.id}", data=form(subject="New subject {{ job.title }}", note="v2")
    )
    assert response.status_code == 302
    db.session.expire_all()
    second = db.session.get(EmailTemplate, template.id).current_version
    assert second.number == 2
    history = logged_in.get(f"/templates/{template.id}/versions").get_data(as_text=True)
    assert "v1" in history and "v2" in history and "Test User" in history
    diff = logged_in.get(f"/templates/{template.id}/diff?a={first.id}&b={second.id}")
    text = diff.get_data(as_text=True)
    assert "<del>-Interview for {{ job.title }}</del>" in text
    assert "<ins>+New subject {{ job.title }}</ins>" in text

    response = logged_in.post(f"/templates/{template.id}/versions/{first.id}/restore")
    assert response.status_code == 302
    db.session.expire_all()
    restored = db.session.get(EmailTemplate, template.id).current_version
    assert restored.number == 3 and restored.subject == first.subject
    assert db.session.get(TemplateVersion, second.id).subject.startswith("New subject")
    assert "template.restore" in db.session.scalars(select(AuditLog.action)).all()


def test_send_a_test_goes_through_the_outbox(logged_in, user):
    template = create(logged_in)
    response = logged_in.post(f"/templates/{template.id}/test")
    assert response.status_code == 302
    message = db.session.scalars(select(Message)).one()
    assert message.to_email == user.email
    assert message.template_version_id == template.current_version_id
    assert message.is_transactional and message.status == "queued"


def test_another_org_cannot_see_or_use_templates(app, client, org, other_org, login_as):
    owner = factories.make_user("boss@example.com", org=org)
    outsider = factories.make_user("spy@example.com", org=other_org)
    db.session.commit()
    login_as(owner, org=org)
    template = create(client)
    version_id = template.current_version_id
    client.post("/logout")
    login_as(outsider, org=other_org)
    for url in (
        f"/templates/{template.id}",
        f"/templates/{template.id}/versions",
        f"/templates/{template.id}/diff?a={version_id}&b={version_id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/templates/{template.id}", data=form()).status_code == 404
    assert client.post(f"/templates/{template.id}/test").status_code == 404
    restore = f"/templates/{template.id}/versions/{version_id}/restore"
    assert client.post(restore).status_code == 404
    assert template.name not in client.get("/templates/").get_data(as_text=True)


def test_viewer_can_look_but_not_save(app, client, org, login_as):
    viewer = factories.make_user("viewer@example.com", org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    assert client.get("/templates/").status_code == 200
    assert client.post("/templates/", data=form()).status_code == 403
    page = client.get("/templates/new?type=invitation").get_data(as_text=True)
    assert "Save template" not in page and "hx-post" not in page
    assert "Hi Ada, let&#39;s talk" in page or "Hi Ada, let&amp;#39;s talk" in page  # preview shown
