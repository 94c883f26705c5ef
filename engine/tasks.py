"""Claiming, unclaiming and completing human tasks."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit, instances, task_rules
from engine.access import may_unclaim, may_work_on, task_visible
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.forms import validate_data
from engine.hooks import HookEvent, TaskHook
from engine.models import Department, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from engine.roles import role_book


def visible_task(session: Session, actor: Actor, task_id: int, *, lock: bool = False) -> HumanTask:
    """A task in one of the actor's departments; NotFound for every other id (no probing)."""
    query = select(HumanTask).where(HumanTask.id == task_id, task_visible(actor))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    task = session.execute(query).scalar_one_or_none()
    if task is None:
        raise NotFound("Task {id} not found.", id=task_id)
    return task


def _refuse_if_suspended(session: Session, instance_id: int) -> None:
    """A suspended case's tasks wait: nobody claims, releases or completes them until it is resumed."""
    status = session.execute(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)).scalar()
    if status == InstanceStatus.SUSPENDED:
        raise _suspended(instance_id)


def _refuse_suspended(instance: ProcessInstance) -> None:
    """The same refusal for an action that holds the case's row lock already (no second read)."""
    if instance.status == InstanceStatus.SUSPENDED:
        raise _suspended(instance.id)


def _suspended(instance_id: int) -> Conflict:
    return Conflict("Case {id} is suspended by an administrator; its tasks wait until it is resumed.",
                    id=instance_id)


def claim(session: Session, ctx: EngineContext, actor: Actor, task_id: int, *, now: datetime) -> HumanTask:
    """Take an open task for oneself; exactly one of any number of racing claimers wins."""
    task = visible_task(session, actor, task_id)
    _refuse_if_suspended(session, task.instance_id)
    if not may_work_on(actor, task):
        raise Forbidden("Only a {role} of this department may take this task.", role=_role_label(session, task))
    if task.status == TaskStatus.CLAIMED and task.assignee_id == actor.user_id:
        return task
    # One conditional UPDATE decides the race; the losers match no row.
    won = session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CLAIMED, assignee_id=actor.user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(task)
    if won != 1:
        raise _not_open(session, task)
    _after(session, ctx, actor, task, "claimed", TaskHook.CLAIMED, now)
    return task


def unclaim(session: Session, ctx: EngineContext, actor: Actor, task_id: int, *, now: datetime) -> HumanTask:
    """Put a claimed task back in the department queue (assignee or department head)."""
    task = visible_task(session, actor, task_id, lock=True)
    _refuse_if_suspended(session, task.instance_id)
    if task.status != TaskStatus.CLAIMED:
        raise _not_open(session, task) if task.status != TaskStatus.OPEN else Conflict(
            "Task {id} is not claimed.", id=task.id)
    if not may_unclaim(actor, task):
        raise Forbidden("Only the assignee or the department head may release this task.")
    previous = task.assignee_id
    task.status = TaskStatus.OPEN
    task.assignee_id = None
    task.claimed_at = None
    session.flush()
    _after(session, ctx, actor, task, "unclaimed", TaskHook.UNCLAIMED, now, {"previous_assignee_id": previous})
    return task


def complete(
    session: Session, ctx: EngineContext, actor: Actor, task_id: int, data: Mapping[str, Any], *, now: datetime
) -> HumanTask:
    """Complete a task with form data, claiming it first if it is still open."""
    instance_id = session.execute(
        select(HumanTask.instance_id).where(HumanTask.id == task_id, task_visible(actor))
    ).scalar_one_or_none()
    if instance_id is None:
        raise NotFound("Task {id} not found.", id=task_id)
    with instances.mutate(session, ctx, instance_id, now, admit=_refuse_suspended) as mutation:
        task = visible_task(session, actor, task_id, lock=True)
        if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
            raise _not_open(session, task)
        if not may_work_on(actor, task):
            raise Forbidden("Only a {role} of this department may complete this task.", role=_role_label(session, task))
        if task.status == TaskStatus.CLAIMED and task.assignee_id != actor.user_id:
            raise _not_open(session, task)
        form = mutation.parts.form(task.form_key)
        data = with_defaults(form, data)
        errors = validate_data(form, data, department_exists=mutation.directory.exists)
        if not errors:  # the process's own rules on a step's answers (whom a 改派 may summon)
            errors = task_rules.check(session, mutation.instance.process_key, task, data)
        if errors:
            raise InvalidInput("The form has errors.", errors)
        if not mutation.run.is_ready(task.spiff_task_id):
            raise Conflict("Task {id} was withdrawn by the process.", id=task.id)
        if task.status == TaskStatus.OPEN:
            # Claimed and completed in one go: audited as both, but listeners hear only the
            # completion, which ends every clock a claim would have stopped.
            task.status, task.assignee_id, task.claimed_at = TaskStatus.CLAIMED, actor.user_id, now
            audit.record(session, "claimed", at=now, instance_id=task.instance_id, task_id=task.id,
                         actor_id=actor.user_id, department_id=task.department_id, payload={"task": task.name})
        mutation.run.complete(task.spiff_task_id, data, now)
        task.status = TaskStatus.COMPLETED
        task.completed_at = now
        task.completed_by_id = actor.user_id
        session.flush()
        _after(session, ctx, actor, task, "completed", TaskHook.COMPLETED, now, {"data": dict(data)},
               instance=mutation.instance)
    return task


