"""Overdue counts for a process diagram: tasks of one version past a running clock's deadline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance
from escalation.models import TaskDeadline
from escalation.overdue import overdue_clock


def overdue_counts(session: Session, definition_id: int, now: datetime) -> dict[str, int]:
    """Overdue tasks of one version per BPMN element id (:mod:`escalation.overdue`).

    The same rule as the supervisors' overdue board, so the red number on a diagram node
    matches the board; a task late on both of its clocks counts once.
    """
    rows = session.execute(
        select(HumanTask.element_id, func.count(func.distinct(HumanTask.id)))
        .select_from(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .join(TaskDeadline, TaskDeadline.task_id == HumanTask.id)
        .where(ProcessInstance.definition_id == definition_id, overdue_clock(now))
        .group_by(HumanTask.element_id)
    )
    return {element: int(count) for element, count in rows}
