"""The scoreboard's period (this month, last month, a date range), read from declared query parameters."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from web.formatting import SHANGHAI
from web.query import ChoiceParam, DateParam

PERIODS = ("all", "this_month", "last_month", "range")
PERIOD = ChoiceParam("period", "Which tasks the rates cover, by when they arrived.", choices=PERIODS, default="all")
FROM = DateParam("from", "First day of the range (Beijing time), with period=range.")
TO = DateParam("to", "Last day of the range (Beijing time, included), with period=range.")


@dataclass(frozen=True)
class Period:
    """Tasks that arrived in [since, until); None leaves that side open."""

    kind: str = "all"
    first: date | None = None  # the first day shown, included
    last: date | None = None  # the last day shown, included

    @property
    def since(self) -> datetime | None:
        """Midnight (Beijing) starting the first day."""
        return datetime.combine(self.first, time(), tzinfo=SHANGHAI) if self.first else None

    @property
    def until(self) -> datetime | None:
        """Midnight (Beijing) ending the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=SHANGHAI) if self.last else None

    def args(self) -> dict[str, Any]:
        """Query arguments that name this period (for the CSV link)."""
        if self.kind == "all":
            return {}
        if self.kind != "range":
            return {"period": self.kind}
        found: dict[str, Any] = {"period": "range"}
        if self.first:
            found["from"] = self.first.isoformat()
        if self.last:
            found["to"] = self.last.isoformat()
        return found


def read_period(now: datetime) -> Period:
    """The period the request asks for; months are Beijing calendar months; a range missing a side is open there."""
    kind = PERIOD.read() or "all"
    today = now.astimezone(SHANGHAI).date()
    month_start = today.replace(day=1)
    if kind == "this_month":
        return Period(kind, month_start, today)
    if kind == "last_month":
        last = month_start - timedelta(days=1)
        return Period(kind, last.replace(day=1), last)
    if kind == "range":
        first, last = FROM.read(), TO.read()
        if first and last and first > last:
            FROM.refuse("on or before 'to'")
        return Period(kind, first, last)
    return Period()
