# ruff: noqa: E501 - template sources read best as the one line an author would write
"""compose_message: which version is used, the context, tracking links, pixel and .ics."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from tests.support import factories
from webapp.extensions import db
from webapp.models import Message
from webapp.services.rendering import TemplateSource
from webapp.services.sending import outbox
from webapp.services.templates import library as studio
from webapp.services.templates.compose import HONEYPOT, ComposeError, compose_message
from webapp.services.tokens import read_token

BODY = (
    "<mj-section><mj-column><mj-text>{label} {{{{ candidate.first_name }}}} "
    '<a href="https://jobs.example.com/role">role</a> '
    '<a href="https://jobs.example.com/private" data-notrack>private</a></mj-text>'
    '<mj-button href="{{{{ invite_url }}}}">Go</mj-button></mj-column></mj-section>'
)


def make_template(org, label="Ours", template_type="invitation"):
    template = studio.create_template(
        org.id, name=label, template_type=template_type, category="invitations"
    )
    studio.add_version(
        template, TemplateSource("Subject {{ job.title }}", "", BODY.format(label=label)),
        user_id=None,
    )  # fmt: skip
    return template


@pytest.fixture
def entry(app, org):
    candidate = factories.make_candidate(org, "grace@example.com", first_name="Grace",
                                         last_name="Hopper", timezone="Europe/Paris")  # fmt: skip
    shortlist = factories.make_shortlist(
        org, factories.make_job(org, "Compiler Engineer"), [candidate]
    )
    db.session.commit()
    return shortlist.entries[0]


def message_for(org, entry=None, **fields) -> Message:
    fields.setdefault("kind", "invitation")
    message = outbox.create_message(
        org.id,
        to_email=entry.candidate.email if entry else "someone@example.com",
        to_name=entry.candidate.full_name if entry else "Someone",
        shortlist_entry_id=entry.id if entry else None,
        **fields,
    )
    db.session.commit()
    return message


def test_falls_back_to_the_system_default(app, org, entry):
    email = compose_message(message_for(org, entry), org)
    assert email.subject == "Interview for Compiler Engineer at Acme Talent"
    assert email.template_version_id is None
    assert "Hi Grace" in email.html and "Hi Grace" in email.text


def test_org_override_then_message_version_then_restore_keeps_old_messages(app, org, entry):
    template = make_template(org, "First")
    db.session.commit()
    old = message_for(org, entry, template_id=template.id,
                      template_version_id=template.current_version_id)  # fmt: skip
    studio.add_version(
        template, TemplateSource("S2", "", BODY.format(label="Second")), user_id=None
    )
    db.session.commit()
    assert "First Grace" in compose_message(old, org).html  # old messages keep their version
    newer = message_for(org, entry, template_id=template.id)
    email = compose_message(newer, org)
    assert "Second Grace" in email.html and email.template_version_id == template.current_version_id
    version, source = studio.resolve_template(org.id, "invitation")
    assert version.id == template.current_version_id and "Second" in source.body_mjml


def test_another_orgs_version_is_never_used(app, org, other_org, entry):
    foreign = make_template(other_org, "Foreign")
    db.session.commit()
    message = message_for(org, entry, template_id=foreign.id,
                          template_version_id=foreign.current_version_id)  # fmt: skip
    email = compose_message(message, org)
    assert "Foreign" not in email.html and "Hi Grace" in email.html  # system default instead
    assert studio.resolve_template(org.id, "invitation")[0] is None


def test_click_tracking_links_honeypot_and_pixel(app, org, entry):
    make_template(org, "Tracked")
    db.session.commit()
    message = message_for(org, entry)
    email = compose_message(message, org)
    assert email.links[0] == "https://jobs.example.com/role"
    assert email.links[1].startswith("http://herald.test/i/")  # the interview link
    assert email.links[-1] == HONEYPOT
    clicks = re.findall(r'href="(http://herald\.test/t/c/[^"]+)"', email.html)
    assert len(clicks) == len(email.links)
    token = clicks[0].rsplit("/", 1)[1]
    # the token carries the URL it stands for: the redirect needs no database read
    assert read_token("click", token) == [str(org.id), str(message.id), 0, email.links[0]]
    assert 'href="https://jobs.example.com/private"' in email.html  # opted out
    assert re.search(r'href="http://herald\.test/u/[^"]+"', email.html)  # unsubscribe untouched
    assert "https://jobs.example.com/role" not in email.html
    assert re.search(r'<img src="http://herald\.test/t/o/[^"]+"[^>]*alt=""', email.html)
    assert email.html.index("/t/o/") < email.html.index("</body>")


def test_tracking_switched_off(app, org, entry):
    org.open_tracking = org.click_tracking = False
    db.session.commit()
    email = compose_message(message_for(org, entry), org)
    assert email.links == [] and "/t/c/" not in email.html and "/t/o/" not in email.html


def test_invitation_has_an_ics_that_parses(app, org, entry):
    email = compose_message(message_for(org, entry), org)
    (ics,) = email.attachments
    assert ics.filename == "invite.ics" and "method=REQUEST" in ics.content_type
    calendar = Calendar.from_ical(ics.data)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == f"interview-{entry.id}@example.com"
    assert event.decoded("DTSTART") == entry.interview_at.replace(
        tzinfo=event.decoded("DTSTART").tzinfo
    )
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert "grace@example.com" in str(event["ATTENDEE"])


def test_cancellation_ics_cancels_the_same_event(app, org, entry):
    invite = compose_message(message_for(org, entry), org).attachments[0]
    cancel = compose_message(message_for(org, entry, kind="cancellation"), org).attachments[0]
    first, second = Calendar.from_ical(invite.data), Calendar.from_ical(cancel.data)
    assert str(second["METHOD"]) == "CANCEL"
    assert second.walk("VEVENT")[0]["UID"] == first.walk("VEVENT")[0]["UID"]
    assert str(second.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_no_ics_without_an_interview_time_or_for_reminders(app, org, entry):
    assert compose_message(message_for(org, entry, kind="reminder_24h"), org).attachments == []
    entry.interview_at = None
    db.session.commit()
    email = compose_message(message_for(org, entry), org)
    assert email.attachments == [] and "Choose a time" in email.html


def test_raw_messages_are_sent_as_given_with_tracking(app, org):
    message = message_for(org, raw_subject="Raw {{ x }}", kind="custom",
                          raw_html='<html><body><a href="https://x.example.com">x</a></body></html>')  # fmt: skip
    email = compose_message(message, org)
    assert email.subject == "Raw {{ x }}"
    assert email.links == ["https://x.example.com", HONEYPOT]
    assert "x" in email.text


def test_broken_template_raises_compose_error(app, org, entry):
    template = studio.create_template(
        org.id, name="Bad", template_type="invitation", category="updates"
    )
    studio.add_version(template, TemplateSource("s", "", "{{ candidate.__class__ }}"), user_id=None)
    db.session.commit()
    with pytest.raises(ComposeError) as caught:
        compose_message(message_for(org, entry, template_id=template.id), org)
    assert caught.value.errors[0].kind == "security"
