"""Hand-offs: which completion put a task in its unit's inbox, and whether it was sent back (退回重办)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask, TaskEvent, User


@dataclass(frozen=True)
class Handoff:
    """The step whose completion created a task: who finished it, when, what they wrote, and if it sent work back."""

    task_id: int
    task_name: str
    department_id: int | None
    actor_id: int | None
    actor_name: str | None
    at: datetime
    data: dict[str, Any]
    rework: bool

    @property
    def reason(self) -> str:
        """What the sender wrote (its form's text answers), the reason a rework gives."""
        return "；".join(v.strip() for v in self.data.values() if isinstance(v, str) and v.strip())


def _about(context: dict[str, Any] | None, department_id: int | None) -> object:
    """The department a step is about: its case's ``department`` variable, else its own unit."""
    about = (context or {}).get("department")
    return about if isinstance(about, str) and about else department_id


def handoff_to(session: Session, task: HumanTask) -> Handoff | None:
    """The completion that created ``task`` in the same change, if a completion did (not a start or a timer).

    A step is a rework when the step that created it comes later in the flow, judged by the
    order in which the two steps first finished for the same department: a check that sends
    a report back makes the report come again; a report that comes again is no rework of the check.
    """
    created = session.execute(select(TaskEvent.id).where(
        TaskEvent.task_id == task.id, TaskEvent.action == "task_created")).scalar()
    if created is None:
        return None
    completions = session.execute(
        select(TaskEvent.task_id, TaskEvent.actor_id, TaskEvent.at, TaskEvent.payload)
        .where(TaskEvent.instance_id == task.instance_id, TaskEvent.action == "completed", TaskEvent.id < created)
        .order_by(TaskEvent.id)
    ).all()
    if not completions or completions[-1].at != task.created_at:
        return None  # nothing finished in the change that created it
    steps = {row.id: row for row in session.execute(
        select(HumanTask.id, HumanTask.name, HumanTask.element_id, HumanTask.context, HumanTask.department_id)
        .where(HumanTask.id.in_({c.task_id for c in completions if c.task_id is not None}))
    ).all()}
    first: dict[tuple[str, object], int] = {}  # (element, department it is about) -> position of its first finish
    for position, completion in enumerate(completions):
        step = steps.get(completion.task_id)
        if step is not None:
            first.setdefault((step.element_id, _about(step.context, step.department_id)), position)
    sender = completions[-1]
    step = steps.get(sender.task_id)
    if step is None:
        return None
    own_first = first.get((task.element_id, _about(task.context, task.department_id)))
    sender_first = first[(step.element_id, _about(step.context, step.department_id))]
    actor = session.get(User, sender.actor_id) if sender.actor_id else None
    data = (sender.payload or {}).get("data") if isinstance(sender.payload, dict) else None
    rework = own_first is not None and own_first < sender_first
    return Handoff(step.id, step.name, step.department_id, sender.actor_id, actor.display_name if actor else None,
                   sender.at, data if isinstance(data, dict) else {}, rework)
