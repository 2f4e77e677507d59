"""Coverage-calendar SLA arithmetic: hand-computed cases plus hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import (
    Coverage,
    add_covered_time,
    covered_elapsed,
    next_boundary,
    parse_coverage,
)

NY = ZoneInfo("America/New_York")
LON = ZoneInfo("Europe/London")
BER = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)

BIZ_UTC = Coverage("business_hours")
BIZ_LON = Coverage("business_hours", "Europe/London", "GB", "ENG")
BIZ_NY = Coverage("business_hours", "America/New_York", "US")
BIZ_BER = Coverage("business_hours", "Europe/Berlin", "DE")
ALWAYS = Coverage("24x7", "America/New_York", "US")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- 24x7


def test_24x7_saturday_night_is_plain_addition() -> None:
    # Sat 2026-01-03 23:00 UTC + 4h = Sun 2026-01-04 03:00 UTC (weekend irrelevant)
    assert add_covered_time(ALWAYS, utc(2026, 1, 3, 23), 4 * H) == utc(2026, 1, 4, 3)


def test_24x7_across_spring_forward_is_absolute_time() -> None:
    # Sat 2026-03-07 22:00 EST (UTC-5) = Sun 03:00 UTC; + 6h = 09:00 UTC.
    # 09:00 UTC after the 02:00->03:00 jump is 05:00 EDT (UTC-4): the wall clock moved
    # 7h, and naive "aware + timedelta" wall-clock arithmetic would say 04:00 — wrong.
    start = datetime(2026, 3, 7, 22, tzinfo=NY)
    due = add_covered_time(ALWAYS, start, 6 * H)
    assert due == utc(2026, 3, 8, 9)
    assert due.tzinfo is UTC
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 8, 5)
    assert covered_elapsed(ALWAYS, start, due) == 6 * H


def test_24x7_has_no_boundaries() -> None:
    assert next_boundary(ALWAYS, utc(2026, 1, 3, 23)) is None


# --------------------------------------------------------------------------- business hours


def test_london_friday_afternoon_gmt() -> None:
    # Fri 2026-01-09 16:00 GMT: 1h Fri (16-17) + 3h Mon 2026-01-12 (9-12) -> Mon 12:00 GMT
    # GMT == UTC in winter, so 12:00 UTC.
    start = datetime(2026, 1, 9, 16, tzinfo=LON)
    assert add_covered_time(BIZ_LON, start, 4 * H) == utc(2026, 1, 12, 12)


def test_london_friday_afternoon_bst() -> None:
    # Fri 2026-06-05 16:00 BST (= 15:00 UTC): 1h Fri + 3h Mon 2026-06-08 -> Mon 12:00 BST
    # BST = UTC+1, so 11:00 UTC.
    start = datetime(2026, 6, 5, 16, tzinfo=LON)
    assert start.astimezone(UTC) == utc(2026, 6, 5, 15)
    assert add_covered_time(BIZ_LON, start, 4 * H) == utc(2026, 6, 8, 11)


def test_london_friday_afternoon_across_spring_forward() -> None:
    # Fri 2026-03-27 16:00 GMT (16:00 UTC); clocks go forward Sun 2026-03-29.
    # 1h Fri + 3h Mon 2026-03-30 -> 12:00 BST = 11:00 UTC.
    start = datetime(2026, 3, 27, 16, tzinfo=LON)
    assert add_covered_time(BIZ_LON, start, 4 * H) == utc(2026, 3, 30, 11)


def test_thanksgiving_is_skipped_but_black_friday_is_not() -> None:
    us = holidays.country_holidays("US", years=2026)
    assert date(2026, 11, 26) in us  # Thanksgiving
    assert date(2026, 11, 27) not in us  # "Black Friday" is not a federal holiday
    # Wed 2026-11-25 15:00 EST: 2h Wed (15-17) + Thu holiday + 6h Fri 2026-11-27 (9-15)
    # -> Fri 15:00 EST = 20:00 UTC.
    start = datetime(2026, 11, 25, 15, tzinfo=NY)
    due = add_covered_time(BIZ_NY, start, 8 * H)
    assert due == utc(2026, 11, 27, 20)
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 27, 15)


def test_friday_evening_before_monday_holiday() -> None:
    assert date(2026, 1, 19) in holidays.country_holidays("US", years=2026)  # MLK Day (Mon)
    # Fri 2026-01-16 18:00 EST is after close -> Sat, Sun, Mon (holiday) skipped ->
    # 3h from Tue 2026-01-20 09:00 EST -> 12:00 EST = 17:00 UTC.
    start = datetime(2026, 1, 16, 18, tzinfo=NY)
    assert add_covered_time(BIZ_NY, start, 3 * H) == utc(2026, 1, 20, 17)
    # Without a holiday calendar Monday counts: Mon 2026-01-19 12:00 EST = 17:00 UTC.
    plain = Coverage("business_hours", "America/New_York")
    assert add_covered_time(plain, start, 3 * H) == utc(2026, 1, 19, 17)


def test_holiday_subdivision_matters() -> None:
    # 2026-08-03 (Mon) is the Summer Bank Holiday in Scotland, not in England.
    sct = Coverage("business_hours", "Europe/London", "GB", "SCT")
    start = datetime(2026, 7, 31, 17, tzinfo=LON)  # Fri, at close
    # England: Mon 2026-08-03 09:00 BST + 2h = 11:00 BST = 10:00 UTC
    assert add_covered_time(BIZ_LON, start, 2 * H) == utc(2026, 8, 3, 10)
    # Scotland: Monday is a holiday -> Tue 2026-08-04 11:00 BST = 10:00 UTC
    assert add_covered_time(sct, start, 2 * H) == utc(2026, 8, 4, 10)


def test_new_york_spring_forward() -> None:
    # Fri 2026-03-06 15:00 EST = 20:00 UTC. Clocks spring forward Sun 2026-03-08.
    # 2h Fri (15-17) + 2h Mon 2026-03-09 (9-11) -> 11:00 EDT = 15:00 UTC.
    start = datetime(2026, 3, 6, 15, tzinfo=NY)
    assert start.astimezone(UTC) == utc(2026, 3, 6, 20)
    due = add_covered_time(BIZ_NY, start, 4 * H)
    assert due == utc(2026, 3, 9, 15)
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 9, 11)


def test_berlin_fall_back() -> None:
    # Fri 2026-10-23 16:00 CEST (UTC+2) = 14:00 UTC. Clocks fall back Sun 2026-10-25.
    # 1h Fri + 3h Mon 2026-10-26 (9-12) -> 12:00 CET (UTC+1) = 11:00 UTC.
    start = datetime(2026, 10, 23, 16, tzinfo=BER)
    assert add_covered_time(BIZ_BER, start, 4 * H) == utc(2026, 10, 26, 11)


def test_nine_to_five_on_dst_sunday_is_eight_hours() -> None:
    # With Sunday covered, 9-17 on the switch days is still 8h (switch happens at night).
    every_day = frozenset(range(7))
    ny = Coverage("business_hours", "America/New_York", weekdays=every_day)
    ber = Coverage("business_hours", "Europe/Berlin", weekdays=every_day)
    assert covered_elapsed(ny, utc(2026, 3, 8, 0), utc(2026, 3, 9, 0)) == 8 * H
    assert covered_elapsed(ber, utc(2026, 10, 25, 0), utc(2026, 10, 26, 0)) == 8 * H


def test_window_spanning_the_switch_uses_real_duration() -> None:
    # A 00:00-06:00 window on the switch day, each end converted to UTC separately:
    # NY 2026-03-08: 00:00 EST = 05:00 UTC .. 06:00 EDT = 10:00 UTC -> 5h (hour skipped)
    ny = Coverage("business_hours", "America/New_York", day_start=time(0), day_end=time(6),
                  weekdays=frozenset({6}))
    assert covered_elapsed(ny, utc(2026, 3, 7), utc(2026, 3, 9)) == 5 * H
    # Berlin 2026-10-25: 00:00 CEST = 22:00 UTC Sat .. 06:00 CET = 05:00 UTC -> 7h
    ber = Coverage("business_hours", "Europe/Berlin", day_start=time(0), day_end=time(6),
                   weekdays=frozenset({6}))
    assert covered_elapsed(ber, utc(2026, 10, 24), utc(2026, 10, 26)) == 7 * H
    # 6h of covered time from the Berlin window opening: 22:00 UTC + 6h = 04:00 UTC
    # (= 05:00 CET, one wall-clock hour before the window closes)
    assert add_covered_time(ber, utc(2026, 10, 24, 12), 6 * H) == utc(2026, 10, 25, 4)


# ----------------------------------------------------- edges (UTC; Mon 2026-01-05, Fri 2026-01-09)


def test_start_before_opening() -> None:
    # Mon 07:00 -> counting starts 09:00; + 1h = 10:00
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 5, 7), H) == utc(2026, 1, 5, 10)


def test_start_on_weekend() -> None:
    # Sat 2026-01-10 12:00 -> Mon 2026-01-12 09:00 + 2h = 11:00
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 10, 12), 2 * H) == utc(2026, 1, 12, 11)


def test_start_exactly_at_close_and_at_open() -> None:
    # Fri 2026-01-09 17:00 is the (excluded) end of the window -> Mon 09:00 + 1h = 10:00
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 9, 17), H) == utc(2026, 1, 12, 10)
    # Mon 09:00 exactly at opening + 2h = 11:00
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 5, 9), 2 * H) == utc(2026, 1, 5, 11)


def test_ending_exactly_at_close_is_due_at_close() -> None:
    # Fri 16:00 + 1h = Fri 17:00 (the earliest instant 1h has elapsed), not Mon 09:00
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 9, 16), H) == utc(2026, 1, 9, 17)
    # a full day: Mon 09:00 + 8h = Mon 17:00; + 8h 1min = Tue 09:01
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 5, 9), 8 * H) == utc(2026, 1, 5, 17)
    later = add_covered_time(BIZ_UTC, utc(2026, 1, 5, 9), 8 * H + timedelta(minutes=1))
    assert later == utc(2026, 1, 6, 9, 1)


def test_zero_duration_is_due_at_start() -> None:
    # zero covered time has elapsed at the start itself, even outside hours
    for cov in (BIZ_UTC, ALWAYS):
        assert add_covered_time(cov, utc(2026, 1, 10, 12), timedelta(0)) == utc(2026, 1, 10, 12)
        assert add_covered_time(cov, utc(2026, 1, 9, 17), timedelta(0)) == utc(2026, 1, 9, 17)


def test_long_duration() -> None:
    # 1000h = 125 business days of 8h = 25 full weeks. From Mon 2026-01-05 09:00 that
    # ends at the close of the 125th business day: Fri 2026-06-26 17:00 (no holidays).
    assert add_covered_time(BIZ_UTC, utc(2026, 1, 5, 9), 1000 * H) == utc(2026, 6, 26, 17)


def test_result_is_utc_even_for_local_input() -> None:
    due = add_covered_time(BIZ_LON, datetime(2026, 6, 5, 16, tzinfo=LON), H)
    assert due.tzinfo is UTC


# --------------------------------------------------------------------------- covered_elapsed


def test_covered_elapsed_plain_week() -> None:
    # Mon 2026-01-05 09:00 .. Mon 2026-01-12 09:00 = 5 days * 8h = 40h
    assert covered_elapsed(BIZ_UTC, utc(2026, 1, 5, 9), utc(2026, 1, 12, 9)) == 40 * H
    assert covered_elapsed(BIZ_UTC, utc(2026, 1, 12, 9), utc(2026, 1, 5, 9)) == timedelta(0)


def test_covered_elapsed_overlapping_pauses_are_merged() -> None:
    start, end = utc(2026, 1, 5, 9), utc(2026, 1, 12, 9)  # 40h covered
    pauses = [
        (utc(2026, 1, 5, 10), utc(2026, 1, 5, 12)),  # Mon 10-12
        (utc(2026, 1, 5, 11), utc(2026, 1, 5, 13)),  # Mon 11-13, overlaps -> merged 10-13 = 3h
        (utc(2026, 1, 9, 16), utc(2026, 1, 12, 10)),  # Fri 16:00 .. past end: clipped -> 1h
        (utc(2026, 1, 1), utc(2026, 1, 2)),  # entirely before start -> 0
    ]
    # 40h - 3h - 1h = 36h
    assert covered_elapsed(BIZ_UTC, start, end, pauses) == 36 * H


def test_pause_over_weekend_removes_nothing() -> None:
    start, end = utc(2026, 1, 5, 9), utc(2026, 1, 12, 17)  # 40h + Mon 8h = 48h
    weekend = [(utc(2026, 1, 9, 17), utc(2026, 1, 12, 9))]  # Fri close .. Mon open
    assert covered_elapsed(BIZ_UTC, start, end, weekend) == 48 * H


def test_covered_elapsed_24x7_with_pauses() -> None:
    # 10h span, pauses 1-3 and 2-4 merge to 1-4 = 3h -> 7h
    p = [(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3)), (utc(2026, 1, 1, 2), utc(2026, 1, 1, 4))]
    assert covered_elapsed(ALWAYS, utc(2026, 1, 1, 0), utc(2026, 1, 1, 10), p) == 7 * H


# --------------------------------------------------------------------------- next_boundary


def test_next_boundary() -> None:
    # Fri 2026-01-09 16:00 -> closes at 17:00; at 17:00 exactly -> Mon 09:00 opening
    assert next_boundary(BIZ_UTC, utc(2026, 1, 9, 16)) == utc(2026, 1, 9, 17)
    assert next_boundary(BIZ_UTC, utc(2026, 1, 9, 17)) == utc(2026, 1, 12, 9)
    assert next_boundary(BIZ_UTC, utc(2026, 1, 12, 9)) == utc(2026, 1, 12, 17)
    # NY Wed before Thanksgiving at 18:00 EST -> Fri 09:00 EST = 14:00 UTC
    assert next_boundary(BIZ_NY, datetime(2026, 11, 25, 18, tzinfo=NY)) == utc(2026, 11, 27, 14)


# --------------------------------------------------------------------------- validation / parsing


def test_bad_zone_names_the_zone() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        Coverage("business_hours", "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="America"):
        Coverage("24x7", "America")  # a directory, not a zone


def test_bad_holiday_calendar_names_it() -> None:
    with pytest.raises(ValueError, match="XX"):
        Coverage("business_hours", "UTC", "XX")
    with pytest.raises(ValueError, match="ZZ"):
        Coverage("business_hours", "UTC", "US", "ZZ")
    with pytest.raises(ValueError, match="without holiday_country"):
        Coverage("business_hours", "UTC", None, "CA")


def test_bad_hours_and_weekdays() -> None:
    with pytest.raises(ValueError, match="day_end"):
        Coverage("business_hours", day_start=time(17), day_end=time(9))
    with pytest.raises(ValueError, match="day_end"):
        Coverage("business_hours", day_start=time(9), day_end=time(9))
    with pytest.raises(ValueError, match="weekdays"):
        Coverage("business_hours", weekdays=frozenset())
    with pytest.raises(ValueError, match="weekdays"):
        Coverage("business_hours", weekdays=frozenset({7}))


def test_naive_and_negative_inputs_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_covered_time(BIZ_UTC, datetime(2026, 1, 5, 9), H)
    with pytest.raises(ValueError, match="negative"):
        add_covered_time(BIZ_UTC, utc(2026, 1, 5, 9), -H)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("24x7", "24x7"), ("business_hours", "business_hours"),
     ("Business Hours", "business_hours"), (" 8x5 ", "business_hours")],
)
def test_parse_coverage(text: str, kind: str) -> None:
    cov = parse_coverage(text, "Europe/London", "gb")
    assert cov.kind == kind
    assert cov.timezone == "Europe/London"
    assert cov.holiday_country == "GB"


def test_parse_coverage_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="allowed: '24x7', 'business_hours'"):
        parse_coverage("gold", "UTC", None)
    with pytest.raises(ValueError, match="Nowhere/City"):
        parse_coverage("24x7", "Nowhere/City", None)


# --------------------------------------------------------------------------- properties

COVERAGES = [
    BIZ_UTC,
    BIZ_LON,
    BIZ_NY,
    Coverage("business_hours", "Europe/Berlin", "DE", "BY", time(7, 30), time(18, 15),
             frozenset({0, 1, 2, 3, 4, 5})),
    # a window inside the NY DST transition hours, to stress gap/fold handling
    Coverage("business_hours", "America/New_York", day_start=time(1, 30), day_end=time(2, 30),
             weekdays=frozenset(range(7))),
    Coverage("business_hours", "Australia/Sydney", "AU", "NSW"),
    ALWAYS,
    Coverage("24x7"),
]

coverages = st.sampled_from(COVERAGES)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))


@st.composite
def instants(draw: st.DrawFn, cov: Coverage | None = None) -> datetime:
    """Arbitrary instants, biased towards local window boundaries of ``cov``."""
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)))
    choices = [st.times()]
    if cov is not None:
        choices.append(st.sampled_from([cov.day_start, cov.day_end]))
    t = draw(st.one_of(*choices))
    fold = draw(st.integers(0, 1))
    tz = ZoneInfo(cov.timezone) if cov is not None else UTC
    return datetime.combine(day, t, tzinfo=tz).replace(fold=fold).astimezone(UTC)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), cov=coverages, d=durations)
def test_elapsed_inverts_add(data: st.DataObject, cov: Coverage, d: timedelta) -> None:
    s = data.draw(instants(cov))
    due = add_covered_time(cov, s, d)
    assert due >= s
    assert covered_elapsed(cov, s, due) == d


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cov=coverages, d1=durations, d2=durations)
def test_add_is_monotonic(data: st.DataObject, cov: Coverage, d1: timedelta,
                          d2: timedelta) -> None:
    s = data.draw(instants(cov))
    lo, hi = sorted((d1, d2))
    assert add_covered_time(cov, s, lo) <= add_covered_time(cov, s, hi)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cov=coverages)
def test_coverage_constant_between_boundaries(data: st.DataObject, cov: Coverage) -> None:
    t = data.draw(instants(cov))
    nb = next_boundary(cov, t)
    if cov.kind == "24x7":
        assert nb is None
        return
    assert nb is not None and nb > t
    assert covered_elapsed(cov, t, nb) in (timedelta(0), nb - t)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cov=coverages, span=durations,
       raw=st.lists(st.tuples(durations, durations), max_size=4))
def test_pauses_only_subtract(data: st.DataObject, cov: Coverage, span: timedelta,
                              raw: list[tuple[timedelta, timedelta]]) -> None:
    s = data.draw(instants(cov))
    e = s + span
    pauses = [(s - timedelta(hours=50) + a, s - timedelta(hours=50) + a + b) for a, b in raw]
    full = covered_elapsed(cov, s, e)
    paused = covered_elapsed(cov, s, e, pauses)
    assert timedelta(0) <= paused <= full
    # subtracting each merged pause region once: duplicating the pauses changes nothing
    assert covered_elapsed(cov, s, e, pauses + pauses) == paused
