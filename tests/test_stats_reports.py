"""Breakdowns (campaign, template version, job, recipient domain, top links), the campaign
report with its filterable recipients table, and the CSV export (formula cells neutralized)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import factories
from webapp.extensions import db
from webapp.models import (
    Campaign,
    EmailTemplate,
    Message,
    MessageEvent,
    StatRollup,
    TemplateVersion,
)
from webapp.services import csv_export
from webapp.services.stats import breakdowns, campaign_report
from webapp.services.stats import metrics as m
from webapp.services.tracking import domain_rollups, link_rollups

T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)
START, END = datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)


def message(org, email, *, campaign=None, status="delivered", entry=None, **fields):
    row = Message(
        org_id=org.id,
        to_email=email,
        to_name=fields.pop("to_name", ""),
        status=status,
        send_after=T0,
        sent_at=fields.pop("sent_at", T0),
        campaign_id=campaign.id if campaign else None,
        shortlist_entry_id=entry.id if entry else None,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def click(org, msg, url, *, machine=False, at=T0):
    db.session.add(
        MessageEvent(
            org_id=org.id,
            message_id=msg.id,
            type="clicked",
            occurred_at=at,
            event_key=uuid.uuid4().hex,
            url=url,
            is_machine=machine,
        )
    )


@pytest.fixture
def setup(org):
    job = factories.make_job(org, "Data Engineer")
    template = EmailTemplate(org_id=org.id, name="Invitation")
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(
        org_id=org.id, template_id=template.id, number=3, subject="Hi", body_mjml="<mjml/>"
    )
    db.session.add(version)
    db.session.flush()
    campaign = Campaign(org_id=org.id, name="Spring interviews", job_id=job.id, total_recipients=4)
    other = Campaign(org_id=org.id, name="Autumn interviews")
    db.session.add_all([campaign, other])
    db.session.flush()
    for campaign_id, version_id, metric, count in [
        (campaign.id, version.id, m.SENT, 4),
        (campaign.id, version.id, m.OPENED_UNIQUE, 3),
        (campaign.id, version.id, m.OPENED_UNIQUE_HUMAN, 2),
        (other.id, m.NIL, m.SENT, 9),
        (m.NIL, m.NIL, m.SENT, 1),
    ]:
        db.session.add(
            StatRollup(
                org_id=org.id,
                hour=T0,
                campaign_id=campaign_id,
                template_version_id=version_id,
                metric=metric,
                count=count,
            )
        )
    candidates = [factories.make_candidate(org) for _ in range(2)]
    shortlist = factories.make_shortlist(org, job, candidates)
    entries = list(shortlist.entries)
    entries[0].response_status = "accepted"
    db.session.flush()
    ada = message(
        org,
        "ada@gmail.com",
        campaign=campaign,
        entry=entries[0],
        to_name="Ada",
        opened_at=T0,
        open_count=2,
        clicked_at=T0,
        click_count=1,
    )
    bob = message(
        org,
        "bob@Gmail.com",
        campaign=campaign,
        entry=entries[1],
        machine_open_count=1,
        machine_click_count=2,
    )
    message(
        org,
        '=HYPERLINK("http://evil")@outlook.com',
        campaign=campaign,
        status="bounced",
        delivered_at=None,
        bounced_at=T0,
        last_error="550 5.1.1 no such user",
    )
    message(
        org,
        "dee@outlook.com",
        campaign=campaign,
        status="failed",
        sent_at=None,
        last_error="-2+3 timeout",
    )
    message(org, "old@gmail.com", sent_at=T0 - timedelta(days=5))  # outside the range
    for row in (ada, bob):
        row.delivered_at = T0
    click(org, ada, "https://jobs.example.com/apply")
    click(org, ada, "https://jobs.example.com/apply")
    click(org, bob, "https://jobs.example.com/apply", machine=True)
    click(org, bob, "https://example.com/about", machine=True)
    db.session.commit()
    domain_rollups.rebuild(org.id)  # the rows above were written directly, not sent or drained
    link_rollups.rebuild(org.id)
    db.session.commit()
    return {"campaign": campaign, "other": other, "job": job, "version": version}


def test_breakdowns_by_campaign_template_and_job(org, setup):
    by_campaign = breakdowns.by_campaign(org.id, START, END)
    assert [(r.label, r.funnel[m.SENT]) for r in by_campaign] == [
        ("Autumn interviews", 9),
        ("Spring interviews", 4),
        ("Single messages (no campaign)", 1),
    ]
    spring = by_campaign[1]
    assert (spring.funnel[m.OPENED_UNIQUE], spring.funnel[m.OPENED_UNIQUE_HUMAN]) == (3, 2)
    by_version = breakdowns.by_template_version(org.id, START, END)
    assert ("Invitation · v3", 4) in [(r.label, r.funnel[m.SENT]) for r in by_version]
    by_job = breakdowns.by_job(org.id, START, END)
    assert [(r.label, r.funnel[m.SENT]) for r in by_job] == [("No job", 10), ("Data Engineer", 4)]


def test_breakdown_by_recipient_domain(org, setup):
    rows = breakdowns.by_domain(org.id, START, END)
    assert rows[0] == {
        "domain": "gmail.com",  # Gmail.com and gmail.com are the same domain
        "sent": 2,
        "delivered": 2,
        "bounced": 0,
        "complained": 0,
        "opened": 1,
        "clicked": 1,
    }
    assert rows[1]["domain"] == "outlook.com" and rows[1]["sent"] == 1 and rows[1]["bounced"] == 1


def test_top_links_count_people_apart_from_scanners(org, setup):
    rows = breakdowns.top_links(org.id, START, END)
    assert rows == [
        {"url": "https://jobs.example.com/apply", "total": 3, "human": 2, "messages": 2},
        {"url": "https://example.com/about", "total": 1, "human": 0, "messages": 1},
    ]


def test_breakdown_fragment_and_page(org, setup, logged_in):
    html = logged_in.get(
        "/stats/breakdowns?by=links&start=2026-03-10&end=2026-03-10", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "https://jobs.example.com/apply" in html and "<html" not in html
    page = logged_in.get("/stats/breakdowns?by=campaign&start=2026-03-10&end=2026-03-10")
    assert "Spring interviews" in page.get_data(as_text=True) and page.status_code == 200


def test_recipients_table_filters(org, setup):
    campaign = setup["campaign"]

    def emails(**args):
        flt = campaign_report.RecipientFilter.from_args(args)
        rows, has_next = campaign_report.recipients_page(org.id, campaign.id, flt)
        assert not has_next
        return [row.email for row in rows]

    assert len(emails()) == 4
    assert emails(opened="yes") == ["ada@gmail.com"]
    assert "bob@Gmail.com" in emails(opened="no")  # machine opens are not people opening
    assert emails(clicked="yes") == ["ada@gmail.com"]
    assert emails(answered="yes") == ["ada@gmail.com"]
    assert "ada@gmail.com" not in emails(answered="no")
    assert "bob@Gmail.com" in emails(answered="no")
    assert emails(state="failed") == ["dee@outlook.com"]
    assert emails(q="ADA") == ["ada@gmail.com"]
    assert emails(q="%") == []  # typed literally, not a wildcard
    assert emails(state="delivered", opened="no") == ["bob@Gmail.com"]


def test_campaign_report_page(org, setup, logged_in):
    campaign = setup["campaign"]
    response = logged_in.get(f"/stats/campaigns/{campaign.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Spring interviews" in html and "machine only" in html and "accepted" in html
    filtered = logged_in.get(
        f"/stats/campaigns/{campaign.id}?opened=yes", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<strong>Ada</strong>" in filtered
    assert "bob@Gmail.com" not in filtered and "<html" not in filtered


def test_campaign_report_of_another_organization_is_404(org, other_org, setup, logged_in):
    foreign = Campaign(org_id=other_org.id, name="Theirs")
    db.session.add(foreign)
    db.session.commit()
    assert logged_in.get(f"/stats/campaigns/{foreign.id}").status_code == 404
    assert logged_in.get(f"/stats/campaigns/{foreign.id}/recipients.csv").status_code == 404


def test_csv_export_neutralizes_formulas(org, setup, logged_in):
    campaign = setup["campaign"]
    response = logged_in.get(f"/stats/campaigns/{campaign.id}/recipients.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(campaign_report.CSV_HEADER)
    by_email = {row[0]: row for row in rows[1:]}
    assert len(by_email) == 4
    assert '\'=HYPERLINK("http://evil")@outlook.com' in by_email
    assert by_email["dee@outlook.com"][-1] == "'-2+3 timeout"
    ada = by_email["ada@gmail.com"]
    assert (ada[2], ada[4], ada[8], ada[12]) == ("delivered", "yes", "yes", "accepted")
    assert by_email["bob@Gmail.com"][4] == "machine only"
    filtered = logged_in.get(f"/stats/campaigns/{campaign.id}/recipients.csv?state=failed")
    assert len(filtered.get_data(as_text=True).strip().splitlines()) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, ""),
        (True, "yes"),
    ],
)
def test_neutralize(value, expected):
    assert csv_export.neutralize(value) == expected


def test_to_csv_quotes_and_escapes():
    text = csv_export.to_csv(["name", "note"], [['Ann "A"', "=cmd|' /C calc'!A0"], ["b,c", "ok"]])
    assert text == 'name,note\r\n"Ann ""A""",\'=cmd|\' /C calc\'!A0\r\n"b,c",ok\r\n'
