"""Drafts: what someone typed into a task's form and has not sent yet, kept for them alone.

A draft is not checked against the form (half-filled is the point) but it is bounded: only
the form's own fields are kept, each as one plain value or a list of them for a list field
(file fields are left out: uploads are stored when the form is sent); what is sent must be
JSON of at most ``DATA_MAX_BYTES`` and ``DEPTH_MAX`` levels with printable strings. Each
person has at most one draft per task; nobody else reads it. When the task completes or is
cancelled every draft of it goes (see :func:`register`).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.access import may_work_on
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput
from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import HumanTask, ProcessInstance, TaskStatus, User
from engine.models.collaboration import TaskDraft
from engine.models.tasks import ACTIVE_STATUSES
from engine.tasks import visible_task

DATA_MAX_BYTES = 64 * 1024
DEPTH_MAX = 16
_PLAIN = (str, int, float, bool)
_UNPRINTABLE = frozenset(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))


@dataclass(frozen=True)
class Draft:
    """A saved draft: the kept fields, when it was saved, and which sent keys were left out (unknown or misshapen)."""

    task_id: int
    data: dict[str, Any]
    updated_at: datetime
    dropped: tuple[str, ...] = ()


def draft_fields(form: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The fields of a form schema a draft may hold, with their schemas: shown, and not file uploads."""
    properties = (form or {}).get("properties") or {}
    return {name: spec for name, spec in properties.items()
            if isinstance(spec, Mapping) and not spec.get("x-hidden") and spec.get("x-widget") != "attachments"}


def _fits(spec: Mapping[str, Any], value: object) -> bool:
    """Whether a value has the shape of its field: a list of plain values for a list, else one plain value.

    Not a check of the form (a half-typed number is kept as text): only what the form can show again.
    """
    if spec.get("type") == "array":
        return isinstance(value, list) and all(isinstance(v, _PLAIN) for v in value)
    return isinstance(value, _PLAIN)


def save(session: Session, ctx: EngineContext, actor: Actor, task_id: int, data: object, *,
         now: datetime) -> Draft:
    """Keep ``data`` as the actor's draft of an active task they may work on (replacing the last one)."""
    task = _workable(session, actor, task_id)
    if not isinstance(data, Mapping):
        raise InvalidInput("The form has errors.", [
            FieldError("data", "Must be {expected}.", "type", {"expected": "object"})])
    fields = draft_fields(_form(session, ctx, task))
    if not fields:
        raise Conflict("Task {id} has no form to keep a draft of.", id=task.id)
    _check(dict(data))
    kept = {str(k): v for k, v in data.items() if k in fields and _fits(fields[k], v)}
    found = session.execute(select(TaskDraft).where(TaskDraft.task_id == task.id,
                                                    TaskDraft.user_id == actor.user_id)).scalar_one_or_none()
    if found is None:
        found = TaskDraft(task_id=task.id, user_id=actor.user_id)
        session.add(found)
    found.data, found.updated_at = kept, now
    session.flush()
    return Draft(task.id, kept, now, tuple(sorted(str(k) for k in data if k not in kept)))


def load(session: Session, actor: Actor, task_id: int) -> Draft | None:
    """The actor's own draft of a visible active task, if they saved one (nobody else's, ever)."""
    task = visible_task(session, actor, task_id)
    if task.status not in ACTIVE_STATUSES:
        return None
    found = session.execute(select(TaskDraft).where(TaskDraft.task_id == task.id,
                                                    TaskDraft.user_id == actor.user_id)).scalar_one_or_none()
    return Draft(task.id, dict(found.data or {}), found.updated_at) if found is not None else None


def discard(session: Session, actor: Actor, task_id: int) -> bool:
    """Throw away the actor's draft of a visible task; whether there was one."""
    visible_task(session, actor, task_id)
    return bool(session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id,
                                                        TaskDraft.user_id == actor.user_id)
                                .execution_options(synchronize_session=False)).rowcount)


def discard_all(session: Session, task_id: int) -> int:
    """Every draft of a task (it ended: nothing can be sent any more); how many there were."""
    return session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id)
                           .execution_options(synchronize_session=False)).rowcount


def register(listeners: Listeners) -> None:
    """Drop a task's drafts in the transaction that completes or cancels it."""

    def ended(session: Session, event: HookEvent) -> None:
        if event.task is not None:
            discard_all(session, event.task.id)

    listeners.on(TaskHook.COMPLETED, ended)
    listeners.on(TaskHook.CANCELLED, ended)


def _workable(session: Session, actor: Actor, task_id: int) -> HumanTask:
    """A visible active task the actor may work on, not held by someone else."""
    task = visible_task(session, actor, task_id)
    if task.status not in ACTIVE_STATUSES:
        raise Conflict("Task {id} has ended; its form can no longer be sent.", id=task.id)
    if not may_work_on(actor, task):
        raise Forbidden("Only someone who may take this task can keep a draft of it.")
    if task.status == TaskStatus.CLAIMED and task.assignee_id != actor.user_id:
        holder = session.get(User, task.assignee_id) if task.assignee_id else None
        raise Conflict("Task {id} was already claimed by {name}.", id=task.id,
                       name=holder.display_name if holder else "?")
    return task


def _form(session: Session, ctx: EngineContext, task: HumanTask) -> dict[str, Any] | None:
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    return ctx.parts(session, instance.definition_id).form(task.form_key)


def _check(kept: dict[str, Any]) -> None:
    """Refuse data that is not plain JSON, too deep, too large or carries unprintable characters."""
    stack: list[tuple[object, int]] = [(kept, 0)]
    while stack:  # iterative: a hostile nesting must not blow the interpreter's stack
        value, depth = stack.pop()
        if depth > DEPTH_MAX:
            raise _invalid("The draft is nested more than {max} levels deep.", max=DEPTH_MAX)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            if _UNPRINTABLE.intersection(value) or any("\ud800" <= c <= "\udfff" for c in value):
                raise _invalid("The draft contains characters that cannot be shown.")
        elif isinstance(value, float) and not math.isfinite(value) or \
                value is not None and not isinstance(value, bool | int | float):
            raise _invalid("The draft holds a value that is not JSON.")
    size = len(json.dumps(kept, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > DATA_MAX_BYTES:
        raise _invalid("The draft is too large ({size} KB; at most {max} KB).", size=(size + 1023) // 1024,
                       max=DATA_MAX_BYTES // 1024)


def _invalid(template: str, **params: Any) -> InvalidInput:
    return InvalidInput("The form has errors.", [FieldError("data", template, "draft", params)])
