"""Telling a colleague that a task was handed to them (指派, 转交), in the transaction that did it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import User
from escalation.config import Escalation
from escalation.notify import Message

KIND = "assigned"
TEMPLATE = "{by} handed you {task} of case {case}. Note: {note}"


def register(listeners: Listeners, esc: Escalation) -> None:
    """A claim made on someone else's behalf (a hand-over) tells the new holder."""
    listeners.on(TaskHook.CLAIMED, lambda session, event: handed_over(session, esc, event))


def handed_over(session: Session, esc: Escalation, event: HookEvent) -> None:
    """Tell the task's new holder who gave it to them and why; a claim for oneself tells nobody."""
    task, instance = event.task, event.instance
    if task is None or task.assignee_id is None or event.actor_id in (None, task.assignee_id):
        return
    by = session.get(User, event.actor_id)
    params = {"by": by.display_name if by else "", "task": task.name, "case": instance.title,
              "case_id": instance.id, "note": event.note or "-"}
    esc.notifier.send(session, [Message(task.assignee_id, KIND, TEMPLATE, params, instance.id, task.id)], event.at)
