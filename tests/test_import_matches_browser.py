"""An import never silently rewrites existing candidates (issue 14, item 6), walked in Chromium
as the recruiter did: a CSV whose rows match two existing candidates by external id (one of
them with an invitation already scheduled) is uploaded; by default those candidates are left
as they are and the report lists each change; the recruiter then chooses to apply them, and
the scheduled invitation goes out (real worker, real SMTP server) with the new name in both
``To:`` and the body. Screenshots of the import report at desktop width and at 390 px."""

from __future__ import annotations

import email
from datetime import timedelta

from sqlalchemy import select

from jobs.sending import dispatch_due
from tests.support import factories
from tests.support.browser import browser_login, screenshot
from tests.test_worker import make_due, run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Candidate, ImportRun, Message, ShortlistEntry, utcnow
from webapp.services.queues import BULK, TRANSACTIONAL
from webapp.services.sending.outbox import create_message

CSV = (
    "external id,email,first name,last name\n"
    "X1,adeline@example.com,Adeline,Lovelace\n"
    "X2,bob@example.com,Robert,Builder\n"
    "X3,grace@example.com,Grace,Hopper\n"
)
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
    && !(el.parentElement && el.parentElement.closest('.table-wrap, .tabs')))
  .map(el => el.tagName + '.' + el.className).slice(0, 5)"""


def _people(org):
    ada = factories.make_candidate(
        org, "ada@example.com", external_id="X1", first_name="Ada", last_name="Lovelace"
    )
    bob = factories.make_candidate(
        org, "bob@example.com", external_id="X2", first_name="Bob", last_name="Builder"
    )
    factories.make_shortlist(org, candidates=[ada])
    entry = db.session.scalars(select(ShortlistEntry)).one()
    invitation = create_message(
        org.id,
        to_email=ada.email,
        to_name=ada.full_name,
        kind="invitation",
        category="invitations",
        candidate_id=ada.id,
        shortlist_entry_id=entry.id,
        send_after=utcnow() + timedelta(days=1),
    )
    db.session.commit()
    return ada, bob, invitation


def test_matching_rows_are_shown_and_applied_only_when_chosen(
    live_server,
    worker_env,  # noqa: F811
    smtp_server,
    page,
    org,
    tmp_path,
):
    user = factories.make_user("recruiter@acme.example", org=org, role="owner")
    ada, bob, invitation = _people(org)
    upload = tmp_path / "people.csv"
    upload.write_text(CSV)

    browser_login(page, live_server, user.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/audience/imports/new")
    page.set_input_files("#file", str(upload))
    page.click("text=Upload and map columns")
    assert page.locator("input[name=on_match][value=skip]").is_checked()  # the default
    page.click("text=Import 3 rows")
    page.wait_for_selector("text=Rows that match existing candidates")

    report = page.locator("#import-progress").inner_text()
    assert "Matched, left unchanged\n2" in report
    table = page.locator("table.import-matches").inner_text()
    assert "Ada Lovelace" in table and "Adeline" in table and "adeline@example.com" in table
    assert "Bob Builder" in table and "Robert" in table
    assert "Left unchanged" in table
    db.session.expire_all()
    assert db.session.get(Candidate, ada.id).first_name == "Ada"  # nothing rewritten
    assert db.session.get(Candidate, bob.id).first_name == "Bob"
    assert db.session.get(Message, invitation.id).to_name == "Ada Lovelace"
    run = db.session.scalars(select(ImportRun)).one()
    assert (run.created_count, run.updated_count, run.skipped_count) == (1, 0, 2)
    screenshot(page, "import-review")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "import-review-390")
    wide = page.evaluate(WIDER_THAN_VIEWPORT)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1 and not wide, f"the import report scrolls sideways at 390 px: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Update these 2 candidates with the file's values")
    page.wait_for_selector("text=2 candidate(s) updated")
    db.session.expire_all()
    assert db.session.get(Candidate, ada.id).first_name == "Adeline"
    assert db.session.get(Candidate, bob.id).first_name == "Robert"
    moved = db.session.get(Message, invitation.id)
    assert (moved.to_email, moved.to_name) == ("adeline@example.com", "Adeline Lovelace")

    make_due([invitation.id])
    dispatch_due()
    run_burst(worker_env, TRANSACTIONAL, BULK)
    assert len(smtp_server.received) == 1
    received = email.message_from_bytes(smtp_server.received[0].data)
    assert received["To"] == "Adeline Lovelace <adeline@example.com>"
    body = next(
        p.get_payload(decode=True).decode()
        for p in received.walk()
        if p.get_content_type() == "text/plain"
    )
    assert "Hi Adeline" in body and "Ada" not in body.replace("Adeline", "")