def with_defaults(form: Mapping[str, Any] | None, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The answers with the form's ``default`` for each top-level field left out (a decision sent by no button)."""
    if not isinstance(data, Mapping) or not form:
        return data
    missing = {name: spec["default"] for name, spec in (form.get("properties") or {}).items()
               if isinstance(spec, Mapping) and "default" in spec and name not in data}
    return {**data, **missing} if missing else data


def _after(
    session: Session,
    ctx: EngineContext,
    actor: Actor,
    task: HumanTask,
    action: str,
    hook: TaskHook,
    now: datetime,
    extra: dict[str, Any] | None = None,
    instance: ProcessInstance | None = None,
) -> None:
    """Audit the action and tell the listeners."""
    audit.record(session, action, at=now, instance_id=task.instance_id, task_id=task.id, actor_id=actor.user_id,
                 department_id=task.department_id, payload={"task": task.name, **(extra or {})})
    instance = instance or session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    ctx.listeners.emit(session, HookEvent(hook, instance, task, now, actor.user_id))


def _not_open(session: Session, task: HumanTask) -> Conflict:
    """The 409 for a task someone else holds or that has ended, saying who and what."""
    if task.status == TaskStatus.CLAIMED:
        holder = session.get(User, task.assignee_id) if task.assignee_id else None
        name = holder.display_name if holder else "?"
        return Conflict("Task {id} was already claimed by {name}.", id=task.id, name=name,
                        claimed_by=holder.username if holder else None)
    if task.status == TaskStatus.COMPLETED:
        return Conflict("Task {id} has already been completed.", id=task.id)
    return Conflict("Task {id} was withdrawn by the process.", id=task.id)


def _role_label(session: Session, task: HumanTask) -> str:
    return role_book(session).label(task.role) if task.role else "member"


@dataclass(frozen=True)
class TaskDetail:
    """A task with where it sits, who holds it, and the form to fill."""

    task: HumanTask
    department_code: str | None
    assignee: str | None
    form: dict[str, Any] | None
    may_work: bool


def detail(session: Session, ctx: EngineContext, actor: Actor, task_id: int) -> TaskDetail:
    """One visible task in full; NotFound for tasks of other departments."""
    task = visible_task(session, actor, task_id)
    department = session.get(Department, task.department_id) if task.department_id else None
    assignee = session.get(User, task.assignee_id) if task.assignee_id else None
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    form = ctx.parts(session, instance.definition_id).form(task.form_key)
    return TaskDetail(task, department.code if department else None, assignee.username if assignee else None,
                      form, may_work_on(actor, task))


def reassign_up(session: Session, ctx: EngineContext, task_id: int, *, now: datetime, reason: str) -> HumanTask:
    """Hand an active task up the chain: the head's role becomes the candidate, the assignee is reset."""
    task = session.execute(
        select(HumanTask).where(HumanTask.id == task_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    head = role_book(session).head_of(task.role)
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED) or head is None:
        return task
    previous_role, previous_assignee = task.role, task.assignee_id
    task.role = head
    task.status, task.assignee_id, task.claimed_at = TaskStatus.OPEN, None, None
    session.flush()
    audit.record(session, "reassigned", at=now, instance_id=task.instance_id, task_id=task.id,
                 department_id=task.department_id,
                 payload={"task": task.name, "from_role": previous_role, "to_role": task.role,
                          "previous_assignee_id": previous_assignee, "reason": reason})
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    ctx.listeners.emit(session, HookEvent(TaskHook.UNCLAIMED, instance, task, now))
    return task
