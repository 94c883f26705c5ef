"""Who may see and act on what: units see their own tasks and cases; supervisors see their subtrees."""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.models import Department, HumanTask, InstanceDepartment, ProcessInstance


def task_visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the task sits in one of the actor's departments."""
    ids = actor.department_ids
    return HumanTask.department_id.in_(ids) if ids else false()


def _in_overseen(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: one of the case's units lies in a subtree the actor oversees."""
    return exists().where(
        InstanceDepartment.instance_id == ProcessInstance.id,
        Department.id == InstanceDepartment.department_id,
        or_(*(Department.path.startswith(root, autoescape=True) for root in actor.overseen)),
    )


def instance_visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: one of the actor's units takes part, the actor started it, or oversees one of its units."""
    condition: ColumnElement[bool] = ProcessInstance.started_by_id == actor.user_id
    ids = actor.department_ids
    if ids:
        condition = condition | exists().where(
            InstanceDepartment.instance_id == ProcessInstance.id, InstanceDepartment.department_id.in_(ids))
    if actor.overseen:
        condition = condition | _in_overseen(actor)
    return condition


def may_see_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """Whether ``actor`` may read the shared case record of ``instance``."""
    if instance.started_by_id == actor.user_id:
        return True
    if not actor.department_ids and not actor.overseen:
        return False
    return session.execute(
        select(ProcessInstance.id).where(ProcessInstance.id == instance.id, instance_visible(actor)).limit(1)
    ).first() is not None


def may_work_on(actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` is a candidate: in the task's department with its role, or its head."""
    return is_candidate(actor, task.department_id, task.role)


def is_candidate(actor: Actor, department_id: int | None, role: str | None) -> bool:
    """The rule of :func:`may_work_on` for a task known only by unit and role (inbox rows)."""
    if department_id is None or department_id not in actor.department_ids:
        return False
    if role is None:
        return True
    return actor.has_role(role, department_id) or actor.heads(role, department_id)


def may_unclaim(actor: Actor, task: HumanTask) -> bool:
    """The assignee, or the head over the task's role in its unit."""
    return may_release(actor, task.department_id, task.role, task.assignee_id)


def may_release(actor: Actor, department_id: int | None, role: str | None, assignee_id: int | None) -> bool:
    """The rule of :func:`may_unclaim` for a task known only by unit, role and assignee (inbox rows)."""
    return assignee_id == actor.user_id or actor.heads(role, department_id)
