"""How often people took what the rules suggested (人机协同): agreement by week, and the overrides most made.

A task whose form fields carry ``x-suggested-from`` keeps the suggested values when it is created
(``engine/suggested_values.py``); its completion records what was chosen. A suggestion agrees when
the chosen value equals it. Weeks start on Monday in the given time zone.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance, TaskEvent, TaskStatus
from engine.suggested_values import CONTEXT_KEY

MAX_WEEKS = 52
SCAN = 20000  # completed tasks read at most (newest first)
TOP = 10


@dataclass(frozen=True)
class Week:
    """One week's suggestions and how many were taken."""

    start: date
    suggested: int
    agreed: int
    learned: int = 0  # suggestions a learned model made (not the rules), and how many of those were taken
    learned_agreed: int = 0

    @property
    def rate(self) -> float | None:
        """Agreed / suggested, or None for a week without suggestions."""
        return self.agreed / self.suggested if self.suggested else None


@dataclass(frozen=True)
class Override:
    """A suggestion people replaced, how often, and with what."""

    field: str
    suggested: str
    chosen: str
    count: int


@dataclass(frozen=True)
class Agreement:
    """The weeks (oldest first) and the most frequent overrides."""

    weeks: list[Week]
    overrides: list[Override]


def agreement(session: Session, *, until: datetime, weeks: int, zone: tzinfo, process: str | None = None,
              units: Collection[int] | None = None) -> Agreement:
    """Agreement over the ``weeks`` weeks up to ``until``; only tasks of ``units`` when given."""
    weeks = max(1, min(weeks, MAX_WEEKS))
    local = until.astimezone(zone).date()
    first = local - timedelta(days=local.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=zone)
    query = (
        select(HumanTask.completed_at, HumanTask.context, TaskEvent.payload)
        .join(TaskEvent, and_(TaskEvent.task_id == HumanTask.id, TaskEvent.action == "completed"))
        .where(HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_at >= since,
               HumanTask.completed_at <= until)
        .order_by(HumanTask.completed_at.desc()).limit(SCAN)
    )
    if process is not None:
        query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
            ProcessInstance.process_key == process)
    if units is not None:
        query = query.where(HumanTask.department_id.in_(sorted(units)))
    suggested: Counter[date] = Counter()
    agreed: Counter[date] = Counter()
    learned: Counter[date] = Counter()
    learned_agreed: Counter[date] = Counter()
    replaced: Counter[tuple[str, str, str]] = Counter()
    for completed_at, context, payload in session.execute(query):
        kept = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
        if not isinstance(kept, dict):
            continue
        chosen = (payload or {}).get("data") or {}
        day = completed_at.astimezone(zone).date()
        week = day - timedelta(days=day.weekday())
        for field, found in kept.items():
            value = found.get("value") if isinstance(found, dict) else None
            by_model = isinstance(found, dict) and found.get("source") == "learned"
            suggested[week] += 1
            learned[week] += by_model
            if _same(chosen.get(field), value):
                agreed[week] += 1
                learned_agreed[week] += by_model
            else:
                replaced[(str(field), str(value), str(chosen.get(field, "")))] += 1
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return Agreement(
        [Week(w, suggested[w], agreed[w], learned[w], learned_agreed[w]) for w in starts],
        [Override(f, s, c, n) for (f, s, c), n in replaced.most_common(TOP)])


def _same(chosen: Any, suggested: Any) -> bool:
    return chosen == suggested and type(chosen) is type(suggested)
