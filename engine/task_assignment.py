"""Handing a task to a named colleague: a unit's dispatcher or head assigns it (指派), its holder delegates it (转交).

Who may hand out work comes from the roles' data, never from names here: the head of the
task's role (its ``head``) and the roles that distribute it (their ``distributes``), in the
task's own unit. Whom it may go to is the candidate rule of :func:`engine.access.may_work_on`.
One conditional UPDATE decides every race, as for claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from engine import audit
from engine.access import may_work_on
from engine.actors import Actor, actor_of
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput
from engine.hooks import HookEvent, TaskHook
from engine.models import HumanTask, InstanceStatus, Membership, ProcessInstance, TaskStatus, User
from engine.models.tasks import ACTIVE_STATUSES
from engine.roles import role_book
from engine.tasks import visible_task

NOTE_MAX = 500
USERNAME_MAX = 64
# A unit has tens of people, not thousands: the colleagues list is bounded all the same.
MAX_CANDIDATES = 200


class HandOver(Protocol):
    """:func:`assign` or :func:`delegate`."""

    def __call__(self, session: Session, ctx: EngineContext, actor: Actor, task_id: int, username: str, *,
                 note: str | None = None, now: datetime) -> HumanTask: ...


@dataclass(frozen=True)
class Colleague:
    """Someone of the task's unit who may work on it."""

    user_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]  # role codes held in the task's unit
    holds_it: bool  # the task's assignee now


def may_assign(actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` hands out this task: the head over its role, or a role that distributes it, in its unit."""
    if task.department_id is None or task.status not in ACTIVE_STATUSES:
        return False
    if task.role is None:
        return actor.hands_out_work(task.department_id)
    return actor.heads(task.role, task.department_id) or actor.distributes(task.role, task.department_id)


def may_delegate(actor: Actor, task: HumanTask) -> bool:
    """Whether ``actor`` passes on a held task: its holder, or whoever may assign it."""
    if task.status != TaskStatus.CLAIMED:
        return False
    return task.assignee_id == actor.user_id or may_assign(actor, task)


def candidates(session: Session, actor: Actor, task_id: int) -> tuple[HumanTask, list[Colleague]]:
    """The task (NotFound outside the actor's units) and the active colleagues who may work on it."""
    task = visible_task(session, actor, task_id)
    return task, _colleagues(session, task)


def _colleagues(session: Session, task: HumanTask) -> list[Colleague]:
    roles = [task.role, role_book(session).head_of(task.role)] if task.role is not None else None
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.department_id == task.department_id, User.is_active.is_(True))
             .options(selectinload(User.memberships)).order_by(User.display_name, User.id).distinct())
    if roles is not None:
        query = query.where(Membership.role.in_([r for r in roles if r is not None]))
    found = []
    for user in session.execute(query.limit(MAX_CANDIDATES)).scalars():
        held = tuple(sorted({m.role for m in user.memberships if m.department_id == task.department_id}))
        found.append(Colleague(user.id, user.username, user.display_name, held, user.id == task.assignee_id))
    return found


def assign(session: Session, ctx: EngineContext, actor: Actor, task_id: int, username: str, *,
           note: str | None = None, now: datetime) -> HumanTask:
    """指派: a dispatcher or head gives an open or held task to a named colleague who may work on it."""
    task = visible_task(session, actor, task_id)
    _not_suspended(session, task)
    _still_active(task)
    if not may_assign(actor, task):
        raise Forbidden("Only the department's dispatcher or head may assign this task.")
    return _hand_over(session, ctx, actor, task, username, note, "assigned", now)


def delegate(session: Session, ctx: EngineContext, actor: Actor, task_id: int, username: str, *,
             note: str | None = None, now: datetime) -> HumanTask:
    """转交: the holder of a task (or a dispatcher or head) passes it to another colleague who may work on it."""
    task = visible_task(session, actor, task_id)
    _not_suspended(session, task)
    _still_active(task)
    if task.status != TaskStatus.CLAIMED:
        raise Conflict("Task {id} is not held by anyone; assign it instead.", id=task.id)
    if not may_delegate(actor, task):
        raise Forbidden("Only the holder of this task, or the department's dispatcher or head, may pass it on.")
    return _hand_over(session, ctx, actor, task, username, note, "delegated", now)


def _not_suspended(session: Session, task: HumanTask) -> None:
    status = session.execute(select(ProcessInstance.status).where(ProcessInstance.id == task.instance_id)).scalar()
    if status == InstanceStatus.SUSPENDED:  # its tasks wait, as for claims and completions
        raise Conflict("Case {id} is suspended by an administrator; its tasks wait until it is resumed.",
                       id=task.instance_id)


def _still_active(task: HumanTask) -> None:
    if task.status == TaskStatus.COMPLETED:
        raise Conflict("Task {id} has already been completed.", id=task.id)
    if task.status not in ACTIVE_STATUSES:
        raise Conflict("Task {id} was withdrawn by the process.", id=task.id)


def _hand_over(session: Session, ctx: EngineContext, actor: Actor, task: HumanTask, username: str,
               note: str | None, action: str, now: datetime) -> HumanTask:
    """Check the colleague and the note, then move the task in one conditional UPDATE; audit and tell."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput("The form has errors.", [FieldError("note", "At most {limit} characters.", "maxLength",
                                                               {"limit": NOTE_MAX})])
    target = _colleague(session, task, username)
    if target.user_id == task.assignee_id:
        return task  # already theirs: asking twice changes nothing
    previous_status, previous = task.status, task.assignee_id
    holder = HumanTask.assignee_id.is_(None) if previous is None else HumanTask.assignee_id == previous
    # The task moves only if nobody took, completed or moved it since it was read: the losers match no row.
    moved = session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.status == previous_status, holder)
        .values(status=TaskStatus.CLAIMED, assignee_id=target.user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(task)
    if moved != 1:
        _still_active(task)
        raise Conflict("Task {id} changed hands meanwhile; look again before you pass it on.", id=task.id)
    names = {u.id: u for u in session.execute(select(User).where(User.id.in_(
        [i for i in (previous, target.user_id) if i is not None]))).scalars()}
    before = names.get(previous) if previous is not None else None
    audit.record(session, action, at=now, instance_id=task.instance_id, task_id=task.id, actor_id=actor.user_id,
                 department_id=task.department_id,
                 payload={"task": task.name, "from_user_id": previous, "from": before.username if before else None,
                          "to_user_id": target.user_id, "to": target.username, "note": note})
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    # A hand-over is a claim on the colleague's behalf: the report-in clock stops, and they are told (escalation).
    ctx.listeners.emit(session, HookEvent(TaskHook.CLAIMED, instance, task, now, actor.user_id, note))
    return task


def _colleague(session: Session, task: HumanTask, username: str) -> Actor:
    """The active user named ``username`` who may work on the task; 422 on the ``user`` field otherwise."""
    name = username.strip() if isinstance(username, str) else ""
    user = session.execute(
        select(User).where(User.username == name).options(selectinload(User.memberships))
    ).scalar_one_or_none() if 0 < len(name) <= USERNAME_MAX else None
    if user is None or not user.is_active:
        raise InvalidInput("The form has errors.", [FieldError("user", "No active user {name}.", "unknown_user",
                                                               {"name": name[:USERNAME_MAX]})])
    colleague = actor_of(user)
    if not may_work_on(colleague, task):
        raise InvalidInput("The form has errors.", [FieldError(
            "user", "{name} cannot do this task: only a {role} of this department can.", "not_candidate",
            {"name": user.display_name, "role": role_book(session).label(task.role) if task.role else "member"})])
    return colleague
