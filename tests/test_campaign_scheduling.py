"""Send times: recipient-local clock times across DST changes, send windows, org-zone input."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from webapp.services.scheduling import (
    apply_window,
    local_to_utc,
    parse_local_datetime,
    send_time,
    validate_window,
    zone,
)

PARIS = zone("Europe/Paris")


def test_local_time_on_both_dst_change_days():
    # Spring forward (29 March 2026): 02:30 does not exist in Paris; the wall clock shows 03:30.
    assert local_to_utc(date(2026, 3, 29), time(2, 30), PARIS) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    # Fall back (25 October 2026): 02:30 happens twice; the first one (summer time) is used.
    assert local_to_utc(date(2026, 10, 25), time(2, 30), PARIS) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # 09:00 either side of the change.
    assert local_to_utc(date(2026, 10, 24), time(9), PARIS) == datetime(
        2026, 10, 24, 7, 0, tzinfo=UTC
    )
    assert local_to_utc(date(2026, 10, 26), time(9), PARIS) == datetime(
        2026, 10, 26, 8, 0, tzinfo=UTC
    )


def test_local_mode_takes_the_next_occurrence_and_unknown_zone_falls_back_to_org():
    now = datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 in Paris (winter since 03:00)
    assert send_time(
        "local", now=now, recipient_tz="Europe/Paris", org_tz="UTC", local_time="09:00"
    ) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert send_time(
        "local", now=now, recipient_tz="Mars/Base", org_tz="Asia/Tokyo", local_time="09:00"
    ) == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def test_window_defers_evenings_and_weekends_in_the_recipient_zone():
    window = {"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}
    friday_evening = datetime(2026, 3, 27, 18, 30, tzinfo=UTC)  # 19:30 in Paris
    assert apply_window(friday_evening, window, PARIS) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    inside = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert apply_window(inside, window, PARIS) == inside
    early = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # 06:00 Paris, Tuesday
    assert apply_window(early, window, PARIS) == datetime(2026, 3, 31, 6, 0, tzinfo=UTC)


def test_at_mode_never_goes_into_the_past_and_windows_are_validated():
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    past = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert send_time("at", now=now, recipient_tz="UTC", org_tz="UTC", send_at=past) == now
    assert validate_window({"days": [], "start": "09:00", "end": "08:00"}) == [
        "The window must end after it starts.",
        "Pick at least one day for the send window.",
    ]
    assert validate_window({"days": [1], "start": "9h", "end": "x"}) == [
        "Give the window's start and end as HH:MM."
    ]


def test_org_zone_input_becomes_utc():
    assert parse_local_datetime("2026-07-01T09:00", "Europe/Paris") == datetime(
        2026, 7, 1, 7, 0, tzinfo=UTC
    )
    assert parse_local_datetime("2026-01-01 09:00", "Europe/Paris") == datetime(
        2026, 1, 1, 8, 0, tzinfo=UTC
    )
