"""Working-time helpers for BPMN timer expressions: ``work_hours(4)``, ``work_days(7)``."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.clock import pinned_now
from escalation.calendars import Calendars
from escalation.limits import Limit, Unit


def timer_functions(calendars: Calendars) -> dict[str, Callable[..., Any]]:
    """Functions offered to timer expressions; each returns an ISO 8601 duration from "now".

    A timer duration is what the modelers write (``timeDuration``), so these return
    ``PT<seconds>S`` counted to the due instant in the district's default calendar.
    """

    def work_hours(hours: float) -> str:
        return _duration(Limit(float(hours), Unit.WORK_HOURS), calendars)

    def work_days(days: int) -> str:
        return _duration(Limit(int(days), Unit.WORK_DAYS), calendars)

    return {"work_hours": work_hours, "work_days": work_days}


def _duration(limit: Limit, calendars: Calendars) -> str:
    if limit.amount <= 0:
        raise ValueError("a working-time limit must be longer than zero")
    now: datetime = pinned_now()
    seconds = round((limit.due(now, calendars.default) - now).total_seconds())
    return f"PT{max(seconds, 0)}S"
