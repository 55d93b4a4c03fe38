"""The message page shows what was sent (issue 14, items 1 and 2): a real worker sends an
interview invitation to a real SMTP server; the brand colour, the interview time and the
template then change; the message page still shows the email the candidate received, names
the template version it came from, lists the attachment, and neither the page nor its frame
carries the recipient's tracking. After the retention period only the metadata stays."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from jobs.maintenance import purge_sent_content
from tests.support import factories
from tests.test_worker import run_burst, worker_env  # noqa: F401
from webapp.extensions import db
from webapp.models import Brand, Message, SentContent, ShortlistEntry
from webapp.services.queues import TRANSACTIONAL
from webapp.services.rendering import TemplateSource
from webapp.services.sending.outbox import create_message
from webapp.services.templates.library import add_version, create_template, system_default

BLUE, PURPLE = "#2563eb", "#7c3aed"
WHEN = re.compile(r"<strong>When:</strong>(.*?)<br", re.DOTALL)


def _html_part(raw: bytes) -> str:
    parsed = email.message_from_bytes(raw)
    for part in parsed.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no HTML part")


def _attachment_names(raw: bytes) -> list[str]:
    parsed = email.message_from_bytes(raw)
    return [part.get_filename() for part in parsed.walk() if part.get_filename()]


def _invitation(org, user):
    org.brand.primary_color = BLUE
    default = system_default("invitation").source
    template = create_template(
        org.id, name="Acme invitation", template_type="invitation", category="invitations"
    )
    add_version(template, default, user_id=user.id)
    candidate = factories.make_candidate(org, "ada@example.com", first_name="Ada", timezone="UTC")
    shortlist = factories.make_shortlist(org, candidates=[candidate])
    entry = db.session.scalars(select(ShortlistEntry)).one()
    entry.interview_at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    message = create_message(
        org.id,
        to_email=candidate.email,
        to_name="Ada Idate",
        template_id=template.id,
        kind="invitation",
        category="invitations",
        candidate_id=candidate.id,
        shortlist_entry_id=entry.id,
    )
    db.session.commit()
    return message, template, entry, shortlist


def _change_everything(org, template, entry, user) -> None:
    db.session.execute(
        update(Brand)
        .where(Brand.org_id == org.id)
        .values(primary_color=PURPLE, revision=Brand.revision + 1)
    )
    entry.interview_at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    source = template.current_version
    add_version(
        template,
        TemplateSource(
            subject="Changed: " + source.subject,
            preheader=source.preheader,
            body_mjml=source.body_mjml.replace("Kind regards", "Warm wishes"),
        ),
        user_id=user.id,
    )
    db.session.commit()


def test_message_page_shows_what_was_sent_not_todays_rendering(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
    user,
):
    message, template, entry, _ = _invitation(org, user)
    run_burst(worker_env, TRANSACTIONAL)
    assert len(smtp_server.received) == 1
    received = smtp_server.received[0].data
    sent_html = _html_part(received)
    sent_when = WHEN.search(sent_html).group(1)
    assert "3" in sent_when and BLUE in sent_html

    _change_everything(org, template, entry, user)

    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Acme invitation, version 1" in page
    assert "Exactly as sent on" in page
    for name in _attachment_names(received):
        assert name in page  # the interview's calendar file
    assert "Warm wishes" not in page and "Kind regards" in page  # the text part, as sent

    frame = logged_in.get(f"/messages/{message.id}/preview").get_data(as_text=True)
    assert WHEN.search(frame).group(1) == sent_when
    assert BLUE in frame and PURPLE not in frame
    assert "Warm wishes" not in frame and "Kind regards" in frame
    # what the page shows is the received email less its tracking
    assert "/t/o/" not in frame and "/t/c/" not in frame
    assert 'href="https://meet.example.com/room"' in frame
    assert "/t/o/" in sent_html and "/t/c/" in sent_html


def test_after_the_retention_period_only_the_metadata_stays(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
    user,
):
    message, *_ = _invitation(org, user)
    run_burst(worker_env, TRANSACTIONAL)
    db.session.execute(update(SentContent).values(sent_at=datetime.now(UTC) - timedelta(days=91)))
    db.session.commit()

    assert purge_sent_content() == 1
    assert purge_sent_content() == 0

    record = db.session.get(SentContent, message.id)
    db.session.refresh(record)
    assert record.body is None and record.body_purged_at is not None
    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "was deleted 90 days after it was sent" in page
    assert "Interview for Backend Engineer at Acme Talent" in page  # subject stays
    assert "Acme invitation, version 1" in page
    assert ".ics" in page  # the attachment's name stays
    frame = logged_in.get(f"/messages/{message.id}/preview").get_data(as_text=True)
    assert "Ada" not in frame and "no longer kept" in frame
    assert db.session.get(Message, message.id).status == "sent"


def test_a_body_recorded_by_an_earlier_version_still_shows(
    worker_env,  # noqa: F811
    smtp_server,
    logged_in,
    org,
    user,
):
    """Bodies were zlib streams before they were LZ4: an upgraded install shows both."""
    import zlib

    message, *_ = _invitation(org, user)
    run_burst(worker_env, TRANSACTIONAL)
    html = "<p>Recorded before the upgrade</p>"
    text = "Recorded before the upgrade, as text"
    data = html.encode()
    older = zlib.compress(len(data).to_bytes(4, "big") + data + text.encode(), 1)
    db.session.execute(
        update(SentContent).where(SentContent.message_id == message.id).values(body=older)
    )
    db.session.commit()

    page = logged_in.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Recorded before the upgrade, as text" in page
    frame = logged_in.get(f"/messages/{message.id}/preview").get_data(as_text=True)
    assert "<p>Recorded before the upgrade</p>" in frame
