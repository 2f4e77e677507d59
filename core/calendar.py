"""SLA clocks counted on a contract's coverage calendar (pure functions, no DB).

Rules:

* ``24x7`` coverage counts absolute elapsed time: the due instant is ``start + duration``
  computed in UTC, so a DST change never adds or removes an hour.
* ``business_hours`` coverage counts only the windows ``[day_start, day_end)`` in the
  *local wall-clock time* of ``Coverage.timezone``, on ``Coverage.weekdays``
  (Monday=0 .. Sunday=6), skipping the public holidays of ``holiday_country`` /
  ``holiday_subdiv`` as given by the ``holidays`` package (for every year involved).
* DST is handled by converting each day's local window start and end to UTC
  separately (zoneinfo), so each window lasts exactly what the wall clock says and
  a switch at night changes nothing. A local time skipped by a spring-forward gap
  resolves with the pre-transition offset (i.e. it lands just after the gap); an
  ambiguous fall-back time resolves to its first occurrence (``fold=0``).
* A start outside hours begins counting at the next window opening. The due time is
  the *earliest* instant at which ``duration`` of covered time has elapsed, so work
  ending exactly at closing time is due at closing time, and a zero duration is due
  at ``start`` itself.
* Every instant passed in must be timezone-aware; results are aware UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

CoverageKind = Literal["24x7", "business_hours"]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# No calendar realistically has ten years without a covered day; this only stops
# a pathological configuration from looping forever.
_MAX_EMPTY_DAYS = 3660

_ALIASES: dict[str, CoverageKind] = {
    "24x7": "24x7",
    "24/7": "24x7",
    "business_hours": "business_hours",
    "business hours": "business_hours",
    "8x5": "business_hours",
}


@dataclass(frozen=True)
class Coverage:
    kind: CoverageKind
    timezone: str = "UTC"
    holiday_country: str | None = None
    holiday_subdiv: str | None = None
    day_start: time = time(9)
    day_end: time = time(17)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        if self.kind not in ("24x7", "business_hours"):
            raise ValueError(
                f"unknown coverage kind {self.kind!r}; allowed: '24x7', 'business_hours'"
            )
        _zone(self.timezone)  # raises ValueError naming the zone
        if self.holiday_subdiv is not None and self.holiday_country is None:
            raise ValueError(
                f"holiday_subdiv {self.holiday_subdiv!r} given without holiday_country"
            )
        if self.holiday_country is not None:
            try:
                _check_holiday_calendar(self.holiday_country, self.holiday_subdiv)
            except NotImplementedError as exc:
                raise ValueError(
                    f"unknown holiday calendar country={self.holiday_country!r} "
                    f"subdiv={self.holiday_subdiv!r}: {exc}"
                ) from None
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start/day_end must be naive local wall-clock times")
        if not self.day_end > self.day_start:
            raise ValueError(f"day_end {self.day_end} must be after day_start {self.day_start}")
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(
                f"weekdays must be a non-empty subset of 0..6, got {sorted(self.weekdays)}"
            )


def parse_coverage(
    text: str,
    timezone: str = "UTC",
    holiday_country: str | None = None,
    *,
    holiday_subdiv: str | None = None,
) -> Coverage:
    """Build a Coverage from contract text such as ``"24x7"``, ``"business hours"``, ``"8x5"``."""
    key = " ".join(text.strip().lower().split())
    kind = _ALIASES.get(key) or _ALIASES.get(key.replace(" ", "_"))
    if kind is None:
        raise ValueError(
            f"unknown coverage {text!r}; allowed: '24x7', 'business_hours' "
            "(also 'business hours', '8x5')"
        )
    country = holiday_country.strip().upper() if holiday_country else None
    return Coverage(kind, timezone=timezone, holiday_country=country, holiday_subdiv=holiday_subdiv)


def add_covered_time(cov: Coverage, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant at which ``duration`` of covered time has elapsed after ``start``."""
    cur = _as_utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if cov.kind == "24x7" or duration == _ZERO:
        return cur + duration
    remaining = duration
    for open_, close in _windows(cov, cur):
        s = max(open_, cur)
        if s >= close:
            continue
        avail = close - s
        if remaining <= avail:
            return s + remaining
        remaining -= avail
    raise AssertionError("unreachable: _windows is infinite")  # pragma: no cover


