"""A task's current deadline as SQL, for queries that filter and sort tasks by it (the API's task query).

The current deadline of a task is the earliest deadline among its running clocks
(:func:`escalation.overdue.running_clock`); a task with no running clock has none. So "due at
or before ``now``" and :func:`escalation.overdue.overdue_task` agree on every task
(tests/web/test_api_queries.py compares the query with the overdue board).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Subquery, func, select

from engine.models import HumanTask
from escalation.models import TaskDeadline
from escalation.overdue import running_clock


def current_deadlines() -> Subquery:
    """``(task_id, due_at)`` of every task with a running clock, to outer-join to ``human_task``.

    One grouped pass over the live rungs instead of a lookup per task: SQLite, without
    statistics, answers a correlated lookup through the partial overdue index and reads
    every live rung for every task.
    """
    return (select(TaskDeadline.task_id.label("task_id"), func.min(TaskDeadline.deadline_at).label("due_at"))
            .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
            .where(running_clock())
            .group_by(TaskDeadline.task_id)
            .subquery("current_deadline"))


def overdue_condition(deadlines: Subquery, overdue: bool | None, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Conditions on ``human_task`` joined to ``deadlines``: overdue at ``now`` (or not).

    The earliest running deadline is at or before ``now`` exactly when some running clock's is:
    :func:`escalation.overdue.overdue_task`'s rule, read from the rows already joined (the
    correlated form costs SQLite a pass over every live rung per task).
    """
    if overdue is None:
        return ()
    due = deadlines.c.due_at
    return (due <= now,) if overdue else ((due.is_(None)) | (due > now),)
