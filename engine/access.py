"""Who may see and act on what: departments see their own tasks and the cases they take part in."""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.models import HumanTask, InstanceDepartment, ProcessInstance
from engine.roles import Role


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
    return is_candidate(actor, task.department_id, task.role)


def is_candidate(actor: Actor, department_id: int | None, role: Role | None) -> bool:
    """The rule of :func:`may_work_on` for a task known only by department and role (inbox rows)."""
    if department_id is None or department_id not in actor.department_ids:
        return False
    if role is None:
        return True
    return any(seat.department_id == department_id and seat.role in (role, role.head) for seat in actor.seats)


def may_unclaim(actor: Actor, task: HumanTask) -> bool:
    """The assignee, or the head over the task's role in its department."""
    return may_release(actor, task.department_id, task.role, task.assignee_id)


def may_release(actor: Actor, department_id: int | None, role: Role | None, assignee_id: int | None) -> bool:
    """The rule of :func:`may_unclaim` for a task known only by department, role and assignee (inbox rows)."""
    if assignee_id == actor.user_id:
        return True
    head = role.head if role else None
    return head is not None and actor.has_role(head, department_id)
