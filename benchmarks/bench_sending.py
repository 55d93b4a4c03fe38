"""Sending as a user meets it, on PostgreSQL, Redis and Postfix's ``smtp-sink`` (issue 13).

Herald runs as production runs it (``benchmarks/stack.py``): gunicorn with the README's
command, 2 ``herald worker`` processes and ``herald scheduler``, each its own process.

Rows (each with emails/s and the CPU milliseconds per email summed over every Herald process,
read from ``/proc/<pid>/stat`` before and after; that figure does not move with machine load):

- campaign: 10,000 shortlisted candidates with interview times (so each email carries an
  ``.ics``), the organization's invitation (``benchmarks/invitation.mjml``: hero image, agenda
  table, two columns, 10 tracked links) in its branded layout, from the HTTP confirm request
  to the last message accepted by ``smtp-sink``;
- the same campaign from an organization with a DKIM key (RSA-2048);
- ``/messages/bulk``: 10,000 templated messages in requests of 1,000, from the first request to
  the last acceptance, and the API's own accept rate;
- transactional: ``POST /api/v1/messages`` one at a time, request → SMTP accepted, p50/p99;
- pipeline floor: 10,000 pre-inserted rows of small raw HTML, from the dispatcher to the last
  acceptance (what the sending loop costs with no rendering at all).

Rate limits are raised for the run: this measures the pipeline, the defaults are a policy.
Own database ``herald_bench_sending`` (created when missing; ``BENCH_SENDING_DATABASE_URL``)
and Redis db 5 (``BENCH_SENDING_REDIS_URL``); ``BENCH_SENDING_COUNT`` changes the size.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import at_least, at_most, ensure_database, row
from benchmarks.stack import Browser, Stack

HERE = Path(__file__).resolve().parent
DATABASE_URL = os.environ.get(
    "BENCH_SENDING_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/herald_bench_sending"
)
REDIS_URL = os.environ.get("BENCH_SENDING_REDIS_URL", "redis://127.0.0.1:6379/5")
COUNT = int(os.environ.get("BENCH_SENDING_COUNT", "10000"))
BULK_REQUEST = 1000  # the API's largest /messages/bulk request
LATENCY_SAMPLES = 100
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway user in a throwaway database
DEADLINE = 600  # seconds any one run may take


def run() -> list[dict]:
    from webapp import create_app

    ensure_database(DATABASE_URL)
    stack = Stack(DATABASE_URL, REDIS_URL)
    app = create_app(stack.overrides())
    _reset(app)  # before the scheduler starts: its jobs expect the tables
    with stack:
        plain = _setup_campaign(app, "plain", dkim=False)
        signed = _setup_campaign(app, "dkim", dkim=True)
        key = _api_key(app, plain["org_id"])
        results = {
            "campaign": _campaign(stack, app, plain),
            "dkim": _campaign(stack, app, signed),
            "bulk": _bulk(stack, app, key, plain),
            "transactional": _transactional(stack, app, key),
            "floor": _floor(stack, app, _floor_org(app)),
        }
    _reset(app)
    return _rows(results)


def _rows(r: dict) -> list[dict]:
    n = f"{COUNT:,}"
    load = os.getloadavg()[0]
    return [
        at_least(f"campaign of {n}, confirm → all accepted", r["campaign"]["rate"], "emails/s",
                 1000),
        at_most("  CPU per email, all Herald processes", r["campaign"]["cpu_ms"], "ms", 1.5),
        at_least(f"campaign of {n}, DKIM RSA-2048", r["dkim"]["rate"], "emails/s", 700),
        row("  CPU per email, all Herald processes (DKIM)", r["dkim"]["cpu_ms"], "ms"),
        at_least(f"/messages/bulk {n}: API accepts", r["bulk"]["accept"], "items/s", 5000),
        at_least(f"/messages/bulk {n}: request → all accepted", r["bulk"]["rate"], "emails/s", 900),
        row("  CPU per email, all Herald processes (bulk)", r["bulk"]["cpu_ms"], "ms"),
        at_most("transactional HTTP → SMTP accepted, p50", r["transactional"]["p50"], "ms", 25),
        at_most("transactional HTTP → SMTP accepted, p99", r["transactional"]["p99"], "ms", 100),
        row("  CPU per email, all Herald processes (transactional)",
            r["transactional"]["cpu_ms"], "ms"),
        row(f"pipeline floor: {n} raw rows queued → accepted", r["floor"]["rate"], "emails/s"),
        row("  CPU per email, all Herald processes (floor)", r["floor"]["cpu_ms"], "ms"),
        row("load average (1 min) at the end of the sending runs", load, ""),
    ]  # fmt: skip


# --- data ----------------------------------------------------------------------------------


def _reset(app) -> None:
    from webapp.extensions import db
    from webapp.models import Base

    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        app.extensions["herald.redis"].flushdb()
        db.engine.dispose()


def _invitation_source():
    from webapp.services.rendering.types import TemplateSource

    raw = (HERE / "invitation.mjml").read_text(encoding="utf-8")
    header, body = raw.split("\n---\n", 1)
    meta = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
    return TemplateSource(subject=meta["subject"], preheader=meta["preheader"], body_mjml=body)


def _setup_campaign(app, label: str, *, dkim: bool) -> dict:
    """An organization with a brand, an owner, COUNT shortlisted candidates with interview
    times, its invitation template and a campaign draft ready for the review step."""
    from webapp.extensions import db
    from webapp.models import Job, Shortlist
    from webapp.services.accounts.organizations import add_member, create_organization, create_user
    from webapp.services.campaigns import drafts as campaigns
    from webapp.services.templates import library as email_templates

    with app.app_context():
        org = create_organization(
            f"Acme {label}",
            postal_address="1 Bench Street, 69000 Lyon",
            sender_email=f"jobs@{label}.acme.example.com",
            sender_name="Acme Talent",
            sending_domain=f"{label}.acme.example.com",
        )
        org.brand.logo_url = "https://cdn.example.com/logo.png"
        org.brand.primary_color, org.brand.footer_text = "#0f766e", "Acme: people first."
        if dkim:
            _add_dkim(org)
        user = create_user(f"owner@{label}.acme.example.com", PASSWORD, name="Owner")
        add_member(org, user, "owner")
        job = Job(org_id=org.id, title="Platform Engineer", location="Lyon")
        db.session.add(job)
        db.session.flush()
        shortlist = Shortlist(org_id=org.id, job_id=job.id, name="Platform shortlist")
        db.session.add(shortlist)
        db.session.flush()
        candidate_ids = _insert_shortlist(org.id, shortlist.id, label)
        template = email_templates.create_template(
            org.id, name="Invitation", template_type="invitation", category="invitations"
        )
        email_templates.add_version(template, _invitation_source(), user_id=user.id)
        campaign = campaigns.create_draft(
            org.id, job_id=job.id, shortlist_id=shortlist.id, name="Spring hiring",
            created_by_id=user.id,
        )  # fmt: skip
        campaigns.set_audience(org.id, campaign, [str(cid) for cid in candidate_ids])
        campaigns.set_template(campaign, template)
        now = datetime.now(UTC)
        campaigns.set_schedule(campaign, mode="now", send_at=None, local_time="", window=None,
                               now=now)  # fmt: skip
        db.session.commit()
        return {"org_id": org.id, "campaign_id": campaign.id, "email": user.email,
                "template_id": template.id}  # fmt: skip


ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")


def _insert_shortlist(org_id, shortlist_id, label: str) -> list[uuid.UUID]:
    from webapp.extensions import db
    from webapp.models import Candidate, ShortlistEntry, new_id, utcnow

    now = utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    ids = [new_id() for _ in range(COUNT)]
    db.session.execute(
        Candidate.__table__.insert(),
        [
            {"id": cid, "org_id": org_id, "email": f"cand{n}@d{n % 40}.{label}.example.org",
             "first_name": f"Camille{n}", "last_name": "Martin", "timezone": ZONES[n % 5],
             "locale": "en", "attributes": {}, "created_at": now, "updated_at": now}
            for n, cid in enumerate(ids)
        ],
    )  # fmt: skip
    db.session.execute(
        ShortlistEntry.__table__.insert(),
        [
            {"id": new_id(), "org_id": org_id, "shortlist_id": shortlist_id, "candidate_id": cid,
             "created_at": now, "offered_slots": [], "duration_minutes": 45,
             "location": "Acme HQ, 3 rue de la Paix, Lyon",
             "video_url": "https://meet.example.com/acme-platform",
             "response_status": "pending", "response_note": "", "invite_nonce": 0,
             "is_canceled": False, "interview_at": start + timedelta(minutes=30 * (n % 200))}
            for n, cid in enumerate(ids)
        ],
    )  # fmt: skip
    return ids


def _add_dkim(org) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from webapp.extensions import db
    from webapp.models import SendingDomain
    from webapp.services import crypto

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    db.session.add(
        SendingDomain(org_id=org.id, domain=org.sending_domain, dkim_selector="bench",
                      dkim_private_key_encrypted=crypto.encrypt(pem))
    )  # fmt: skip


def _api_key(app, org_id) -> str:
    from webapp.extensions import db
    from webapp.models import Organization
    from webapp.services.accounts.api_keys import create_api_key

    with app.app_context():
        key, raw = create_api_key(db.session.get(Organization, org_id).id, "bench", ["send"])
        key.rate_limit_per_minute = 100_000_000
        db.session.commit()
    return raw


def _floor_org(app):
    from webapp.extensions import db
    from webapp.services.accounts.organizations import create_organization

    with app.app_context():
        org = create_organization("Floor", postal_address="1 Floor Street",
                                  sender_email="jobs@floor.example.com",
                                  sending_domain="floor.example.com")  # fmt: skip
        db.session.commit()
        return org.id


# --- measuring ----------------------------------------------------------------------------


def _wait_sent(app, where, count: int, started: float) -> float:
    """Poll until ``count`` messages matching ``where`` are sent; the last acceptance time."""
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.models import Message

    with app.app_context():
        while True:
            sent = db.session.scalar(select(func.count()).where(where, Message.status == "sent"))
            db.session.rollback()
            if sent >= count:
                last = db.session.scalar(select(func.max(Message.sent_at)).where(where))
                db.session.remove()
                return last.timestamp()
            if time.time() - started > DEADLINE:
                raise RuntimeError(f"{sent} of {count} sent after {DEADLINE} s")
            time.sleep(0.1)


def _campaign(stack: Stack, app, setup: dict) -> dict:
    from webapp.models import Message

    browser = Browser(stack.base)
    browser.login(setup["email"], PASSWORD)
    review = f"/campaigns/{setup['campaign_id']}/review"
    token = browser.token(review)
    cpu, started = stack.cpu_seconds(), time.time()
    status = browser.post(
        f"/campaigns/{setup['campaign_id']}/confirm", {"typed_count": str(COUNT)}, token
    )
    if status != 200:
        raise RuntimeError(f"confirm answered {status}")
    last = _wait_sent(app, Message.campaign_id == setup["campaign_id"], COUNT, started)
    return _figures(COUNT, last - started, stack.cpu_seconds() - cpu)


def _figures(count: int, seconds: float, cpu: float) -> dict:
    return {"rate": count / seconds, "cpu_ms": cpu * 1000 / count}


def _api(stack: Stack, key: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        stack.base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - localhost
        return json.load(response)


def _bulk(stack: Stack, app, key: str, setup: dict) -> dict:
    from webapp.models import Message

    items = [
        {"to": f"api{n}@d{n % 40}.bulk.example.org", "to_name": f"Alex{n} Moreau",
         "template_id": str(setup["template_id"]), "category": "invitations",
         "context": {"candidate": {"first_name": f"Alex{n}", "full_name": f"Alex{n} Moreau"},
                     "job": {"title": "Data Engineer", "location": "Paris"},
                     "interview": {"at": f"2030-05-{1 + n % 28:02d}T09:30:00+00:00",
                                   "duration_minutes": 45, "location": "Paris office",
                                   "video_url": ""},
                     "invite_url": "https://careers.example.com/apply"}}
        for n in range(COUNT)
    ]  # fmt: skip
    cpu, started = stack.cpu_seconds(), time.time()
    for start in range(0, COUNT, BULK_REQUEST):
        chunk = items[start : start + BULK_REQUEST]
        answer = _api(stack, key, "/api/v1/messages/bulk", {"messages": chunk})
        if answer["accepted"] != len(chunk):
            raise RuntimeError(f"bulk request rejected items: {answer['results'][:2]}")
    accepted = time.time()
    where = Message.to_email.like("api%@%.bulk.example.org")
    last = _wait_sent(app, where, COUNT, started)
    figures = _figures(COUNT, last - started, stack.cpu_seconds() - cpu)
    figures["accept"] = COUNT / (accepted - started)
    return figures


def _transactional(stack: Stack, app, key: str) -> dict:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Message

    html = "<p>See you on Monday at 10:00. <a href='https://example.com/map'>Map</a></p>"
    body = {"subject": "Your interview is confirmed", "category": "transactional", "html": html}
    requested = {}
    cpu = stack.cpu_seconds()
    for n in range(LATENCY_SAMPLES):
        started = time.time()
        answer = _api(stack, key, "/api/v1/messages", {**body, "to": f"person{n}@example.net"})
        requested[uuid.UUID(answer["id"])] = started
        time.sleep(0.1)  # an idle queue between requests
    deadline = time.time() + 30
    with app.app_context():
        while True:
            rows = db.session.execute(
                select(Message.id, Message.sent_at).where(
                    Message.id.in_(list(requested)), Message.sent_at.is_not(None)
                )
            ).all()
            db.session.rollback()
            if len(rows) == len(requested) or time.time() > deadline:
                break
            time.sleep(0.2)
        db.session.remove()
    if len(rows) != len(requested):
        print(f"transactional: {len(rows)} of {len(requested)} sent", file=sys.stderr)
    latencies = sorted((sent.timestamp() - requested[mid]) * 1000 for mid, sent in rows)
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "cpu_ms": (stack.cpu_seconds() - cpu) * 1000 / LATENCY_SAMPLES,
    }


def _floor(stack: Stack, app, org_id) -> dict:
    """10,000 rows of small raw HTML, due now, handed to the workers by the dispatcher."""
    from jobs.sending import dispatch_due
    from webapp.extensions import db
    from webapp.models import Message, new_id, utcnow

    html = "<p>Hello {n}, we would like to invite you to an interview on Monday.</p>" * 4
    with app.app_context():
        now = utcnow() - timedelta(seconds=1)
        rows = [
            {"id": new_id(), "org_id": org_id, "status": "scheduled", "send_after": now,
             "is_transactional": False, "category": "invitations",
             "to_email": f"floor{n}@d{n % 50}.example.com",
             "raw_subject": f"Interview invitation #{n}", "raw_html": html.format(n=n),
             "context": {}, "links": [], "created_at": now}
            for n in range(COUNT)
        ]  # fmt: skip
        db.session.execute(db.insert(Message), rows)
        db.session.commit()
        cpu, started = stack.cpu_seconds(), time.time()
        dispatch_due()
        db.session.remove()
    last = _wait_sent(app, Message.org_id == org_id, COUNT, started)
    return _figures(COUNT, last - started, stack.cpu_seconds() - cpu)


if __name__ == "__main__":
    from benchmarks.run import print_table

    print_table(run())
