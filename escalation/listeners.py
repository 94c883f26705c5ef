"""Wiring escalation into the engine's hooks: deadlines armed and stopped in the same transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.hooks import HookEvent, Listeners, TaskHook
from escalation import assignment_notices, case_notices, comment_notices, deadlines, incident_notices
from escalation.config import Escalation
from escalation.policies import ClockKind
from escalation.withdrawal_notices import notify_withdrawn


def register(listeners: Listeners, esc: Escalation) -> None:
    """Arm deadlines when tasks appear; stop the report-in clock on claim and both on completion.

    A withdrawn case's tasks end as cancelled (which stops their clocks); their people are told why.
    """

    def created(session: Session, event: HookEvent) -> None:
        assert event.task is not None
        deadlines.arm(session, esc, event.instance, event.task, event.at)

    def claimed(session: Session, event: HookEvent) -> None:
        assert event.task is not None
        deadlines.stop(session, event.task.id, (ClockKind.REPORT_IN,), event.at)

    def ended(session: Session, event: HookEvent) -> None:
        assert event.task is not None
        deadlines.stop(session, event.task.id, (ClockKind.REPORT_IN, ClockKind.COMPLETE), event.at)

    listeners.on(TaskHook.CREATED, created)
    listeners.on(TaskHook.CLAIMED, claimed)
    listeners.on(TaskHook.COMPLETED, ended)
    listeners.on(TaskHook.CANCELLED, ended)
    listeners.on(TaskHook.INSTANCE_WITHDRAWN, lambda session, event: notify_withdrawn(session, esc, event))
    case_notices.register(listeners, esc)  # after the deadlines: who is told what as the case moves
    incident_notices.register(listeners, esc)  # the designer hears that a case cannot go on
    assignment_notices.register(listeners, esc)
    comment_notices.register(listeners, esc)
