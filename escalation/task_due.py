"""A task's current deadline as SQL, for queries that filter and sort tasks by it (the API's task query).

The current deadline of a task is the earliest deadline among its running clocks
(:func:`escalation.overdue.running_clock`); a task with no running clock has none. So "due at
or before ``now``" and :func:`escalation.overdue.overdue_task` agree on every task.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from engine.models import HumanTask
from escalation.models import TaskDeadline
from escalation.overdue import overdue_task, running_clock


def current_deadline() -> ColumnElement[datetime]:
    """Correlated scalar on ``human_task``: the earliest deadline of the task's running clocks, or NULL."""
    return (select(func.min(TaskDeadline.deadline_at))
            .where(TaskDeadline.task_id == HumanTask.id, running_clock())
            .correlate(HumanTask).scalar_subquery())


def due_conditions(*, before: datetime | None = None, after: datetime | None = None, overdue: bool | None = None,
                   now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Conditions on ``human_task``: current deadline at or before ``before``, after ``after``; overdue or not."""
    found: list[ColumnElement[bool]] = []
    if before is not None:
        found.append(current_deadline() <= before)
    if after is not None:
        found.append(current_deadline() > after)
    if overdue is not None:  # the one rule of what "overdue" means
        found.append(overdue_task(now) if overdue else ~overdue_task(now))
    return tuple(found)
