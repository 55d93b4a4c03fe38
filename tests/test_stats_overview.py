"""The overview: exact funnel counts and rates from known rollups, human and machine apart,
in the organization's time zone (across midnight and a daylight-saving change)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from webapp.extensions import db
from webapp.models import StatRollup
from webapp.services.stats import metrics as m
from webapp.services.stats.overview import overview_for
from webapp.services.stats.ranges import DateRange, buckets, parse_range, zone


def rollup(org, hour: datetime, metric: str, count: int, campaign_id=None, version_id=None):
    db.session.add(
        StatRollup(
            org_id=org.id,
            hour=hour,
            campaign_id=campaign_id or m.NIL,
            template_version_id=version_id or m.NIL,
            metric=metric,
            count=count,
        )
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# New York, 7-8 March 2026: US daylight saving starts on the 8th (that local day has 23 hours).
INSIDE_FIRST = utc(2026, 3, 7, 5)  # 7 March 00:00 EST: the first hour of the range
INSIDE_LAST = utc(2026, 3, 9, 3)  # 8 March 23:00 EDT: the last hour of the range
BEFORE = utc(2026, 3, 7, 4)  # 6 March 23:00 EST: the previous period
AFTER = utc(2026, 3, 9, 4)  # 9 March 00:00 EDT: outside


@pytest.fixture
def ny_org(org):
    org.timezone = "America/New_York"
    for hour, counts in {
        INSIDE_FIRST: {
            m.SENT: 10,
            m.DELIVERED: 10,
            m.OPENED: 12,
            m.OPENED_HUMAN: 5,
            m.OPENED_UNIQUE: 7,
            m.OPENED_UNIQUE_HUMAN: 4,
            m.CLICKED_UNIQUE: 3,
            m.CLICKED_UNIQUE_HUMAN: 2,
            m.BOUNCED_HARD: 1,
        },
        INSIDE_LAST: {
            m.SENT: 10,
            m.DELIVERED: 6,
            m.OPENED_UNIQUE: 5,
            m.OPENED_UNIQUE_HUMAN: 2,
            m.CLICKED_UNIQUE: 1,
            m.CLICKED_UNIQUE_HUMAN: 1,
            m.BOUNCED_SOFT: 2,
            m.COMPLAINED: 1,
            m.UNSUBSCRIBED: 1,
            m.FAILED: 1,
        },
        BEFORE: {m.SENT: 40, m.DELIVERED: 40, m.OPENED_UNIQUE: 10, m.OPENED_UNIQUE_HUMAN: 10},
        AFTER: {m.SENT: 500, m.DELIVERED: 500, m.OPENED_UNIQUE: 300},
    }.items():
        for metric, count in counts.items():
            rollup(org, hour, metric, count)
    db.session.commit()
    return org


def test_range_bounds_follow_the_zone_and_daylight_saving():
    period = DateRange(date(2026, 3, 7), date(2026, 3, 8), zone("America/New_York"))
    assert period.start_utc == INSIDE_FIRST
    assert period.end_utc == AFTER
    assert period.is_hourly
    hours = buckets(period)
    assert len(hours) == 47  # 24 + 23: the clocks went forward on the 8th
    assert hours[0][1] == "Mar 07 00:00" and hours[-1][1] == "Mar 08 23:00"
    assert period.previous() == DateRange(date(2026, 3, 5), date(2026, 3, 6), period.tz)


def test_funnel_counts_and_rates_are_exact(ny_org):
    period, error = parse_range("2026-03-07", "2026-03-08", ny_org.timezone)
    assert error is None
    data = overview_for(ny_org.id, period)
    steps = {step.key: step for step in data.funnel.steps}

    assert (steps["sent"].total, steps["delivered"].total) == (20, 16)
    assert (steps["opened"].total, steps["opened"].human) == (12, 6)
    assert (steps["clicked"].total, steps["clicked"].human) == (4, 3)
    assert steps["delivered"].of_sent == pytest.approx(0.8)
    assert steps["opened"].of_sent == pytest.approx(0.6)
    assert steps["opened"].of_sent_human == pytest.approx(0.3)
    assert steps["opened"].of_previous == pytest.approx(12 / 16)
    assert steps["opened"].of_previous_human == pytest.approx(6 / 16)
    assert steps["clicked"].of_previous == pytest.approx(4 / 12)
    assert steps["clicked"].of_previous_human == pytest.approx(3 / 6)
    assert steps["sent"].of_previous is None

    problems = {key: (count, share) for key, _, count, share in data.funnel.problems}
    assert problems[m.BOUNCED_HARD] == (1, pytest.approx(0.05))
    assert problems[m.BOUNCED_SOFT] == (2, pytest.approx(0.1))
    assert problems[m.COMPLAINED][0] == problems[m.UNSUBSCRIBED][0] == problems[m.FAILED][0] == 1

    # the previous period (5-6 March local) holds only the 23:00 EST hour of the 6th
    assert data.previous[m.SENT] == 40
    assert data.change(m.SENT) == pytest.approx(-0.5)
    assert data.change(m.OPENED_UNIQUE_HUMAN) == pytest.approx(-0.4)
    assert data.change(m.CLICKED_UNIQUE) is None  # nothing to compare with


def test_hourly_series_puts_each_hour_in_its_local_slot(ny_org):
    period, _ = parse_range("2026-03-07", "2026-03-08", ny_org.timezone)
    series = overview_for(ny_org.id, period).series
    assert series["granularity"] == "hour"
    sent = next(ds for ds in series["engagement"] if ds["key"] == m.SENT)["data"]
    assert len(sent) == 47 and sent[0] == 10 and sent[-1] == 10 and sum(sent) == 20


def test_daily_series_splits_at_local_midnight(org):
    org.timezone = "Asia/Tokyo"  # UTC+9: 15:00 UTC is midnight of the next local day
    rollup(org, utc(2026, 3, 1, 14), m.SENT, 3)  # 1 March 23:00 JST
    rollup(org, utc(2026, 3, 1, 15), m.SENT, 4)  # 2 March 00:00 JST
    db.session.commit()
    period, _ = parse_range("2026-02-25", "2026-03-05", org.timezone)
    series = overview_for(org.id, period).series
    assert series["granularity"] == "day"
    assert series["labels"][4:6] == ["Mar 01", "Mar 02"]
    sent = series["engagement"][0]["data"]
    assert sent[4:6] == [3, 4] and sum(sent) == 7


def test_other_organizations_never_count(ny_org, other_org):
    rollup(other_org, INSIDE_FIRST, m.SENT, 999)
    db.session.commit()
    period, _ = parse_range("2026-03-07", "2026-03-08", ny_org.timezone)
    assert overview_for(ny_org.id, period).funnel[m.SENT] == 20


def _row(html: str, attribute: str) -> str:
    match = re.search(rf"<tr {attribute}>(.*?)</tr>", html, re.S)
    assert match, attribute
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_overview_page_shows_the_funnel_human_and_total(ny_org, logged_in):
    response = logged_in.get("/stats/?start=2026-03-07&end=2026-03-08")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "in America/New_York" in html
    assert _row(html, 'data-step="opened"') == "Opened 6 30.0% 37.5% 12 60.0% 75.0%"
    assert _row(html, 'data-step="clicked"') == "Clicked 3 15.0% 50.0% 4 20.0% 33.3%"
    assert _row(html, 'data-problem="bounced_soft"').startswith("Soft bounces 2 10.0% 0")
    assert "▼ down 50%" in html  # sent against the previous period, in words and arrow
    assert 'id="chart-engagement"' in html and 'id="stats-series"' in html


def test_bad_dates_fall_back_and_say_why(org, logged_in):
    response = logged_in.get("/stats/?start=2026-03-09&end=2026-03-01", follow_redirects=True)
    assert response.status_code == 200
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_empty_period_tells_what_to_do(org, logged_in):
    html = logged_in.get("/stats/?days=30").get_data(as_text=True)
    assert "Nothing sent in this period" in html
