"""Telling the departments of a withdrawn case that their tasks are gone, and why."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.hooks import HookEvent
from engine.models import HumanTask, TaskStatus, User
from escalation.config import Escalation
from escalation.ladder import members
from escalation.notify import Message, close_for_case


def notify_withdrawn(session: Session, esc: Escalation, event: HookEvent) -> None:
    """Close the case's unread notices, then tell everyone who held or could take a cancelled task (not the withdrawer).

    Reminders and 督办 notices about a case that no longer exists would only call people to
    work that is gone, so they are marked read; the withdrawal notice itself stays unread.
    """
    instance = event.instance
    close_for_case(session, instance.id, event.at)
    cancelled = session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.CANCELLED,
                                HumanTask.completed_at == event.at).order_by(HumanTask.id)
    ).scalars()
    messages = []
    for task in cancelled:
        if task.assignee_id is not None:
            people = [user for user in (session.get(User, task.assignee_id),) if user is not None]
        else:  # nobody held it yet: everyone who could have taken it
            people = members(session, [task.role] if task.role else [], task.department_id)
        params = {"case": instance.title, "case_id": instance.id, "task": task.name, "reason": event.note or ""}
        messages += [Message(user.id, "withdrawn", "Case {case} was withdrawn by the unit that started it; "
                             "{task} is no longer needed. Reason: {reason}", params, instance.id, task.id)
                     for user in people if user.id != event.actor_id]
    esc.notifier.send(session, messages, event.at)
