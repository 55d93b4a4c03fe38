"""Settings → SMTP relays: presets, credentials encrypted at rest, connection test, failover
order, and the relay actually used for sending."""

from __future__ import annotations

from sqlalchemy import select

from jobs import sending
from webapp.extensions import db
from webapp.models import AuditLog, Message, Relay
from webapp.services.sending.outbox import create_message
from webapp.services.sending.relays import matching_headers


def test_add_a_preset_relay_keeps_the_password_encrypted(logged_in, org):
    response = logged_in.post(
        "/settings/relays",
        data={
            "name": "SendGrid",
            "preset": "sendgrid",
            "host": "",
            "port": 587,
            "security": "starttls",
            "username": "apikey",
            "password": "SG.very-secret",
            "priority": 10,
            "is_enabled": "y",
        },
    )
    assert response.status_code == 302
    relay = db.session.scalars(select(Relay)).one()
    assert relay.host == "smtp.sendgrid.net"
    assert relay.password_encrypted and "very-secret" not in relay.password_encrypted
    page = logged_in.get("/settings/relays").get_data(as_text=True)
    assert "smtp.sendgrid.net:587" in page and "very-secret" not in page
    assert "password stored encrypted" in page
    assert db.session.scalars(select(AuditLog.action)).all() == ["relay.create"]


def test_custom_relay_needs_a_host_and_keeps_what_was_typed(logged_in):
    response = logged_in.post(
        "/settings/relays",
        data={"name": "Mine", "preset": "custom", "port": 25, "security": "none", "priority": 5},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the SMTP server" in page and 'value="Mine"' in page


def test_connection_test_reports_success_and_failure(smtp_server, logged_in, org):
    from tests.support.smtp import free_port

    good = Relay(
        org_id=org.id, name="Local", host="127.0.0.1", port=smtp_server.port, security="none"
    )
    db.session.add(good)
    db.session.commit()
    page = logged_in.post(f"/settings/relays/{good.id}/test", follow_redirects=True)
    assert "Connected to 127.0.0.1" in page.get_data(as_text=True)

    from tests.conftest import ALLOWED_SMTP

    dead_port = free_port()
    ALLOWED_SMTP.add(("127.0.0.1", dead_port))
    good.port = dead_port
    db.session.commit()
    page = logged_in.post(f"/settings/relays/{good.id}/test", follow_redirects=True)
    assert "cannot connect" in page.get_data(as_text=True)
    ALLOWED_SMTP.discard(("127.0.0.1", dead_port))


def test_mail_goes_through_the_organizations_relay_with_its_header(smtp_server, app, org):
    db.session.add(
        Relay(
            org_id=org.id,
            name="Mailgun EU",
            preset="mailgun",
            host="127.0.0.1",
            port=smtp_server.port,
            security="none",
        )
    )
    message = create_message(org.id, to_email="ada@example.com", raw_subject="Hi", raw_html="x")
    db.session.commit()
    sending.send_message(str(message.id))
    db.session.expire_all()
    assert db.session.get(Message, message.id).relay_name == "Mailgun EU"
    assert f'"herald_message_id": "{message.id}"'.encode() in smtp_server.received[0].data


def test_every_provider_preset_adds_its_matching_header(app):
    import uuid

    message_id = uuid.uuid4()
    expected = {
        "sendgrid": "X-SMTPAPI",
        "mailgun": "X-Mailgun-Variables",
        "ses": "X-SES-MESSAGE-TAGS",
        "postmark": "X-PM-Metadata-herald_message_id",
        "resend": "X-Herald-Message-Id",
    }
    for preset, header in expected.items():
        headers = matching_headers(preset, message_id)
        assert str(message_id) in headers[header]
        assert headers["X-Herald-Message-Id"] == str(message_id)


def test_another_organizations_relay_is_404(logged_in, other_org):
    theirs = Relay(org_id=other_org.id, name="Theirs", host="smtp.example.com")
    db.session.add(theirs)
    db.session.commit()
    assert logged_in.get(f"/settings/relays/{theirs.id}/edit").status_code == 404
    assert logged_in.post(f"/settings/relays/{theirs.id}/delete").status_code == 404
    assert logged_in.post(f"/settings/relays/{theirs.id}/test").status_code == 404
