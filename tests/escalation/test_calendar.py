"""Working time pinned to real dates: lunch, evenings, weekends, National Day 2026 and 调休."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.calendar import CalendarError, WorkCalendar
from escalation.calendars import load_calendars
from escalation.limits import Limit, LimitError
from tests.support import DEMO_CITY

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Beijing instant."""
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.mark.parametrize("start,limit,due", [
    # 4wh from Friday 16:00: 1.5 h on Friday, 2.5 h on Monday morning.
    (at(2026, 11, 27, 16, 0), "4wh", at(2026, 11, 30, 11, 0)),
    # Lunch is skipped: 11:00 + 2wh = 14:00.
    (at(2026, 11, 24, 11, 0), "2wh", at(2026, 11, 24, 14, 0)),
    # Started in the evening: counting begins next morning.
    (at(2026, 11, 24, 20, 0), "1wh", at(2026, 11, 25, 9, 30)),
    # Started during lunch: counting begins at 13:00.
    (at(2026, 11, 24, 12, 30), "30min", at(2026, 11, 24, 13, 0)),
    (at(2026, 11, 24, 12, 30), "0.5wh", at(2026, 11, 24, 13, 30)),
    # Ending exactly at the end of a window stays there.
    (at(2026, 11, 24, 8, 30), "3.5wh", at(2026, 11, 24, 12, 0)),
    # National Day 2026: Oct 1–7 off; 4wh from Sep 30 16:00 resumes on Oct 8.
    (at(2026, 9, 30, 16, 0), "4wh", at(2026, 10, 8, 11, 0)),
    # 7d from Monday 2026-09-28 lands on Oct 5 (a holiday): close of business Oct 8.
    (at(2026, 9, 28, 10, 0), "7d", at(2026, 10, 8, 17, 30)),
    # 1wd from Friday 2026-10-09 is Saturday Oct 10, a 调休 make-up workday.
    (at(2026, 10, 9, 10, 0), "1wd", at(2026, 10, 10, 17, 30)),
    # The start day is not counted, even when it is a working day started early.
    (at(2026, 11, 24, 8, 0), "1wd", at(2026, 11, 25, 17, 30)),
    # Clock time ignores calendars.
    (at(2026, 10, 1, 23, 50), "30min", at(2026, 10, 2, 0, 20)),
    (at(2026, 10, 1, 23, 0), "2h", at(2026, 10, 2, 1, 0)),
    # The Sunday 2026-09-20 make-up day counts as a working day.
    (at(2026, 9, 19, 10, 0), "1wd", at(2026, 9, 20, 17, 30)),
])
def test_limits_end_at_the_right_minute(start: datetime, limit: str, due: datetime) -> None:
    assert Limit.parse(limit).due(start, CAL) == due


def test_windows_lunch_and_evenings_are_skipped_when_measuring() -> None:
    assert CAL.working_time_between(at(2026, 11, 24, 11, 0), at(2026, 11, 24, 14, 0)) == timedelta(hours=2)
    assert CAL.working_time_between(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 9, 0)) == timedelta(hours=1)
    assert CAL.working_time_between(at(2026, 10, 1), at(2026, 10, 8)) == timedelta(0)


def test_a_limit_reaching_into_2027_knows_it_lacks_holiday_data() -> None:
    start = at(2026, 12, 28, 9, 0)
    due = Limit.parse("7wd").due(start, CAL)
    assert CAL.unknown_years(start, due) == [2027]
    # Weekends only in 2027: Jan 1 2027 (a Friday) counts as a working day.
    assert due == at(2027, 1, 6, 17, 30)
    assert CAL.unknown_years(at(2026, 11, 2), at(2026, 11, 20)) == []


def test_the_override_file_completes_a_year(tmp_path: Path) -> None:
    (tmp_path / "holidays.yaml").write_text(
        "years:\n  2027:\n    complete: true\n    holidays: [2027-01-01]\n    workdays: [2027-01-09]\n")
    calendars, problems = load_calendars(tmp_path)
    assert problems == []
    cal = calendars.default
    assert cal.unknown_years(at(2026, 12, 28), at(2027, 2, 1)) == []
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 9))
    assert Limit.parse("1wd").due(at(2026, 12, 31, 10), cal) == at(2027, 1, 4, 17, 30)


def test_department_calendars_come_from_the_calendar_folder() -> None:
    calendars, problems = load_calendars(DEMO_CITY / "calendars")
    assert problems == []
    duty = calendars.for_department("YJJ")
    assert duty is not calendars.default
    assert calendars.for_department("CGW") is calendars.default
    # Round-the-clock duty: 4wh on a Sunday night is four hours later.
    assert Limit.parse("4wh").due(at(2026, 10, 4, 22, 0), duty) == at(2026, 10, 5, 2, 0)


def test_broken_calendar_files_give_located_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text('name: a\ntimezone: Mars/Base\nwindows: [["08:00", "12:00"]]\n')
    (tmp_path / "b.yaml").write_text('name: b\nwindows: [["13:00", "12:00"]]\nworkdays: [mon]\n')
    (tmp_path / "c.yaml").write_text("name: c\nwindows: [[\n")
    (tmp_path / "holidays.yaml").write_text("years:\n  2027:\n    holidays: [2026-05-01, soon]\n")
    _, problems = load_calendars(tmp_path)
    located = sorted((Path(p.file).name, p.line, p.element) for p in problems)
    assert ("a.yaml", 2, "timezone") in located
    assert ("b.yaml", 2, "windows") in located
    assert any(name == "c.yaml" and line for name, line, _ in located)
    assert [e for name, _, e in located if name == "holidays.yaml"] == ["holidays", "holidays"]


@pytest.mark.parametrize("text", ["", "4", "4 weeks", "-1h", "0wh", "1.5wd", "wh", None, "4wh4"])
def test_malformed_limits_are_refused(text: object) -> None:
    with pytest.raises(LimitError):
        Limit.parse(text)


def test_a_calendar_without_any_working_day_is_an_error() -> None:
    never = WorkCalendar(weekdays=frozenset(), statutory=False)
    with pytest.raises(CalendarError):
        never.add_working_time(at(2026, 1, 1), timedelta(hours=1))


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30)).map(
    lambda d: d.replace(tzinfo=TZ, second=0, microsecond=0))
amounts = st.integers(min_value=0, max_value=60 * 40).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(instants, amounts, amounts)
def test_adding_working_time_is_additive(start: datetime, a: timedelta, b: timedelta) -> None:
    assert CAL.add_working_time(CAL.add_working_time(start, a), b) == CAL.add_working_time(start, a + b)


@settings(max_examples=300, deadline=None)
@given(instants, amounts, amounts)
def test_adding_working_time_is_monotonic(start: datetime, a: timedelta, b: timedelta) -> None:
    small, large = sorted((a, b))
    assert CAL.add_working_time(start, small) <= CAL.add_working_time(start, large)


@settings(max_examples=300, deadline=None)
@given(instants, amounts)
def test_measuring_back_returns_what_was_added(start: datetime, amount: timedelta) -> None:
    assert CAL.working_time_between(start, CAL.add_working_time(start, amount)) == amount


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=1, max_value=25))
def test_working_days_end_at_close_of_business_on_a_working_day(start: datetime, n: int) -> None:
    due = Limit.parse(f"{n}wd").due(start, CAL)
    assert due.astimezone(TZ).time().strftime("%H:%M") == "17:30"
    assert CAL.is_workday(due.astimezone(TZ).date())
    assert due.astimezone(TZ).date() > start.astimezone(TZ).date()
