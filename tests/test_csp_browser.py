"""Chromium under Herald's Content-Security-Policy: every main dashboard page and every page a
candidate meets loads and works (htmx, the editor's live preview, charts, email previews in
sandboxed frames) with no violation in the console; an injected inline script does not run.

The ``page`` fixture (tests/support/browser.py) fails any test whose pages broke the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import sending
from tests.conftest import ALLOWED_SMTP
from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.support.smtp import free_port
from webapp.extensions import db
from webapp.models import Message
from webapp.services import devinbox
from webapp.services.accounts.members import set_password_url
from webapp.services.consent.suppressions import suppress
from webapp.services.interviews import links as interview_links
from webapp.services.links import preferences_url, unsubscribe_url
from webapp.services.sending.outbox import create_message

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox(app_settings):
    folder = Path(app_settings["instance_path"]) / "devinbox"
    port = free_port()
    app_settings.update(smtp_host="127.0.0.1", smtp_port=port, dev_inbox=True)
    controller = devinbox.make_controller(folder, "127.0.0.1", port)
    controller.start()
    ALLOWED_SMTP.add(("127.0.0.1", port))
    yield folder
    ALLOWED_SMTP.discard(("127.0.0.1", port))
    controller.stop()
    devinbox.clear_all(folder)


@pytest.fixture
def world(inbox, live_server, org, user):
    """An organization with candidates, a job and shortlist, and one email sent to the inbox."""
    people = [factories.make_candidate(org, f"cand{n}@example.com") for n in range(3)]
    job = factories.make_job(org, "Platform Engineer")
    shortlist = factories.make_shortlist(org, job, people)
    message = create_message(
        org.id,
        to_email="cand0@example.com",
        raw_subject="Your interview at Acme",
        raw_html='<p style="color:#0f766e">Hello <strong>Cand0</strong></p>',
        candidate_id=people[0].id,
    )
    suppress(org.id, "blocked@example.com", "manual")
    db.session.commit()
    sending.send_message(str(message.id))
    (key,) = [path.stem for path in inbox.glob("*.eml")]
    return {
        "job": job,
        "shortlist": shortlist,
        "candidate": people[0],
        "message": db.session.get(Message, message.id),
        "inbox_key": key,
    }


DASHBOARD_PAGES = [
    "/",
    "/templates/",
    "/templates/new?type=invitation",
    "/audience/candidates",
    "/audience/candidates/new",
    "/audience/jobs",
    "/audience/jobs/new",
    "/audience/imports/new",
    "/campaigns/",
    "/campaigns/new",
    "/messages/",
    "/messages/failed",
    "/stats/",
    "/stats/breakdowns",
    "/stats/queues",
    "/settings/",
    "/settings/members",
    "/settings/brand",
    "/settings/relays",
    "/settings/domains",
    "/settings/api-keys",
    "/settings/api-docs",
    "/settings/webhooks",
    "/settings/providers",
    "/settings/suppressions",
    "/settings/automations",
    "/settings/audit",
    "/dev-inbox/",
]


def _visit(page, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url


def test_every_dashboard_page_works_under_the_policy(
    inbox, page, live_server, world, user, csp_errors
):
    browser_login(page, live_server, user.email, factories.PASSWORD)
    base = live_server.url
    pages = [*DASHBOARD_PAGES]
    pages += [
        f"/audience/jobs/{world['job'].id}",
        f"/audience/shortlists/{world['shortlist'].id}",
        f"/audience/candidates/{world['candidate'].id}",
        f"/messages/{world['message'].id}",
        f"/dev-inbox/{world['inbox_key']}",
    ]
    for path in pages:
        _visit(page, base + path)
        assert page.locator("main").count() == 1, path
    assert csp_errors == []

    # the message page frames its preview (its own policy allows exactly that)
    _visit(page, f"{base}/messages/{world['message'].id}")
    page.frame_locator("iframe.message-preview").get_by_text("Hello").wait_for()
    # the dev inbox shows the email in a sandboxed srcdoc frame, with its inline styles
    _visit(page, f"{base}/dev-inbox/{world['inbox_key']}")
    frame = page.frame_locator("iframe[title='Email HTML']")
    frame.get_by_text("Hello").wait_for()
    color = frame.locator("p").first.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(15, 118, 110)"
    screenshot(page, "csp-dev-inbox-email")


def test_htmx_and_the_scripts_work_under_the_policy(inbox, page, live_server, world, user):
    browser_login(page, live_server, user.email, factories.PASSWORD)
    base = live_server.url
    # the live preview: htmx posts the source, the answer fills a sandboxed srcdoc iframe
    _visit(page, f"{base}/templates/new?type=invitation")
    preview = page.frame_locator("#preview iframe.studio-frame").locator("body")
    preview.get_by_text("Backend Engineer", exact=False).wait_for()
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type(
        "<mj-section><mj-column><mj-text>Typed under CSP</mj-text></mj-column></mj-section>\n"
    )
    preview.get_by_text("Typed under CSP").wait_for()
    # the invitation wizard: htmx steps, and "select all" (a static script, no inline one)
    _visit(page, f"{base}/campaigns/new")
    page.get_by_label("Platform Engineer", exact=True).check()
    page.get_by_role("button", name="Next: candidates →").click()
    boxes = page.locator("input[name='candidate_id']")
    boxes.first.wait_for()
    select_all = page.locator("[data-check-all]")
    select_all.uncheck()
    assert not any(boxes.nth(n).is_checked() for n in range(boxes.count()))
    select_all.check()
    assert all(boxes.nth(n).is_checked() for n in range(boxes.count()))
    # a confirmation that used to be an inline onsubmit handler still asks first
    _visit(page, f"{base}/settings/suppressions")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Remove blocked@example.com").click()
    assert asked and "blocked@example.com" in asked[0]
    assert page.get_by_role("button", name="Remove blocked@example.com").is_visible()
    # charts are drawn by scripts from /static
    _visit(page, f"{base}/stats/")
    assert page.locator("canvas").count() >= 1


def test_candidate_pages_work_under_the_policy(inbox, page, world, org, user):
    candidate, message = world["candidate"], world["message"]
    entry = world["shortlist"].entries[0]
    for url in (
        unsubscribe_url(org.id, candidate.email, message.id),
        preferences_url(org.id, candidate.email),
        interview_links.invite_url(entry),
        set_password_url(user),  # what an invited colleague opens
    ):
        _visit(page, url)
        assert page.locator("h1").count() >= 1, url
    screenshot(page, "csp-interview-page")


def test_an_injected_inline_script_is_blocked(page, live_server, csp_errors):
    _visit(page, f"{live_server.url}/login")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          const div = document.createElement("div");
          div.innerHTML = '<img src="data:," onerror="window.handler = true">';
          document.body.append(div);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected === undefined && window.handler === undefined")
    assert any("script-src" in text for text in csp_errors), csp_errors
    csp_errors.clear()  # provoked on purpose
