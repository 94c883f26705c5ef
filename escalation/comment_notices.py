"""Who hears of a comment (留言): the people working on what it is about, and the unit that started the case.

A comment on a task reaches whoever holds it (or, while nobody does, those who may take it;
once it ended, whoever did it); a comment on the whole case reaches whoever holds one of its
open tasks. The starting unit always hears: whoever started the case and whoever of that unit
holds one of its tasks now. Never the author, and never twice: someone with an unread comment
notice about the case gets no second one until they have read it (a busy discussion must not
bury their reminders).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import Department, HumanTask, ProcessInstance, TaskStatus, User
from engine.models.collaboration import TaskComment
from engine.models.tasks import ACTIVE_STATUSES
from escalation.config import Escalation
from escalation.ladder import members
from escalation.models import Notification
from escalation.notify import Message

KIND = "commented"
TEMPLATES = {KIND: "{author} ({department}) commented on case {case}: {excerpt}"}
EXCERPT = 60


def register(listeners: Listeners, esc: Escalation) -> None:
    """Tell people of new comments in the transaction that stores them."""
    listeners.on(TaskHook.COMMENTED, lambda session, event: commented(session, esc, event))


def commented(session: Session, esc: Escalation, event: HookEvent) -> None:
    """Send one notice to each person concerned who has no unread comment notice about the case."""
    instance, task = event.instance, event.task
    people = _starting_unit(session, instance) | (_on_task(session, task) if task is not None
                                                  else _holders(session, instance.id))
    people.discard(event.actor_id or 0)
    if not people:
        return
    waiting = set(session.execute(select(Notification.user_id).where(
        Notification.instance_id == instance.id, Notification.kind == KIND, Notification.read_at.is_(None),
        Notification.user_id.in_(people))).scalars())
    author = session.get(User, event.actor_id) if event.actor_id else None
    text = " ".join((event.note or "").split())
    params = {"author": author.display_name if author else "", "department": _department(session, event),
              "case": instance.title, "case_id": instance.id, "task": task.name if task else "",
              "excerpt": text if len(text) <= EXCERPT else text[:EXCERPT] + "…"}
    esc.notifier.send(session, [Message(user_id, KIND, TEMPLATES[KIND], params, instance.id, task.id if task else None)
                                for user_id in sorted(people - waiting)], event.at)


def _starting_unit(session: Session, instance: ProcessInstance) -> set[int]:
    """Whoever started the case, and whoever of the starting unit holds one of its open tasks."""
    found = {instance.started_by_id} if instance.started_by_id else set()
    if instance.origin_department_id is not None:
        found |= _holders(session, instance.id, instance.origin_department_id)
    return found


def _holders(session: Session, instance_id: int, department_id: int | None = None) -> set[int]:
    """Assignees of the case's open tasks (of one unit, when given)."""
    query = select(HumanTask.assignee_id).where(HumanTask.instance_id == instance_id,
                                                HumanTask.status == TaskStatus.CLAIMED)
    if department_id is not None:
        query = query.where(HumanTask.department_id == department_id)
    return {user_id for user_id in session.execute(query).scalars() if user_id is not None}


def _on_task(session: Session, task: HumanTask) -> set[int]:
    """The task's holder; while open, those who may take it; once ended, who did it."""
    if task.status == TaskStatus.CLAIMED and task.assignee_id is not None:
        return {task.assignee_id}
    if task.status in ACTIVE_STATUSES:
        return {u.id for u in members(session, [task.role] if task.role else [], task.department_id)}
    return {task.completed_by_id} if task.completed_by_id is not None else set()


def _department(session: Session, event: HookEvent) -> str:
    """The name of the unit the author wrote for (the comment just stored)."""
    name = session.execute(
        select(Department.name).join(TaskComment, TaskComment.department_id == Department.id)
        .where(TaskComment.instance_id == event.instance.id, TaskComment.author_id == event.actor_id)
        .order_by(TaskComment.id.desc()).limit(1)).scalar()
    return name or "-"
