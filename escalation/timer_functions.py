"""Working-time helpers for BPMN timer expressions: ``work_hours(4)``, ``work_days(7)``."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.clock import pinned_now
from engine.expressions import ExpressionError
from escalation.calendars import Calendars
from escalation.limits import MAX_LIMIT_DAYS, MAXIMUM, Limit, Unit

# A timer at most a year away, like every limit: longer waits are a process design error, and
# counting working time walks the calendar day by day, so the amount is bounded before it runs.
LONGEST_TIMER = timedelta(days=MAX_LIMIT_DAYS)
MAX_WORK_DAYS = int(MAXIMUM[Unit.WORK_DAYS])
MAX_WORK_HOURS = int(MAXIMUM[Unit.WORK_HOURS])


def timer_functions(calendars: Calendars) -> dict[str, Callable[..., Any]]:
    """Functions offered to timer expressions; each returns an ISO 8601 duration from "now".

    A timer duration is what the modelers write (``timeDuration``), so these return
    ``PT<seconds>S`` counted to the due instant in the district's default calendar.
    """

    def work_hours(hours: float) -> str:
        return _duration(Limit(_amount("work_hours", hours, MAX_WORK_HOURS), Unit.WORK_HOURS), calendars)

    def work_days(days: int) -> str:
        amount = _amount("work_days", days, MAX_WORK_DAYS)
        if amount != int(amount):
            raise ExpressionError("work_days() counts whole days")
        return _duration(Limit(int(amount), Unit.WORK_DAYS), calendars)

    return {"work_hours": work_hours, "work_days": work_days}


def _amount(name: str, value: Any, most: int) -> float:
    """The amount as a number, refused unless it lies in (0, most]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError("{name}() takes a number", name=name)
    # Compared before float(): a huge integer would not convert.
    if value != value or value <= 0:  # NaN compares unequal to itself
        raise ExpressionError("a working-time limit must be longer than zero")
    if value > most:
        raise ExpressionError("{name}() takes at most {most}", name=name, most=most)
    return float(value)


def _duration(limit: Limit, calendars: Calendars) -> str:
    now: datetime = pinned_now()
    due = limit.due(now, calendars.default)
    if due - now > LONGEST_TIMER:
        raise ExpressionError("a timer may be at most {days} days away", days=LONGEST_TIMER.days)
    seconds = round((due - now).total_seconds())
    return f"PT{max(seconds, 0)}S"
