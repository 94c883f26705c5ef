"""A task's current deadline as SQL, for queries that filter and sort tasks by it (the API's task query).

The current deadline of a task is the earliest deadline among its running clocks
(:func:`escalation.overdue.running_clock`); a task with no running clock has none. So "current
deadline at or before ``now``" is :func:`escalation.overdue.overdue_task`'s rule read from one
row per task (tests/web/test_api_queries.py compares the query with the overdue board).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Subquery, func, select

from engine.models import HumanTask
from escalation.models import TaskDeadline
from escalation.overdue import running_clock


def current_deadlines(tasks: ColumnElement[bool]) -> Subquery:
    """``(task_id, due_at)`` of each task matching ``tasks`` (a condition on ``human_task``) with a running clock.

    One grouped pass over the live rungs of those tasks, to outer-join to ``human_task``,
    instead of a lookup per task: SQLite, without statistics, answers a correlated lookup
    through the partial overdue index and reads every live rung for every task.
    """
    return (select(TaskDeadline.task_id.label("task_id"), func.min(TaskDeadline.deadline_at).label("due_at"))
            .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
            .where(running_clock(), tasks)
            .group_by(TaskDeadline.task_id)
            .subquery("current_deadline"))
