"""The dev inbox: a real SMTP server that keeps what it receives, shown in the dashboard to the
organization that sent each email and to nobody else; off unless ``herald run-dev`` runs it."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from jobs import sending
from tests.conftest import ALLOWED_SMTP
from tests.support import factories
from tests.support.processes import start_run_dev, stop_process_group
from tests.support.smtp import free_port
from webapp.config import load_settings
from webapp.extensions import db
from webapp.services import devinbox
from webapp.services.sending.outbox import create_message

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def inbox(app_settings):
    """The dev inbox listening on a free port, and Herald's default relay pointed at it."""
    folder = Path(app_settings["instance_path"]) / "devinbox"
    port = free_port()
    app_settings.update(smtp_host="127.0.0.1", smtp_port=port, dev_inbox=True)
    controller = devinbox.make_controller(folder, "127.0.0.1", port)
    controller.start()
    ALLOWED_SMTP.add(("127.0.0.1", port))
    yield folder, port
    ALLOWED_SMTP.discard(("127.0.0.1", port))
    controller.stop()
    devinbox.clear_all(folder)


def _send_through_herald(org, subject: str, to: str = "ada@example.com"):
    message = create_message(
        org.id, to_email=to, raw_subject=subject, raw_html=f"<p>Hello <strong>{to}</strong></p>"
    )
    db.session.commit()
    sending.send_message(str(message.id))
    return message


def _send_raw(port: int, subject: str, headers: dict[str, str] | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Someone <someone@elsewhere.example>"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("Plain text body")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


def _client_for(app, org, email: str):
    factories.make_user(email, org=org, role="editor")
    db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def _key_of(folder: Path, subject: str) -> str:
    for path in folder.glob("*.eml"):
        if f"Subject: {subject}".encode() in path.read_bytes():
            return path.stem
    raise AssertionError(f"{subject!r} did not reach the inbox")


def test_each_organization_sees_only_the_mail_it_sent(inbox, app, org, other_org):
    folder, _port = inbox
    _send_through_herald(org, "Acme interview for Ada", "ada@example.com")
    _send_through_herald(other_org, "Globex offer for Bob", "bob@example.com")
    acme = _client_for(app, org, "reader@acme.example")
    globex = _client_for(app, other_org, "reader@globex.example")
    acme_key, globex_key = _key_of(folder, "Acme interview"), _key_of(folder, "Globex offer")

    acme_page = acme.get("/dev-inbox/").get_data(as_text=True)
    assert "Acme interview for Ada" in acme_page
    assert "Globex offer" not in acme_page and "bob@example.com" not in acme_page
    globex_page = globex.get("/dev-inbox/").get_data(as_text=True)
    assert "Globex offer for Bob" in globex_page and "Acme interview" not in globex_page

    detail = acme.get(f"/dev-inbox/{acme_key}").get_data(as_text=True)
    assert "ada@example.com" in detail
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in detail
    assert "&lt;strong&gt;ada@example.com" in detail  # an escaped srcdoc, not live in the page
    assert b"List-Unsubscribe: <http" in acme.get(f"/dev-inbox/{acme_key}/raw").data
    # another organization's email, its source (with its personal links) and a made-up key
    for path in (f"/dev-inbox/{globex_key}", f"/dev-inbox/{globex_key}/raw"):
        assert acme.get(path).status_code == 404
    assert globex.get(f"/dev-inbox/{globex_key}/raw").status_code == 200


def test_mail_that_matches_no_message_of_the_organization_is_shown_to_nobody(
    inbox, app, org, other_org
):
    folder, port = inbox
    _send_raw(port, "Sent by some other program")
    _send_raw(port, "Claims a made-up message", {"X-Herald-Message-Id": str(uuid.uuid4())})
    acme = _client_for(app, org, "reader@acme.example")
    page = acme.get("/dev-inbox/").get_data(as_text=True)
    assert "Sent by some other program" not in page and "made-up" not in page
    assert "No emails yet" in page
    for subject in ("Sent by some other program", "Claims a made-up message"):
        key = _key_of(folder, subject)
        assert acme.get(f"/dev-inbox/{key}").status_code == 404
        assert acme.get(f"/dev-inbox/{key}/raw").status_code == 404


def test_emptying_the_inbox_removes_only_the_organizations_own_mail(inbox, app, org, other_org):
    _send_through_herald(org, "Acme reminder")
    _send_through_herald(other_org, "Globex reminder")
    acme = _client_for(app, org, "reader@acme.example")
    response = acme.post("/dev-inbox/clear", follow_redirects=True)
    assert "Removed 1 emails" in response.get_data(as_text=True)
    assert "Acme reminder" not in acme.get("/dev-inbox/").get_data(as_text=True)
    globex = _client_for(app, other_org, "reader@globex.example")
    assert "Globex reminder" in globex.get("/dev-inbox/").get_data(as_text=True)


def test_dev_inbox_unknown_message_is_404(inbox, logged_in):
    assert logged_in.get("/dev-inbox/123-0").status_code == 404
    assert logged_in.get(f"/dev-inbox/123-0-{uuid.uuid4().hex}").status_code == 404
    assert logged_in.get("/dev-inbox/../secret_key").status_code == 404


def test_the_dev_inbox_is_off_unless_asked_for(app, logged_in):
    assert load_settings(environ={}).dev_inbox is False
    assert app.config["HERALD"].dev_inbox is False
    assert logged_in.get("/dev-inbox/").status_code == 404
    assert "Dev inbox" not in logged_in.get("/").get_data(as_text=True)


@pytest.fixture
def site(request, app_settings):
    public_url, dev_inbox = request.param
    app_settings.update(public_url=public_url, dev_inbox=dev_inbox)
    return request.getfixturevalue("app")


@pytest.mark.parametrize(
    ("site", "warned"),
    [
        (("https://herald.example.com", True), True),
        (("https://herald.example.com", False), False),
        (("http://127.0.0.1:5000", True), False),
    ],
    indirect=["site"],
)
def test_a_dev_inbox_on_an_https_site_is_flagged_on_every_page(site, user, warned):
    client = site.test_client()
    pages = ["/login"]
    assert client.get("/login").status_code == 200
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    pages += ["/", "/templates/", "/campaigns/", "/messages/", "/settings/", "/stats/"]
    for path in pages:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert ("the dev inbox is on" in response.get_data(as_text=True)) is warned, path


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "herald run-dev exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listened on {port} within {timeout} s")


def test_run_dev_turns_the_inbox_on_for_what_it_starts(app, app_settings, user, tmp_path):
    web_port, smtp_port = free_port(), free_port()
    proc = start_run_dev(
        app,
        app_settings,
        tmp_path,
        web_port,
        HERALD_SMTP_PORT=str(smtp_port),
        HERALD_LOG_LEVEL="WARNING",
    )
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe flowing
    try:
        _wait_for_port(smtp_port, proc)  # the inbox process runs
        _wait_for_port(web_port, proc)
        base = f"http://127.0.0.1:{web_port}"
        with requests.Session() as browser:
            page = browser.get(f"{base}/login", timeout=10).text
            token = page.split('name="csrf-token" content="')[1].split('"')[0]
            data = {"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
            assert browser.post(f"{base}/login", data=data, timeout=10).status_code == 200
            response = browser.get(f"{base}/dev-inbox/", timeout=10, allow_redirects=False)
            assert response.status_code == 200
            assert "Dev inbox" in response.text
    finally:
        stop_process_group(proc)
