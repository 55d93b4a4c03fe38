"""Breakdowns of a date range: per campaign, template version, job, recipient domain; top links.

Every breakdown sums hourly rollups (cheap at any volume): campaign, template and job rows
``StatRollup``, recipient domains ``DomainRollup``, links ``LinkRollup`` (docs/stats.md).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    Campaign,
    DomainRollup,
    EmailTemplate,
    Job,
    LinkRollup,
    StatRollup,
    TemplateVersion,
)
from webapp.services.stats import metrics as m
from webapp.services.stats.funnel import Funnel

DOMAIN_COUNTS = ("delivered", "bounced", "complained", "opened", "clicked")
BREAKDOWN_METRICS = (
    m.SENT,
    m.DELIVERED,
    m.OPENED_UNIQUE,
    m.OPENED_UNIQUE_HUMAN,
    m.CLICKED_UNIQUE,
    m.CLICKED_UNIQUE_HUMAN,
    m.BOUNCED_HARD,
    m.BOUNCED_SOFT,
    m.COMPLAINED,
    m.UNSUBSCRIBED,
)


@dataclass
class Row:
    key: str
    label: str
    funnel: Funnel = field(default_factory=Funnel)
    link: uuid.UUID | None = None  # the campaign id, for the campaign report link


def _rollup_sums(org_id: uuid.UUID, column, start: datetime, end: datetime) -> dict:
    statement = (
        select(column, StatRollup.metric, func.sum(StatRollup.count))
        .where(
            StatRollup.org_id == org_id,
            StatRollup.hour >= start,
            StatRollup.hour < end,
            StatRollup.metric.in_(BREAKDOWN_METRICS),
        )
        .group_by(column, StatRollup.metric)
    )
    sums: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for key, metric, total in db.session.execute(statement):
        sums[key][metric] = int(total or 0)
    return sums


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (-row.funnel[m.SENT], row.label.lower()))


def by_campaign(org_id: uuid.UUID, start: datetime, end: datetime) -> list[Row]:
    sums = _rollup_sums(org_id, StatRollup.campaign_id, start, end)
    names = dict(
        db.session.execute(
            select(Campaign.id, Campaign.name).where(
                Campaign.org_id == org_id, Campaign.id.in_([k for k in sums if k != m.NIL])
            )
        ).all()
    )
    rows = []
    for key, counts in sums.items():
        label = names.get(key, "Single messages (no campaign)" if key == m.NIL else "Deleted")
        rows.append(Row(str(key), label, Funnel(counts), key if key in names else None))
    return _sorted(rows)


def by_template_version(org_id: uuid.UUID, start: datetime, end: datetime) -> list[Row]:
    sums = _rollup_sums(org_id, StatRollup.template_version_id, start, end)
    known = db.session.execute(
        select(TemplateVersion.id, EmailTemplate.name, TemplateVersion.number)
        .join(EmailTemplate, EmailTemplate.id == TemplateVersion.template_id)
        .where(TemplateVersion.org_id == org_id, TemplateVersion.id.in_(list(sums)))
    ).all()
    labels = {vid: f"{name} · v{number}" for vid, name, number in known}
    rows = []
    for key, counts in sums.items():
        label = labels.get(key, "Without a template (raw content)" if key == m.NIL else "Deleted")
        rows.append(Row(str(key), label, Funnel(counts)))
    return _sorted(rows)


def by_job(org_id: uuid.UUID, start: datetime, end: datetime) -> list[Row]:
    """Campaign sums added up per job (a campaign belongs to at most one job)."""
    campaign_sums = _rollup_sums(org_id, StatRollup.campaign_id, start, end)
    jobs = db.session.execute(
        select(Campaign.id, Job.id, Job.title)
        .join(Job, Job.id == Campaign.job_id)
        .where(Campaign.org_id == org_id, Campaign.id.in_(list(campaign_sums)))
    ).all()
    job_of = {campaign_id: (job_id, title) for campaign_id, job_id, title in jobs}
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for campaign_id, counts in campaign_sums.items():
        job = job_of.get(campaign_id, (None, "No job"))
        for metric, value in counts.items():
            totals[job][metric] += value
    return _sorted(
        [Row(str(job_id), title, Funnel(dict(c))) for (job_id, title), c in totals.items()]
    )


def by_domain(org_id: uuid.UUID, start: datetime, end: datetime, limit: int = 15) -> list[dict]:
    """Messages sent in the range per recipient domain, with what became of them."""
    sent = func.sum(DomainRollup.sent).label("sent")
    statement = (
        select(
            DomainRollup.domain,
            sent,
            *(func.sum(getattr(DomainRollup, name)) for name in DOMAIN_COUNTS),
        )
        .where(DomainRollup.org_id == org_id, DomainRollup.hour >= start, DomainRollup.hour < end)
        .group_by(DomainRollup.domain)
        .having(sent > 0)
        .order_by(sent.desc(), DomainRollup.domain)
        .limit(limit)
    )
    return _named(("domain", "sent", *DOMAIN_COUNTS), statement)


def top_links(org_id: uuid.UUID, start: datetime, end: datetime, limit: int = 10) -> list[dict]:
    """The most clicked URLs: clicks in total, by people, and how many messages clicked each
    for the first time in the range."""
    total = func.sum(LinkRollup.clicks).label("total")
    statement = (
        select(
            LinkRollup.url,
            total,
            func.sum(LinkRollup.human_clicks),
            func.sum(LinkRollup.messages),
        )
        .where(LinkRollup.org_id == org_id, LinkRollup.hour >= start, LinkRollup.hour < end)
        .group_by(LinkRollup.url)
        .having(total > 0)
        .order_by(total.desc(), LinkRollup.url)
        .limit(limit)
    )
    return _named(("url", "total", "human", "messages"), statement)


def _named(keys: tuple[str, ...], statement) -> list[dict]:
    """Rows as dicts: the first column as it is, the sums as ints."""
    return [
        {keys[0]: row[0], **{key: int(value) for key, value in zip(keys[1:], row[1:], strict=True)}}
        for row in db.session.execute(statement)
    ]
