"""Overdue counts for a process diagram: tasks of one version past a running clock's deadline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, InstanceStatus, ProcessInstance
from engine.models.tasks import ACTIVE_STATUSES
from escalation.models import TaskDeadline


def overdue_counts(session: Session, definition_id: int, now: datetime) -> dict[str, int]:
    """Waiting tasks per BPMN element id whose due-level rung has passed and is not stopped.

    "Overdue" means what the supervisors' overdue board means (deadline at or before now),
    so the red number on a diagram node matches the board; a task late on both of its
    clocks counts once.
    """
    rows = session.execute(
        select(HumanTask.element_id, func.count(func.distinct(HumanTask.id)))
        .select_from(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .join(TaskDeadline, TaskDeadline.task_id == HumanTask.id)
        .where(ProcessInstance.definition_id == definition_id,
               ProcessInstance.status == InstanceStatus.RUNNING,
               HumanTask.status.in_(ACTIVE_STATUSES),
               TaskDeadline.is_due_level.is_(True),
               TaskDeadline.stopped_at.is_(None),
               TaskDeadline.deadline_at <= now)
        .group_by(HumanTask.element_id)
    )
    return {element: int(count) for element, count in rows}
