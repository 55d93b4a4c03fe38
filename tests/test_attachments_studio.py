"""The attachments panel without JavaScript and by role: a refused file answers 422 with the
editor and the reason next to the file field; viewers see the files but cannot change them;
replacing a file of the same name keeps one; each change is audited."""

from __future__ import annotations

import re
from io import BytesIO

from sqlalchemy import select

from tests.support import factories
from tests.test_attachments_sending import PDF, upload
from tests.test_templates_studio import create
from webapp.extensions import db
from webapp.models import AuditLog, EmailTemplate


def test_a_refused_file_answers_422_with_the_reason_next_to_the_field(logged_in):
    template = create(logged_in)
    response = upload(logged_in, template, "cv.pdf", b"MZ\x90\x00 a renamed program")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input type="file" id="attachment-file"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "attachment-error" in field
    error = re.search(r'<ul class="field-error" id="attachment-error"[^>]*><li>(.*?)</li>', page)
    assert error.group(1) == "“cv.pdf” is not a real PDF: its content does not start like one."
    assert db.session.get(EmailTemplate, template.id).current_version.number == 1

    nothing = logged_in.post(
        f"/templates/{template.id}/attachments",
        data={"file": (BytesIO(b""), "")},
        content_type="multipart/form-data",
    )
    assert nothing.status_code == 422 and "Choose a file to attach." in nothing.get_data(
        as_text=True
    )


def test_replacing_and_removing_make_versions_and_are_audited(logged_in):
    template = create(logged_in)
    assert upload(logged_in, template, "brief.pdf", PDF).status_code == 303
    assert upload(logged_in, template, "brief.pdf", PDF + b"v2").status_code == 303
    page = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert page.count('<span class="attachment-name">brief.pdf</span>') == 1
    remove = re.search(r'action="(/templates/[^"]+/delete)"', page).group(1)
    response = logged_in.post(remove, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert (
        "No files attached." in fragment and "Removed “brief.pdf”; saved as version 4." in fragment
    )
    assert 'id="studio-version" hx-swap-oob="true"' in fragment
    assert logged_in.post(remove).status_code == 422  # already gone: the panel says so
    history = logged_in.get(f"/templates/{template.id}/versions").get_data(as_text=True)
    for note in ("Attached brief.pdf", "Replaced brief.pdf", "Removed brief.pdf"):
        assert note in history
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions.count("template.attach") == 2 and actions.count("template.detach") == 1


def test_viewers_see_the_files_but_cannot_change_them(app, client, org, login_as):
    from webapp.services.attachments import checks
    from webapp.services.attachments import templates as template_files
    from webapp.services.templates.library import add_version, create_template, system_default

    template = create_template(
        org.id, name="Ours", template_type="invitation", category="invitations"
    )
    add_version(template, system_default("invitation").source, user_id=None)
    limits = checks.Limits(5_000_000, 7_000_000)
    checked = checks.check_file("brief.pdf", PDF, limits)
    template_files.attach(template, checked, limits, user_id=None, actor_label="setup")
    viewer = factories.make_user("viewer@acme.example", org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    page = client.get(f"/templates/{template.id}").get_data(as_text=True)
    assert '<span class="attachment-name">brief.pdf</span>' in page
    assert 'id="attachment-file"' not in page and "/delete" not in page
    assert upload(client, template, "other.pdf", PDF).status_code == 403
