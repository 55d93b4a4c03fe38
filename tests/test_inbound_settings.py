"""Settings → Bounces & replies: an admin turns the return path and reply routing on, sees the
addresses and DNS records (also on the sending-domain page), and saves an IMAP mailbox whose
password is kept encrypted."""

from __future__ import annotations

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import InboundMailbox, Organization
from webapp.services.crypto import decrypt
from webapp.services.inbound import addresses
from webapp.services.sending import domains


def test_admin_turns_bounce_and_reply_handling_on(logged_in, org):
    page = logged_in.get("/settings/inbound")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "bounces+…@bounces.example.com" in text and "feedback+" in text
    response = logged_in.post(
        "/settings/inbound/switches", data={"s-return_path": "y", "s-replies": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert addresses.switches(db.session.get(Organization, org.id)) == addresses.Switches(
        True, True
    )
    logged_in.post("/settings/inbound/switches", data={"s-return_path": "y"})
    db.session.expire_all()
    assert addresses.switches(db.session.get(Organization, org.id)) == addresses.Switches(
        True, False
    )


def test_the_domain_page_lists_the_bounce_mx_and_spf_once_the_switch_is_on(logged_in, org):
    domains.add_domain(org.id, "example.com")
    db.session.commit()
    before = logged_in.get("/settings/domains").get_data(as_text=True)
    assert "Bounce MX" not in before
    logged_in.post("/settings/inbound/switches", data={"s-return_path": "y"})
    after = logged_in.get("/settings/domains").get_data(as_text=True)
    assert "Bounce MX" in after and "bounces.example.com" in after
    assert "10 herald.test." in after and "v=spf1 include:example.com ~all" in after
    assert "Reply MX" not in after


def test_the_mailbox_password_is_stored_encrypted_and_kept_when_left_empty(logged_in, org):
    form = {
        "m-host": "imap.example.com",
        "m-port": "993",
        "m-security": "tls",
        "m-username": "bounces@example.com",
        "m-password": "s3cret-imap",
        "m-folder": "INBOX",
        "m-processed_folder": "Herald/Processed",
        "m-is_enabled": "y",
    }
    assert logged_in.post("/settings/inbound/mailbox", data=form).status_code == 302
    row = db.session.scalars(select(InboundMailbox)).one()
    assert "s3cret-imap" not in row.password_encrypted
    assert decrypt(row.password_encrypted) == "s3cret-imap"
    logged_in.post("/settings/inbound/mailbox", data={**form, "m-password": ""})
    db.session.expire_all()
    assert decrypt(db.session.scalars(select(InboundMailbox)).one().password_encrypted) == (
        "s3cret-imap"
    )
    assert "s3cret-imap" not in logged_in.get("/settings/inbound").get_data(as_text=True)


def test_a_viewer_sees_the_page_but_cannot_change_it(client, org, login_as):
    viewer = factories.make_user("viewer@acme.example", org=org, role="viewer")
    db.session.commit()
    login_as(viewer, org=org)
    assert client.get("/settings/inbound").status_code == 200
    refused = client.post("/settings/inbound/switches", data={"s-return_path": "y"})
    assert refused.status_code == 403
