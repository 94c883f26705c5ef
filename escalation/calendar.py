"""Working time: windows per day, weekends, statutory holidays and 调休 make-up workdays.

All arithmetic is pure: instants in, instants out, nothing read from the clock. Days
are local days in the calendar's time zone; instants are timezone-aware.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# The years the bundled statutory schedule covers (chinesecalendar raises outside them).
STATUTORY_YEARS = range(2004, 2027)
_MAX_DAYS_SCANNED = 3660  # ten years: a calendar with no working day at all is a data error


@lru_cache(maxsize=8192)
def _statutory_workday(day: date) -> bool:
    """The State Council schedule for one day (the library scans its whole table on every call)."""
    return bool(chinese_calendar.is_workday(day))


class CalendarError(ValueError):
    """The calendar cannot answer: no working day within ten years, a malformed window."""


@dataclass(frozen=True)
class WorkCalendar:
    """When people work: windows on working days, in one time zone."""

    name: str = "default"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # Working windows as minutes after midnight; an end of 1440 is the next midnight ("24:00").
    windows: tuple[tuple[int, int], ...] = ((8 * 60 + 30, 12 * 60), (13 * 60, 17 * 60 + 30))
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    statutory: bool = True  # follow the State Council holiday schedule
    overrides: Mapping[date, bool] = field(default_factory=dict)  # True: workday, False: day off
    known_years: frozenset[int] = frozenset()  # years the override file describes completely

    def __post_init__(self) -> None:
        if not self.windows:
            raise CalendarError(f"calendar {self.name}: no working windows")
        previous = 0
        for start, end in self.windows:
            if not previous <= start < end <= 24 * 60:
                raise CalendarError(f"calendar {self.name}: windows must be ordered, within the day, "
                                    "and must not overlap")
            previous = end

    # -- days ----------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day (override file, then statutory data, then weekdays)."""
        if day in self.overrides:
            return self.overrides[day]
        if self.statutory and day.year in STATUTORY_YEARS:
            return _statutory_workday(day)
        return day.weekday() in self.weekdays

    def knows(self, year: int) -> bool:
        """Whether holidays of ``year`` are known (else only weekends are assumed)."""
        return not self.statutory or year in STATUTORY_YEARS or year in self.known_years

    def unknown_years(self, start: datetime, end: datetime) -> list[int]:
        """Years between two instants whose holidays this calendar does not know."""
        first, last = self.local_day(start).year, self.local_day(max(start, end)).year
        return [year for year in range(first, last + 1) if not self.knows(year)]

    def local_day(self, instant: datetime) -> date:
        """The calendar day of ``instant`` in this calendar's time zone."""
        return instant.astimezone(self.timezone).date()

    def next_workday(self, day: date) -> date:
        """The first working day on or after ``day``."""
        for offset in range(_MAX_DAYS_SCANNED):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise CalendarError(f"calendar {self.name}: no working day within ten years of {day}")

    def nth_workday_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
        found, candidate = 0, day
        while found < n:
            candidate = self.next_workday(candidate + timedelta(days=1))
            found += 1
        return candidate

    def close_of_business(self, day: date) -> datetime:
        """The end of the last working window of ``day``."""
        return self._at(day, self.windows[-1][1])

    # -- working time ------------------------------------------------------------

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of working time has passed after ``start``."""
        if amount < timedelta(0):
            raise ValueError("working time to add must not be negative")
        remaining = amount
        if remaining == timedelta(0):
            return start
        for window_start, window_end in self._windows_from(start):
            begin = max(window_start, start)
            available = window_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise CalendarError(f"calendar {self.name}: ran out of working days")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside the windows between two instants (zero if ``end`` is earlier)."""
        total = timedelta(0)
        if end <= start:
            return total
        for window_start, window_end in self._windows_from(start):
            if window_start >= end:
                break
            total += min(window_end, end) - max(window_start, start)
        return total

    def windows_between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working intervals between two instants, clipped to them (for live countdowns)."""
        found: list[tuple[datetime, datetime]] = []
        if end <= start:
            return found
        for window_start, window_end in self._windows_from(start):
            if window_start >= end:
                break
            found.append((max(window_start, start), min(window_end, end)))
        return found

    def _windows_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows that end after ``start``, in order."""
        day = self.local_day(start)
        for _ in range(_MAX_DAYS_SCANNED):
            if self.is_workday(day):
                for begin, finish in self.windows:
                    window = (self._at(day, begin), self._at(day, finish))
                    if window[1] > start:
                        yield window
            day += timedelta(days=1)
        raise CalendarError(f"calendar {self.name}: no working window within ten years of {start}")

    def _at(self, day: date, minute: int) -> datetime:
        return datetime.combine(day, time(0, 0), self.timezone) + timedelta(minutes=minute)


def parse_window(start: str, end: str) -> tuple[int, int]:
    """``("08:30", "12:00")`` as minutes after midnight; ``"24:00"`` is the end of the day."""
    return _minutes(start), _minutes(end)


def _minutes(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 24 * 60 or not 0 <= int(minutes or 0) < 60:
        raise ValueError(f"'{text}' is not a time of day (HH:MM)")
    return value
