"""Listener hooks: how other layers react to task changes inside the same transaction.

The engine does not know escalation exists; the composition root registers escalation's
listeners here so deadlines are armed in the transaction that creates the task.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance


class TaskHook(enum.StrEnum):
    """Moments a listener can react to."""

    CREATED = "task_created"
    CLAIMED = "task_claimed"
    UNCLAIMED = "task_unclaimed"
    COMPLETED = "task_completed"
    CANCELLED = "task_cancelled"
    INSTANCE_FINISHED = "instance_finished"
    INSTANCE_WITHDRAWN = "instance_withdrawn"
    INCIDENT_OPENED = "incident_opened"  # a case cannot move on by itself (engine.incidents)
    COMMENTED = "commented"  # a comment on a task or case (engine.comments); the note holds its text


@dataclass(frozen=True)
class HookEvent:
    """What happened: the hook, the instance, the task (if any), when, and who did it."""

    hook: TaskHook
    instance: ProcessInstance
    task: HumanTask | None
    at: datetime
    actor_id: int | None = None
    note: str | None = None  # why, where the action carries a reason (a withdrawal)
    incident_id: int | None = None  # the incident just opened (INCIDENT_OPENED)


Listener = Callable[[Session, HookEvent], Any]


class Listeners:
    """A registry of listeners per hook, called in registration order."""

    def __init__(self) -> None:
        self._by_hook: dict[TaskHook, list[Listener]] = defaultdict(list)

    def on(self, hook: TaskHook, listener: Listener) -> None:
        """Call ``listener(session, event)`` whenever ``hook`` happens."""
        self._by_hook[hook].append(listener)

    def emit(self, session: Session, event: HookEvent) -> None:
        """Call every listener of ``event.hook``; an error aborts the caller's transaction."""
        for listener in self._by_hook.get(event.hook, []):
            listener(session, event)
