"""Comments (留言) on a task or on a case as a whole: everyone who may see the case reads them.

A comment is a remark beside the work, not a step of it: it never goes through
``instances.mutate`` (the workflow does not change, so no revision is spent and nobody's
completion is turned into a 409). Comments are never edited or deleted; each is also an
audit row (``commented``), so the history holds it too.

A closed case still takes comments (a department may add a word after the rating), and so
does a suspended one (people may say why it waits); a withdrawn one does not: its work is
gone, and a remark would call people back to nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access import may_see_instance
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, InvalidInput, NotFound
from engine.hooks import HookEvent, TaskHook
from engine.models import Department, HumanTask, InstanceDepartment, InstanceStatus, ProcessInstance, User
from engine.models.collaboration import TaskComment
from engine.tasks import visible_task

BODY_MIN, BODY_MAX = 1, 2000
# How many comments one list returns at most (a case with more shows the newest ones).
LIST_MAX = 500
# NUL and the other C0 controls but tab and newlines, and lone surrogates: nothing a person types.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class CommentView:
    """One comment as readers see it: who wrote it, for which unit, on which task, when."""

    id: int
    instance_id: int
    task_id: int | None
    task_name: str | None
    author: str
    author_name: str
    department_code: str | None
    department_name: str | None
    body: str
    created_at: datetime


def clean_body(body: object) -> str:
    """The comment text trimmed; InvalidInput on field ``body`` when empty, too long or unprintable."""
    text = body.strip() if isinstance(body, str) else ""
    if not BODY_MIN <= len(text) <= BODY_MAX:
        raise InvalidInput("The form has errors.", [
            FieldError("body", "A comment has {low} to {high} characters; this one has {count}.", "length",
                       {"low": BODY_MIN, "high": BODY_MAX, "count": len(text)})])
    if _UNPRINTABLE.search(text):
        raise InvalidInput("The form has errors.", [
            FieldError("body", "The comment contains characters that cannot be shown.", "characters")])
    return text


def add(session: Session, ctx: EngineContext, actor: Actor, body: object, *, now: datetime,
        task_id: int | None = None, instance_id: int | None = None) -> TaskComment:
    """Comment on a task of the actor's departments, or on a case they may see; audited, people told."""
    text = clean_body(body)
    task: HumanTask | None = None
    if task_id is not None:
        task = visible_task(session, actor, task_id)
        instance = session.get(ProcessInstance, task.instance_id)
    else:
        instance = session.get(ProcessInstance, instance_id) if instance_id is not None else None
        if instance is None or not may_see_instance(session, actor, instance):
            raise NotFound("Case {id} not found.", id=instance_id)
    assert instance is not None
    if instance.status == InstanceStatus.CANCELLED:
        raise Conflict("Case {id} was withdrawn; it takes no more comments.", id=instance.id)
    department_id = _speaking_for(session, actor, instance, task)
    comment = TaskComment(instance_id=instance.id, task_id=task.id if task else None, author_id=actor.user_id,
                          department_id=department_id, body=text, created_at=now)
    session.add(comment)
    session.flush()
    audit.record(session, "commented", at=now, instance_id=instance.id, task_id=comment.task_id,
                 actor_id=actor.user_id, department_id=department_id,
                 payload={"comment_id": comment.id, "body": text, **({"task": task.name} if task else {})})
    ctx.listeners.emit(session, HookEvent(TaskHook.COMMENTED, instance, task, now, actor.user_id, note=text))
    return comment


def for_case(session: Session, actor: Actor, instance_id: int) -> list[CommentView]:
    """Every comment of a case the actor may see, oldest first; NotFound otherwise."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not may_see_instance(session, actor, instance):
        raise NotFound("Case {id} not found.", id=instance_id)
    return _listed(session, TaskComment.instance_id == instance_id)


def for_task(session: Session, actor: Actor, task_id: int) -> list[CommentView]:
    """The comments on one task of the actor's departments, oldest first; NotFound otherwise."""
    visible_task(session, actor, task_id)
    return _listed(session, TaskComment.task_id == task_id)


def _listed(session: Session, condition: object) -> list[CommentView]:
    rows = session.execute(
        select(TaskComment, User.username, User.display_name, Department.code, Department.name, HumanTask.name)
        .join(User, User.id == TaskComment.author_id)
        .outerjoin(Department, Department.id == TaskComment.department_id)
        .outerjoin(HumanTask, HumanTask.id == TaskComment.task_id)
        .where(condition)  # type: ignore[arg-type]
        .order_by(TaskComment.id.desc()).limit(LIST_MAX)
    ).all()
    return [CommentView(c.id, c.instance_id, c.task_id, task_name, username, display or username, code, name,
                        c.body, c.created_at)
            for c, username, display, code, name, task_name in reversed(rows)]


def _speaking_for(session: Session, actor: Actor, instance: ProcessInstance, task: HumanTask | None) -> int | None:
    """The unit the author writes for: the task's, else one of theirs taking part in the case, else their first."""
    if task is not None and task.department_id in actor.department_ids:
        return task.department_id
    if not actor.seats:
        return None
    taking_part = set(session.execute(select(InstanceDepartment.department_id).where(
        InstanceDepartment.instance_id == instance.id,
        InstanceDepartment.department_id.in_(actor.department_ids))).scalars())
    if instance.origin_department_id in taking_part:
        return instance.origin_department_id
    return next((s.department_id for s in actor.seats if s.department_id in taking_part), actor.seats[0].department_id)
