"""The dev inbox: a real SMTP server that keeps what it receives, shown in the dashboard."""

import smtplib
from email.message import EmailMessage

import pytest

from tests.conftest import ALLOWED_SMTP
from tests.support.smtp import free_port
from webapp.services import devinbox


@pytest.fixture
def inbox(app):
    folder = app.config["HERALD"].instance_path / "devinbox"
    devinbox.clear(folder) if folder.exists() else None
    port = free_port()
    controller = devinbox.make_controller(folder, "127.0.0.1", port)
    controller.start()
    ALLOWED_SMTP.add(("127.0.0.1", port))
    yield folder, port
    ALLOWED_SMTP.discard(("127.0.0.1", port))
    controller.stop()
    devinbox.clear(folder)


def _send(port, subject="Your interview at Acme"):
    message = EmailMessage()
    message["From"] = "Acme <jobs@acme.example>"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    message.set_content("Plain text body")
    message.add_alternative("<p>Hello <strong>Ada</strong></p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


def test_dev_inbox_stores_and_shows_a_real_smtp_message(inbox, logged_in):
    folder, port = inbox
    _send(port)
    stored = devinbox.list_messages(folder)
    assert [m.subject for m in stored] == ["Your interview at Acme"]
    assert stored[0].body("plain").strip() == "Plain text body"

    page = logged_in.get("/dev-inbox/").get_data(as_text=True)
    assert "Your interview at Acme" in page
    detail = logged_in.get(f"/dev-inbox/{stored[0].key}").get_data(as_text=True)
    assert "ada@example.com" in detail
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in detail
    assert "&lt;strong&gt;Ada" in detail  # the HTML is an escaped srcdoc, not live in the page


def test_dev_inbox_unknown_message_is_404(inbox, logged_in):
    assert logged_in.get("/dev-inbox/123-0").status_code == 404
    assert logged_in.get("/dev-inbox/../secret_key").status_code == 404


def test_dev_inbox_hidden_when_disabled(app, logged_in):
    app.config["HERALD"].dev_inbox = False
    assert logged_in.get("/dev-inbox/").status_code == 404
