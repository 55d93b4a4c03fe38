"""Every sample in the corpus (tests/inbound_samples: RFC 3464 DSNs from Postfix, Gmail,
Exchange and Exim, prose bounces from qmail, Exim and Yahoo, an RFC 5965 ARF report,
RFC 3834 and Exchange out-of-office notes, real replies) is read as a person would read it."""

from __future__ import annotations

import uuid

import pytest

from tests.support.inbound import sample, sample_names
from webapp.services.inbound import addresses, processing, replies

HERALD_ID = "0194a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
VALUES = {
    "verp": "bounces+abc@bounces.example.com",
    "reply": "reply+abc@replies.example.com",
    "feedback": "feedback+abc@bounces.example.com",
    "recipient": "jane.doe@example.org",
    "message_id": f"<{HERALD_ID}@example.com>",
    "herald_id": HERALD_ID,
}

# sample: (kind, bounce type, status, words the diagnostic must contain)
EXPECTED = {
    "postfix_hard": ("bounce", "hard", "5.1.1", "User unknown in virtual mailbox table"),
    "postfix_delayed": ("bounce", "soft", "4.4.1", "Connection timed out"),
    "gmail_hard": ("bounce", "hard", "5.1.1", "does not exist"),
    "exchange_ndr": ("bounce", "hard", "5.1.10", "RecipientNotFound"),
    "mailbox_full": ("bounce", "soft", "5.2.2", "Mailbox full"),
    "policy_block": ("bounce", "soft", "5.7.1", "content restrictions"),
    "qmail": ("bounce", "hard", "5.1.1", "User unknown"),
    "exim_text": ("bounce", "hard", "5.0.0", "No such user here"),
    "yahoo_text": ("bounce", "hard", "5.0.0", "doesn't have a yahoo.com account"),
    "arf_abuse": ("complaint", None, None, None),
    "ooo_rfc3834": ("autoreply", None, None, None),
    "ooo_exchange": ("autoreply", None, None, None),
    "ooo_subject_only": ("autoreply", None, None, None),
    "reply_attachment": ("reply", None, None, None),
    "reply_outlook": ("reply", None, None, None),
}


def test_the_corpus_and_the_expectations_list_the_same_samples():
    assert sorted(EXPECTED) == sample_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_is_classified_with_its_status_and_diagnostic(app, name):
    kind, bounce_type, status, words = EXPECTED[name]
    msg = processing.parse(sample(name, **VALUES))
    mail_from = "" if kind == "bounce" else VALUES["recipient"]
    purposes = {"reply"} if name.startswith(("ooo", "reply")) else {"bounce"}
    finding = processing.classify(msg, mail_from, purposes)
    assert finding.kind == kind
    if kind == "bounce":
        assert finding.details["bounce_type"] == bounce_type
        assert finding.details["status"] == status
        assert words in finding.details["diagnostic"]
        assert finding.details["recipient"] == VALUES["recipient"]
    if kind in ("bounce", "complaint"):  # the fallback reference to our message is found
        assert uuid.UUID(HERALD_ID) in processing._reference_ids(finding.ids)


def test_a_bounce_from_a_null_sender_is_found_without_a_bounce_subject(app):
    raw = sample("qmail", **VALUES).replace(b"Subject: failure notice", b"Subject: hello")
    finding = processing.classify(processing.parse(raw), "", {"bounce"})
    assert (finding.kind, finding.details["bounce_type"]) == ("bounce", "hard")


def test_a_reply_keeps_the_new_text_folds_the_quote_and_lists_the_attachment(app):
    reply = replies.read_reply(processing.parse(sample("reply_attachment", **VALUES)))
    assert reply.text.startswith("Thursday works, but could we do 10:00?")
    assert reply.text.endswith("Jane")
    assert "wrote:" in reply.quoted_text and "Thursday at 09:00" in reply.quoted_text
    assert reply.attachments == [
        {
            "index": 0,
            "filename": "jane-doe-cv.pdf",
            "content_type": "application/pdf",
            "size": reply.attachments[0]["size"],
            "kept": True,
        }
    ]
    assert reply.attachments[0]["size"] > 100


def test_an_html_only_outlook_reply_is_cut_at_its_from_sent_block(app):
    reply = replies.read_reply(processing.parse(sample("reply_outlook", **VALUES)))
    assert "Yes, I will be there." in reply.text
    assert "we would like to invite you" not in reply.text
    assert "we would like to invite you" in reply.quoted_text
    assert reply.from_email == VALUES["recipient"]


def test_address_tokens_fit_a_local_part_survive_lower_casing_and_cannot_be_forged(app):
    settings = app.config["HERALD"]
    message_id = uuid.uuid4()
    address = addresses.bounce_address(message_id, "example.com", settings)
    local = address.split("@")[0]
    assert len(local) <= 64 and local == local.lower()
    assert address.endswith("@bounces.example.com")
    assert addresses.parse_recipient(address.upper()) == addresses.Recipient("bounce", message_id)
    assert addresses.parse_recipient(f"<{address}>").message_id == message_id
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@bounces.example.com"
    assert addresses.parse_recipient(forged) is None
    reply = addresses.reply_address(message_id, "example.com", settings)
    assert addresses.parse_recipient(reply) == addresses.Recipient("reply", message_id)
    # a bounce token does not work as a reply token
    bounce_token, reply_token = local.split("+")[1], reply.split("+")[1].split("@")[0]
    assert addresses.parse_recipient(reply.replace(reply_token, bounce_token)) is None
    assert addresses.parse_recipient("postmaster@bounces.example.com") is None
    assert addresses.parse_recipient("bounces@bounces.example.com") is None


def test_an_address_token_has_one_spelling(app):
    """Base32 leaves unused bits in the last character of each part: a token that differs only
    there decodes to the same bytes, and is refused all the same."""
    token = addresses.bounce_address(uuid.uuid4(), "example.com", app.config["HERALD"])
    local = token.split("@")[0]
    prefix, body = local.split("+")
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    others = [body[:-1] + c + "@bounces.example.com" for c in alphabet if c != body[-1]] + [
        body[:25] + c + body[26:] + "@bounces.example.com" for c in alphabet if c != body[25]
    ]
    assert addresses.parse_recipient(token) is not None
    assert [addresses.parse_recipient(f"{prefix}+{other}") for other in others] == [None] * len(
        others
    )
