"""Who may see and act on what: departments see their own tasks and the cases they take part in."""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.models import HumanTask, InstanceDepartment, ProcessInstance


def task_visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the task sits in one of the actor's departments."""
    ids = actor.department_ids
    return HumanTask.department_id.in_(ids) if ids else false()


def instance_visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the actor follows every case, or one of their departments takes part."""
    if actor.sees_all_cases:
        return true()
    ids = actor.department_ids
    if not ids:
        return ProcessInstance.started_by_id == actor.user_id
    return exists().where(
        InstanceDepartment.instance_id == ProcessInstance.id, InstanceDepartment.department_id.in_(ids)
    ) | (ProcessInstance.started_by_id == actor.user_id)


def may_see_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """Whether ``actor`` may read the shared case record of ``instance``."""
    if actor.sees_all_cases or instance.started_by_id == actor.user_id:
        return True
    if not actor.department_ids:
        return False
    return session.execute(
        select(InstanceDepartment.department_id).where(
            InstanceDepartment.instance_id == instance.id, InstanceDepartment.department_id.in_(actor.department_ids)
        ).limit(1)
    ).first() is not None


def may_work_on(actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` is a candidate: in the task's department with its role, or its head."""
    if task.department_id is None or task.department_id not in actor.department_ids:
        return False
    if task.role is None:
        return True
    return any(
        seat.department_id == task.department_id and seat.role in (task.role, task.role.head)
        for seat in actor.seats
    )


def may_unclaim(actor: Actor, task: HumanTask) -> bool:
    """The assignee, or the head over the task's role in its department."""
    if task.assignee_id == actor.user_id:
        return True
    head = task.role.head if task.role else None
    return head is not None and actor.has_role(head, task.department_id)
