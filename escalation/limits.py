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

_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|wh|wd|h|d)\s*$")


class LimitError(ValueError):
    """A limit is not written as ``<number><unit>``."""


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


@dataclass(frozen=True)
class Limit:
    """An amount of time in one unit."""

    amount: float
    unit: Unit

    @classmethod
    def parse(cls, text: object) -> Limit:
        """Read ``4wh``, ``7wd``, ``2h``, ``30min``, ``15d``."""
        match = _LIMIT.match(str(text)) if isinstance(text, str | int | float) else None
        if match is None:
            raise LimitError(f"'{text}' is not a time limit: write e.g. 30min, 2h, 4wh, 7wd or 15d")
        amount, unit = float(match.group(1)), Unit(match.group(2))
        if unit in (Unit.WORK_DAYS, Unit.DAYS) and amount != int(amount):
            raise LimitError(f"'{text}': days are counted whole")
        if amount <= 0:
            raise LimitError(f"'{text}': a limit must be longer than zero")
        return cls(amount, unit)

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit.value}"

    def due(self, start: datetime, calendar: WorkCalendar) -> datetime:
        """When a period of this length that started at ``start`` ends."""
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
