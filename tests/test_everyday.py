"""Everyday expectations (issue 14, item 10): "Send a test" goes to the address typed in (a
colleague), through a real worker to a real SMTP server, and a bad address is refused with a
clear message; a campaign draft can be deleted from the wizard, and only a draft."""

from __future__ import annotations

from sqlalchemy import select

from tests.test_templates_studio import create
from tests.test_wizard import setup_shortlist
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import AuditLog, Campaign, Message
from webapp.services.queues import BULK, TRANSACTIONAL


def test_send_a_test_to_a_colleague(worker_env, smtp_server, logged_in, user):  # noqa: F811
    template = create(logged_in)
    page = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert 'name="to"' in page and f'value="{user.email}"' in page  # prefilled, editable

    sent = logged_in.post(
        f"/templates/{template.id}/test", data={"to": "Hiring.Manager@Example.com"}
    )
    assert sent.status_code == 302
    flashed = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "Test email on its way to hiring.manager@example.com" in flashed
    run_burst(worker_env, TRANSACTIONAL, BULK)
    assert [r.rcpt_tos for r in smtp_server.received] == [["hiring.manager@example.com"]]

    logged_in.post(f"/templates/{template.id}/test", data={"to": "not an address"})
    refused = logged_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "“not an address” is not an email address; the test was not sent." in refused
    assert len(db.session.scalars(select(Message)).all()) == 1


def test_a_draft_can_be_deleted_from_the_wizard(logged_in, org):
    shortlist, _template = setup_shortlist(org)
    response = logged_in.post(
        "/campaigns/new",
        data={"job": str(shortlist.job_id), "shortlist_id": str(shortlist.id), "name": "Oops"},
    )
    draft = db.session.scalars(select(Campaign)).one()
    step = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Delete this draft" in step
        and f"/campaigns/{draft.id}/audience" in response.headers["Location"]
    )
    deleted = logged_in.post(f"/campaigns/{draft.id}/delete", follow_redirects=True)
    assert "Draft “Oops” deleted." in deleted.get_data(as_text=True)
    assert db.session.scalars(select(Campaign)).all() == []
    assert "campaign.delete_draft" in db.session.scalars(select(AuditLog.action)).all()


def test_a_confirmed_campaign_is_not_deleted(logged_in, org):
    from tests.test_campaign_pages import running_campaign

    campaign = running_campaign(org)
    page = logged_in.post(f"/campaigns/{campaign.id}/delete", follow_redirects=True)
    assert "Only a draft can be deleted" in page.get_data(as_text=True)
    assert db.session.get(Campaign, campaign.id) is not None
