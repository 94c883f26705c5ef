"""Time limits as the practice writes them (``4wh``, ``7wd``, ``2h``, ``30min``, ``15d``).

Counted as the Civil Code counts periods (民法典 arts. 201–203):

- ``Nmin`` / ``Nh``: exact clock durations (7×24, for emergencies);
- ``Nwh``: N hours inside working windows, from the start instant;
- ``Nwd``: close of business on the N-th working day after the start day (not counted);
- ``Nd``: close of business on the N-th calendar day after the start day, moved to close of
  business on the next working day when that day is not a working day.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.calendar import WorkCalendar

_LIMIT = re.compile(r"^\s*(\d+)(?:\.(\d+))?\s*(min|wh|wd|h|d)\s*$")

# The longest limit anyone may write, policies and extension requests alike: a year's worth of
# each unit. Change it here; every parser of a limit reads it.
MAX_LIMIT_DAYS = 366
# Digits read before any conversion: enough for the largest maximum (527040min), so a number of
# any length is refused by its length, never converted.
MAX_DIGITS = 7
MAX_DECIMALS = 3
QUOTED_LENGTH = 40  # how much of a refused text a message repeats

# Messages, English ids translated where they are shown (``{text}`` is already cut short).
_MESSAGES = {
    "syntax": "'{text}' is not a time limit: write e.g. 30min, 2h, 4wh, 7wd or 15d",
    "whole_days": "'{text}': days are counted whole",
    "zero": "'{text}': a limit must be longer than zero",
    "maximum": "'{text}': a limit may be at most {maximum} (one year)",
    "overflow": "'{text}': the deadline would fall beyond the calendar",
}


class LimitError(ValueError):
    """A limit is not written as ``<number><unit>``, or is out of bounds; carries a translatable template."""

    def __init__(self, code: str, text: object) -> None:
        self.code = code
        self.template = _MESSAGES[code]
        self.params: dict[str, str] = {"text": quoted(text)}
        if code == "maximum":
            self.params["maximum"] = ""  # filled in by the caller that knows the unit
        super().__init__(self.template.format(**self.params))

    def with_maximum(self, maximum: str) -> LimitError:
        """The same error naming the largest limit of its unit."""
        self.params["maximum"] = maximum
        self.args = (self.template.format(**self.params),)
        return self


def quoted(text: object) -> str:
    """What a message may repeat of a refused value: a short text, never the whole of a hostile one."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return type(text).__name__
    if isinstance(text, int) and text.bit_length() > 64:  # str() of a huge int is slow, even refused
        return "…"
    shown = str(text)
    return shown if len(shown) <= QUOTED_LENGTH else shown[:QUOTED_LENGTH] + "…"


class Unit(enum.StrEnum):
    """How a limit is counted."""

    MINUTES = "min"
    HOURS = "h"
    WORK_HOURS = "wh"
    WORK_DAYS = "wd"
    DAYS = "d"

    @property
    def is_clock_time(self) -> bool:
        """Exact durations, independent of any calendar."""
        return self in (Unit.MINUTES, Unit.HOURS)


# The largest amount of each unit: MAX_LIMIT_DAYS of it. Working hours are bounded like clock hours,
# since a calendar may work around the clock (on duty).
MAXIMUM = {
    Unit.MINUTES: MAX_LIMIT_DAYS * 24 * 60,
    Unit.HOURS: MAX_LIMIT_DAYS * 24,
    Unit.WORK_HOURS: MAX_LIMIT_DAYS * 24,
    Unit.WORK_DAYS: MAX_LIMIT_DAYS,
    Unit.DAYS: MAX_LIMIT_DAYS,
}


@dataclass(frozen=True)
class Limit:
    """An amount of time in one unit."""

    amount: float
    unit: Unit

    @classmethod
    def parse(cls, text: object) -> Limit:
        """Read ``4wh``, ``7wd``, ``2h``, ``30min``, ``15d``; at most a year (``MAXIMUM``) of each unit."""
        match = _LIMIT.match(text) if isinstance(text, str) else None
        if match is None:
            raise LimitError("syntax", text)
        whole, decimals, unit = match.group(1), match.group(2) or "", Unit(match.group(3))
        # Count the digits before converting: a number of any length must never reach float() or int().
        if len(whole.lstrip("0")) > MAX_DIGITS:
            raise LimitError("maximum", text).with_maximum(f"{MAXIMUM[unit]}{unit.value}")
        if len(decimals) > MAX_DECIMALS:
            raise LimitError("syntax", text)
        amount = float(f"{whole}.{decimals or 0}")
        if unit in (Unit.WORK_DAYS, Unit.DAYS) and amount != int(amount):
            raise LimitError("whole_days", text)
        if amount <= 0:
            raise LimitError("zero", text)
        if amount > MAXIMUM[unit]:
            raise LimitError("maximum", text).with_maximum(f"{MAXIMUM[unit]}{unit.value}")
        return cls(amount, unit)

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit.value}"

    def due(self, start: datetime, calendar: WorkCalendar) -> datetime:
        """When a period of this length that started at ``start`` ends; LimitError past the calendar's end."""
        try:
            return self._due(start, calendar)
        except OverflowError:  # a start near the year 9999 (a deadline already moved far out)
            raise LimitError("overflow", str(self)) from None

    def _due(self, start: datetime, calendar: WorkCalendar) -> datetime:
        if self.unit == Unit.MINUTES:
            return start + timedelta(minutes=self.amount)
        if self.unit == Unit.HOURS:
            return start + timedelta(hours=self.amount)
        if self.unit == Unit.WORK_HOURS:
            return calendar.add_working_time(start, timedelta(hours=self.amount))
        first = calendar.local_day(start)
        if self.unit == Unit.WORK_DAYS:
            return calendar.close_of_business(calendar.nth_workday_after(first, int(self.amount)))
        day = calendar.next_workday(first + timedelta(days=int(self.amount)))
        return calendar.close_of_business(day)

    def elapsed_share(self, start: datetime, due: datetime, share: float, calendar: WorkCalendar) -> datetime:
        """The instant a ``share`` (0..1) of the period has passed, counted as the limit counts."""
        if self.unit.is_clock_time or self.unit == Unit.DAYS:
            return start + (due - start) * share
        return calendar.add_working_time(start, calendar.working_time_between(start, due) * share)
