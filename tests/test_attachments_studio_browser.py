"""The template studio's attachments panel in Chromium (issue 14, item 8): a refused file is
explained next to the file field, a PDF is listed once uploaded, removing it and restoring
the version that had it bring it back, and what the author was typing in the editor stays.
The restored version's test send arrives with the PDF (real worker, real SMTP server), and
the message page lists it. Screenshots of the panel and the message page, desktop and 390 px."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.support.browser import SCREENSHOTS, browser_login, screenshot
from tests.test_attachments_sending import PDF, files_in
from tests.test_sent_record_browser import WIDER_THAN_VIEWPORT
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Message
from webapp.services.queues import TRANSACTIONAL
from webapp.services.rendering import TemplateSource
from webapp.services.templates.library import add_version, create_template

pytestmark = pytest.mark.browser
BODY = "<mj-section><mj-column><mj-text>Hello {{ candidate.first_name }}</mj-text></mj-column></mj-section>"  # noqa: E501


def _template(org, user):
    template = create_template(
        org.id, name="Welcome pack", template_type="custom", category="transactional"
    )
    add_version(template, TemplateSource("Welcome", "", BODY), user_id=user.id)
    db.session.commit()
    return template


def _upload(page, name: str, data: bytes, kind: str) -> None:
    chosen = {"name": name, "mimeType": kind, "buffer": data}
    page.set_input_files("#attachment-file", files=[chosen])
    page.locator("#attachments").get_by_role("button", name="Upload").click()


def _no_sideways_scroll(page, within: str = "") -> None:
    wide = page.evaluate(WIDER_THAN_VIEWPORT.replace("body *", f"{within or 'body'} *"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1 and not wide, f"the page scrolls sideways at 390 px: {wide}"


def test_upload_remove_restore_and_send_a_template_file(
    live_server,
    worker_env,  # noqa: F811
    smtp_server,
    page,
    org,
):
    user = factories.make_user("editor@acme.example", org=org, role="editor")
    template = _template(org, user)
    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/templates/{template.id}")
    panel = page.locator("#attachments")
    assert "No files attached." in panel.inner_text()
    page.fill("#subject", "Typed, not saved yet")

    _upload(page, "setup.exe", b"MZ\x90\x00", "application/octet-stream")
    error = page.locator("#attachment-error")
    error.wait_for()
    assert "“setup.exe” is not a type Herald attaches" in error.inner_text()
    assert page.get_attribute("#attachment-file", "aria-invalid") == "true"
    assert "attachment-error" in page.get_attribute("#attachment-file", "aria-describedby")
    screenshot(page, "studio-attachments-refused")

    _upload(page, "Job description.pdf", PDF, "application/pdf")
    panel.locator(".attachment-name", has_text="Job description.pdf").wait_for()
    assert f"PDF, {len(PDF) / 1000:.0f} kB" in panel.inner_text()
    assert page.locator("#attachment-error").count() == 0
    assert "Version 2 · saving creates version 3" in page.locator("#studio-version").inner_text()
    assert page.input_value("#subject") == "Typed, not saved yet"  # the editor was not reloaded
    panel.scroll_into_view_if_needed()
    screenshot(page, "studio-attachments")
    panel.screenshot(path=str(SCREENSHOTS / "studio-attachments-panel.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    screenshot(page, "studio-attachments-390")
    _no_sideways_scroll(page, "#attachments")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Remove Job description.pdf").click()
    panel.get_by_text("No files attached.").wait_for()

    page.goto(f"{live_server.url}/templates/{template.id}/versions")
    history = page.locator("tbody tr")
    assert "Removed Job description.pdf" in history.nth(0).inner_text()
    assert "Files: Job description.pdf" in history.nth(1).inner_text()
    assert "Files:" not in history.nth(0).inner_text() + history.nth(2).inner_text()
    screenshot(page, "studio-attachments-history")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore version 2").click()
    page.wait_for_url(f"**/templates/{template.id}")
    assert "Job description.pdf" in page.locator("#attachments").inner_text()
    assert "Version 4" in page.locator("#studio-version").inner_text()

    page.fill("#test-to", "hr@acme.example")
    page.get_by_role("button", name="Send a test").click()
    page.get_by_text("Test email on its way to hr@acme.example").wait_for()
    run_burst(worker_env, TRANSACTIONAL)
    (received,) = smtp_server.received
    assert files_in(received.data)["Job description.pdf"][1] == PDF

    message = db.session.scalars(select(Message)).one()
    page.goto(f"{live_server.url}/messages/{message.id}")
    facts = page.locator(".message-detail")
    assert "Job description.pdf" in facts.inner_text()
    assert f"{len(PDF) / 1000:.0f} kB" in facts.inner_text()
    screenshot(page, "message-attachments")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/messages/{message.id}")
    page.frame_locator("iframe.message-preview").locator("text=Hello").wait_for()
    screenshot(page, "message-attachments-390")
    _no_sideways_scroll(page)
