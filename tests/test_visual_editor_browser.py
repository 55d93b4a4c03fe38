"""The visual editor in a real Chromium: a recruiter builds an invitation from blocks, previews
it at desktop and phone width, saves it, sends it to a candidate through the wizard and real
worker processes, and finds it in the email a real SMTP server received. The same template
then opens in code and, unchanged, in visual mode again."""

from __future__ import annotations

import email
import email.policy
import io
import re

from PIL import Image as PILImage
from sqlalchemy import select

from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import EmailTemplate
from webapp.services.queues import DEFAULT, get_queue


def png(width=320, height=120) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (36, 81, 183)).save(out, "PNG")
    return out.getvalue()


def insert_placeholder(page, into: str, label: str) -> None:
    page.get_by_label(f"Placeholder to insert into {into}").select_option(label=label)
    page.get_by_role("button", name=f"Insert the chosen placeholder into {into}").click()


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def source(page) -> str:
    return page.evaluate("window.HeraldStudio.getSource()")


def build_invitation(page, live_server) -> None:
    # Herald's own invitation uses conditions and tags beyond the blocks: it stays in code
    page.goto(f"{live_server.url}/templates/new?type=invitation")
    notice = page.locator("#visual-notice")
    notice.wait_for()
    assert "stays in code because line" in notice.inner_text()
    assert page.locator(".CodeMirror").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start over with blocks").click()
    page.get_by_text("No blocks yet").wait_for()
    assert not page.locator(".CodeMirror").is_visible()

    page.get_by_role("button", name="Add heading", exact=True).click()
    page.keyboard.type("Hi ")  # focus is already in the new heading
    insert_placeholder(page, "Heading text", "First name")
    page.keyboard.type(", let's meet")

    page.get_by_role("button", name="Add text", exact=True).click()
    page.keyboard.type("We would like to talk with you about the ")
    insert_placeholder(page, "Text", "Job title")
    page.keyboard.type(" role. ")
    page.keyboard.press("Control+b")
    page.keyboard.type("It takes a minute.")
    page.keyboard.press("Control+b")

    page.get_by_role("button", name="Add button", exact=True).click()
    assert page.get_by_label("Button opens").input_value() == "{{ invite_url }}"

    page.get_by_role("button", name="Add image", exact=True).click()
    page.get_by_label("Upload an image").set_input_files(
        {"name": "office.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_text("Uploaded: 320 \N{MULTIPLICATION SIGN} 120 px.").wait_for()
    page.get_by_label("Description for people who cannot see it").fill("Our office in Lyon")


def test_invitation_from_blocks_previewed_saved_sent_and_reopened(
    smtp_server,
    live_server,
    worker_env,  # noqa: F811
    page,
    user,
    org,
):
    grace = factories.make_candidate(org, "grace@example.com", first_name="Grace")
    job = factories.make_job(org, "Platform Engineer", location="Lyon")
    factories.make_shortlist(org, job, [grace])
    db.session.commit()
    errors = watch_errors(page)
    browser_login(page, live_server, user.email, factories.PASSWORD)

    build_invitation(page, live_server)
    frame = page.frame_locator("#preview iframe.studio-frame")
    frame.get_by_text("Hi Ada, let's meet").wait_for()
    frame.get_by_text("We would like to talk with you about the Backend Engineer role.").wait_for()
    assert frame.locator("strong", has_text="It takes a minute.").count() == 1
    assert frame.get_by_role("link", name="Choose a time").count() == 1
    image = frame.locator("img[alt='Our office in Lyon']")
    assert "/media/" in image.get_attribute("src")
    screenshot(page, "visual-editor-desktop")
    page.get_by_role("button", name="Mobile").click()
    assert page.locator("#preview iframe.studio-frame").bounding_box()["width"] <= 380
    screenshot(page, "visual-editor-phone-preview")
    page.get_by_role("button", name="Desktop").click()

    with page.expect_response("**/templates/preview"):  # let the preview settle before leaving
        page.get_by_label("Name", exact=True).fill("Blocks invitation")
    page.get_by_role("button", name="Save template").click()
    page.get_by_text("as version 1").wait_for()
    saved = db.session.scalars(select(EmailTemplate)).one().current_version.body_mjml
    assert '<mj-button href="{{ invite_url }}">Choose a time</mj-button>' in saved
    assert "{{ candidate.first_name|first_name }}" in saved and "{{ job.title }}" in saved

    # reopened: visual, as built; code shows the same MJML; back to visual, nothing changed
    page.locator(".vblock-heading .vchip", has_text="First name").wait_for()
    assert page.locator(".vblock").count() == 4
    page.get_by_role("button", name="Code", exact=True).click()
    assert page.locator(".CodeMirror").is_visible()
    assert '<mj-button href="{{ invite_url }}">' in page.locator(".CodeMirror").inner_text()
    assert source(page) == saved
    page.get_by_role("button", name="Visual", exact=True).click()
    assert page.locator(".vblock").count() == 4
    assert page.locator(".vblock-image img.vimage-preview").get_attribute("src") in saved
    assert source(page) == saved
    assert errors == []

    send_with_the_wizard(page, live_server, worker_env)
    assert [r.rcpt_tos for r in smtp_server.received] == [["grace@example.com"]]
    mail = email.message_from_bytes(smtp_server.received[0].data, policy=email.policy.default)
    html = mail.get_body(("html",)).get_content()
    assert "Hi Grace, let's meet" in html
    assert "about the Platform Engineer role." in html
    image_tag = re.search(r'<img[^>]*alt="Our office in Lyon"[^>]*>', html).group(0)
    assert re.search(r'src="http://127\.0\.0\.1:\d+/media/[0-9a-f-]+\.png"', image_tag)
    button = re.search(r'<a href="([^"]+)"[^>]*>\s*Choose a time\s*</a>', html)
    assert button, "the button is in the email"
    landing = live_server_client_get(live_server, button.group(1))
    assert "/i/" in landing, "the button leads to the candidate's interview page"


def live_server_client_get(live_server, url: str) -> str:
    """Follow the (click-tracked) button link on the live server; return where it leads."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    assert url.startswith(live_server.url)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(url, timeout=10)
        return response.geturl()
    except urllib.error.HTTPError as answer:
        return answer.headers.get("Location", "")


def send_with_the_wizard(page, live_server, worker_env) -> None:  # noqa: F811
    page.goto(f"{live_server.url}/campaigns/new")
    page.locator("label.choice", has_text="Platform Engineer").locator("input[name=job]").check()
    page.get_by_role("button", name="Next: candidates →").click()
    page.wait_for_url(re.compile(r".*/audience$"))
    page.get_by_role("button", name="Next: template →").click()
    page.wait_for_url(re.compile(r".*/template$"))
    page.get_by_label("Blocks invitation").check()
    page.frame_locator("iframe.preview-frame").get_by_text("Hi Grace, let's meet").wait_for()
    page.get_by_role("button", name="Next: when →").click()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Next: review →").click()
    page.wait_for_url(re.compile(r".*/review$"))
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}$"))
    run_burst(worker_env, DEFAULT)  # fan-out
    get_queue(DEFAULT).enqueue("jobs.sending.dispatch_due", description="dispatch_due")
    run_burst(worker_env)  # dispatch, then the send batch