def covered_elapsed(
    cov: Coverage,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> timedelta:
    """Covered time in ``[start, end)`` minus the covered time inside ``pauses``.

    Pauses may overlap each other and extend beyond ``[start, end)``; they are clipped
    and merged first, so no covered moment is subtracted twice. ``end <= start`` gives 0.
    """
    a, b = _as_utc(start, "start"), _as_utc(end, "end")
    if b <= a:
        return _ZERO
    clipped = []
    for p0, p1 in pauses:
        lo, hi = max(_as_utc(p0, "pause start"), a), min(_as_utc(p1, "pause end"), b)
        if lo < hi:
            clipped.append((lo, hi))
    clipped.sort()
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    total = _covered_between(cov, a, b)
    for lo, hi in merged:
        total -= _covered_between(cov, lo, hi)
    return total


def next_boundary(cov: Coverage, after: datetime) -> datetime | None:
    """The next instant strictly after ``after`` at which coverage opens or closes.

    ``None`` for 24x7 coverage, which never opens or closes.
    """
    if cov.kind == "24x7":
        return None
    t = _as_utc(after, "after")
    for open_, close in _windows(cov, t):
        if open_ > t:
            return open_
        if close > t:
            return close
    raise AssertionError("unreachable: _windows is infinite")  # pragma: no cover


# --------------------------------------------------------------------------- internals


def _as_utc(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {dt!r}")
    return dt.astimezone(UTC)


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None


@functools.lru_cache(maxsize=128)
def _check_holiday_calendar(country: str, subdiv: str | None) -> None:
    holidays.country_holidays(country, subdiv=subdiv)  # NotImplementedError if unknown


@functools.lru_cache(maxsize=1024)
def _holiday_dates(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """Holidays of one (country, subdiv) calendar for one year, cached.

    A frozen snapshot per year rather than one lazily-expanding ``holidays`` object:
    lookups are plain set hits and never mutate shared state across threads.
    """
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


def _is_covered_day(cov: Coverage, d: date) -> bool:
    if d.weekday() not in cov.weekdays:
        return False
    if cov.holiday_country is None:
        return True
    return d not in _holiday_dates(cov.holiday_country, cov.holiday_subdiv, d.year)


def _window(cov: Coverage, d: date) -> tuple[datetime, datetime]:
    tz = _zone(cov.timezone)
    open_ = datetime.combine(d, cov.day_start, tzinfo=tz).astimezone(UTC)
    close = datetime.combine(d, cov.day_end, tzinfo=tz).astimezone(UTC)
    return open_, close


def _windows(cov: Coverage, t: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Covered windows (UTC) in time order, from the local day before ``t`` onwards."""
    d = t.astimezone(_zone(cov.timezone)).date() - _ONE_DAY
    empty = 0
    while True:
        if _is_covered_day(cov, d):
            open_, close = _window(cov, d)
            if open_ < close:
                empty = 0
                yield open_, close
        empty += 1
        if empty > _MAX_EMPTY_DAYS:
            raise ValueError(f"coverage {cov!r} has no covered day within {_MAX_EMPTY_DAYS} days")
        d += _ONE_DAY


def _covered_between(cov: Coverage, a: datetime, b: datetime) -> timedelta:
    if b <= a:
        return _ZERO
    if cov.kind == "24x7":
        return b - a
    total = _ZERO
    for open_, close in _windows(cov, a):
        if open_ >= b:
            break
        lo, hi = max(open_, a), min(close, b)
        if lo < hi:
            total += hi - lo
    return total
