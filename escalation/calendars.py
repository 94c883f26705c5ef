"""Loading working calendars from the packs' ``calendars/`` folders: one default, others per department."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine import yaml_lines
from engine.errors import Problem
from engine.yaml_lines import LocatedDict, quoted
from escalation.calendar import CalendarError, WorkCalendar, parse_window

HOLIDAYS_FILE = "holidays.yaml"
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class Calendars:
    """The default calendar and the departments that keep their own."""

    default: WorkCalendar = field(default_factory=WorkCalendar)
    by_department: Mapping[str, WorkCalendar] = field(default_factory=dict)

    def for_department(self, code: str | None) -> WorkCalendar:
        """The calendar a department works by."""
        return self.by_department.get(code or "", self.default)


def load_calendars(folder: Path) -> tuple[Calendars, list[Problem]]:
    """Read every calendar file in ``folder``; a folder without files gives the built-in default."""
    return merge_calendars([folder])


def merge_calendars(folders: Sequence[Path]) -> tuple[Calendars, list[Problem]]:
    """The calendar files of several folders (one per pack) as one set.

    A calendar name, a department and the default are each given by one file only, and one
    holidays file serves every calendar; a second one is a problem naming both files.
    """
    problems: list[Problem] = []
    holiday_files = [f / HOLIDAYS_FILE for f in folders if (f / HOLIDAYS_FILE).exists()]
    for extra in holiday_files[1:]:
        problems.append(Problem(str(extra), 1, None, "holidays are already given by {other}: keep one holidays file",
                                {"other": str(holiday_files[0])}))
    overrides, known = _holidays(holiday_files[0], problems) if holiday_files else ({}, frozenset())
    default: WorkCalendar | None = None
    named: dict[str, Path] = {}  # calendar name -> the file that defines it
    given: dict[str, Path] = {}  # department code -> the file that gives its calendar
    by_department: dict[str, WorkCalendar] = {}
    for path in [p for f in folders if f.is_dir() for p in sorted(f.glob("*.yaml")) if p.name != HOLIDAYS_FILE]:
        data = _read(path, problems)
        if data is None:
            continue
        calendar = _calendar(path, data, overrides, known, problems)
        if calendar is None:
            continue
        if calendar.name in named:
            problems.append(Problem(str(path), data.line_of("name"), "name",
                                    "calendar {name} is also defined in {other}",
                                    {"name": quoted(calendar.name), "other": str(named[calendar.name])}))
            continue
        named[calendar.name] = path
        if data.get("default"):
            if default is not None:
                problems.append(Problem(str(path), data.line_of("default"), "default",
                                        "only one calendar may be the default: {other} is the default already",
                                        {"other": str(named[default.name])}))
            else:
                default = calendar
        for code in data.get("departments") or []:
            if given.get(str(code), path) != path:
                problems.append(Problem(str(path), data.line_of("departments"), "departments",
                                        "{code} already works by the calendar of {other}",
                                        {"code": quoted(code), "other": str(given[str(code)])}))
                continue
            given[str(code)] = path
            by_department[str(code)] = calendar
    if default is None:
        default = WorkCalendar(overrides=overrides, known_years=known)
    return Calendars(default, by_department), problems


def _read(path: Path, problems: list[Problem]) -> LocatedDict | None:
    try:
        data = yaml_lines.load(path.read_text(encoding="utf-8"))
    except yaml_lines.YamlError as error:
        problems.append(Problem(str(path), error.line, None, error.template, error.params))
        return None
    except OSError as error:
        problems.append(Problem(str(path), None, None, "cannot read: {reason}", {"reason": error.strerror}))
        return None
    if not isinstance(data, LocatedDict):
        problems.append(Problem(str(path), 1, None, "a calendar file must be a mapping"))
        return None
    return data


def _calendar(path: Path, data: LocatedDict, overrides: Mapping[date, bool], known: frozenset[int],
              problems: list[Problem]) -> WorkCalendar | None:
    def problem(key: str, template: str, **params: Any) -> None:
        problems.append(Problem(str(path), data.line_of(key), key, template, {k: quoted(v) for k, v in params.items()}))

    try:
        zone = ZoneInfo(str(data.get("timezone", "Asia/Shanghai")))
    except (ZoneInfoNotFoundError, ValueError):
        problem("timezone", "unknown time zone {zone}", zone=data.get("timezone"))
        return None
    try:
        windows = tuple(parse_window(str(a), str(b)) for a, b in data.get("windows") or [])
    except (ValueError, TypeError):
        problem("windows", 'windows must be pairs of times, e.g. [["08:30", "12:00"], ["13:00", "17:30"]]')
        return None
    days = data.get("workdays") or []
    if not all(str(d).lower()[:3] in _WEEKDAYS for d in days):
        problem("workdays", "workdays must be weekday names (mon, tue, ... sun)")
        return None
    statutory = bool(data.get("statutory", True))
    try:
        return WorkCalendar(
            name=str(data.get("name") or path.stem),
            timezone=zone,
            windows=windows,
            weekdays=frozenset(_WEEKDAYS[str(d).lower()[:3]] for d in days),
            statutory=statutory,
            overrides=dict(overrides) if statutory else {},
            known_years=known,
        )
    except CalendarError as error:
        problem("windows", "{reason}", reason=str(error))
        return None


def _holidays(path: Path, problems: list[Problem]) -> tuple[dict[date, bool], frozenset[int]]:
    if not path.exists():
        return {}, frozenset()
    data = _read(path, problems)
    if data is None:
        return {}, frozenset()
    overrides: dict[date, bool] = {}
    known: set[int] = set()
    years = data.get("years") or {}
    for year, entry in years.items() if isinstance(years, LocatedDict) else []:
        if not (isinstance(year, str) and len(year) == 4 and year.isdigit()):
            problems.append(Problem(str(path), years.line_of(year), quoted(year),
                                    "{year} is not a year (write e.g. 2027)", {"year": quoted(year)}))
            continue
        if not isinstance(entry, LocatedDict):
            problems.append(Problem(str(path), years.line_of(year), quoted(year), "year {year} must be a mapping",
                                    {"year": quoted(year)}))
            continue
        for key, workday in (("holidays", False), ("workdays", True)):
            for day in entry.get(key) or []:
                if not isinstance(day, date) or day.year != int(year):
                    problems.append(Problem(str(path), entry.line_of(key), key,
                                            "{value} is not a date in {year} (write YYYY-MM-DD)",
                                            {"value": quoted(day), "year": quoted(year)}))
                    continue
                overrides[day] = workday
        if entry.get("complete"):
            known.add(int(year))
    return overrides, frozenset(known)
