"""What "overdue" means, once: every board, chart, CSV, diagram count, badge and filter asks here.

A task is overdue at ``now`` when one of its clocks is overdue. A clock is overdue at ``now`` when

- its task is still active (open or claimed): a completed or cancelled task is never late, even
  if a clock of it was left running by data written before clocks were stopped on every exit;
- the clock still runs (``stopped_at`` is empty): signing stops the report-in clock, completing
  or cancelling the task stops both (docs/escalation.md, "Two clocks per task");
- its deadline has come: ``deadline_at <= now``, the clock's 100% instant. ``deadline_at`` and
  not a rung's ``due_at``: an approved extension moves ``deadline_at``, while a rung that already
  fired keeps its old ``due_at``. The deadline is read from the clock's due-level rung (one per
  clock), so a clock counts once however many rungs it has.

A task late on both of its clocks is one overdue task. The SQL below and :func:`clock_overdue`
for rows already loaded are the same rule; tests/escalation/test_overdue.py checks every reader
of it agrees on one world.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists

from engine.models import HumanTask, TaskStatus
from engine.models.tasks import ACTIVE_STATUSES
from escalation.models import TaskDeadline


def running_clock() -> ColumnElement[bool]:
    """SQL condition on a ``task_deadline`` row joined to its ``human_task``: a running clock's deadline row."""
    return and_(TaskDeadline.is_due_level.is_(True), TaskDeadline.stopped_at.is_(None),
                HumanTask.status.in_(ACTIVE_STATUSES))


def overdue_clock(now: datetime) -> ColumnElement[bool]:
    """SQL condition on a ``task_deadline`` row joined to its ``human_task``: this clock is overdue at ``now``."""
    return and_(running_clock(), TaskDeadline.deadline_at <= now)


def overdue_task(now: datetime) -> ColumnElement[bool]:
    """SQL condition on ``human_task``: some clock of the task is overdue at ``now``."""
    return exists().where(TaskDeadline.task_id == HumanTask.id, overdue_clock(now))


def clock_overdue(*, is_due_level: bool, stopped_at: datetime | None, deadline_at: datetime, task_active: bool,
                  now: datetime) -> bool:
    """The same rule for a clock row already loaded (due badges draw from plain rows)."""
    return is_due_level and stopped_at is None and task_active and deadline_at <= now


def is_active(status: TaskStatus | str) -> bool:
    """Whether a task in ``status`` still runs (open or claimed)."""
    return TaskStatus(status) in ACTIVE_STATUSES
