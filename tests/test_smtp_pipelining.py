"""Over a relay that offers PIPELINING, MAIL, RCPT and DATA travel together; every outcome is
the one the relay gave, whichever command it refused, and a relay without it is served one
command at a time."""

from __future__ import annotations

import pytest

from jobs import sending
from tests.test_sending import make_message, reload
from webapp.services.consent.suppressions import is_suppressed


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_batch_with_refusals_at_every_step_records_each_reply(smtp_server, app, org, pipelining):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.rcpt_rules["gone@example.com"] = "550 5.1.1 No such user here"
    handler.rcpt_rules["busy@example.com"] = "452 4.2.2 Mailbox full, try later"
    handler.rules["policy@example.com"] = "554 5.7.1 Rejected by policy"
    to = ["ada@example.com", "gone@example.com", "grace@example.com", "busy@example.com",
          "policy@example.com", "linus@example.com"]  # fmt: skip
    messages = [make_message(org, to=address, kind="bulk") for address in to]
    sending.send_batch([str(m.id) for m in messages])

    rows = {row.to_email: row for row in map(reload, messages)}
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == [
        "ada@example.com", "grace@example.com", "linus@example.com",
    ]  # fmt: skip
    assert {a for a, row in rows.items() if row.status == "sent"} == {
        "ada@example.com", "grace@example.com", "linus@example.com",
    }  # fmt: skip
    gone, busy, policy = (rows[f"{name}@example.com"] for name in ("gone", "busy", "policy"))
    assert (gone.status, gone.last_smtp_code) == ("bounced", 550)
    assert "No such user" in gone.last_error and is_suppressed(org.id, "gone@example.com")
    assert (busy.status, busy.last_smtp_code) == ("deferred", 452)
    assert (policy.status, policy.last_smtp_code) == ("failed", 554)


def test_a_relay_that_refuses_and_hangs_up_gives_its_refusal(smtp_server, app, org):
    smtp_server.handler.rcpt_rules["ada@example.com"] = "421 4.7.0 Too busy, closing"
    message = make_message(org)
    sending.send_message(str(message.id))
    row = reload(message)
    assert (row.status, row.last_smtp_code) == ("deferred", 421)
    assert "Too busy" in row.last_error
