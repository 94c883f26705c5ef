"""Who is told what as a case moves: work handed back to the starting unit, reworks, the case closing.

Reminders and 督办 come from the ladder (:mod:`escalation.ladder`), hand-pressed notices from
:mod:`escalation.urging`, extension answers from :mod:`escalation.extensions` and withdrawals
from :mod:`escalation.withdrawal_notices`; docs/notifications.md lists them all.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.hooks import HookEvent, Listeners, TaskHook
from engine.models import Department, HumanTask, ProcessDefinition, ProcessInstance, User
from escalation.config import Escalation
from escalation.handoffs import Handoff, handoff_to
from escalation.ladder import members
from escalation.notify import Message

TEMPLATES = {
    "returned": "{department} reported on case {case}: {task} is waiting for you.",
    "returned_choice": "{department} chose {choice} at {step} on case {case}: {task} is waiting for you. Note: {note}",
    "rework": "Case {case} was sent back for rework (退回重办) by {by}: {task} must be done again. Reason: {reason}",
    "case_closed": "Case {case} is closed: every step is done.",
}


def register(listeners: Listeners, esc: Escalation) -> None:
    """Tell people when work comes back to them and when a case closes, in the transaction that did it."""
    listeners.on(TaskHook.CREATED, lambda session, event: task_arrived(session, esc, event))
    listeners.on(TaskHook.INSTANCE_FINISHED, lambda session, event: case_closed(session, esc, event))


def task_arrived(session: Session, esc: Escalation, event: HookEvent) -> None:
    """A rework tells the unit it went back to, with the reason; a report handed to the starting unit tells it."""
    task, instance = event.task, event.instance
    assert task is not None
    handoff = handoff_to(session, task)
    if handoff is None or handoff.department_id == task.department_id and not handoff.rework:
        return
    params: dict[str, Any] = {"case": instance.title, "case_id": instance.id, "task": task.name}
    people = {u.id: u for u in members(session, [task.role] if task.role else [], task.department_id)}
    if handoff.rework:
        params.update(by=_unit_name(session, handoff.department_id) or handoff.actor_name or "",
                      reason=handoff.reason or "-", sent_back_by=handoff.actor_name or "")
        for user in _earlier_hands(session, task):  # whoever did it last time hears why, even if not in the role
            people.setdefault(user.id, user)
        kind = "rework"
    elif task.department_id is not None and task.department_id == instance.origin_department_id:
        params.update(department=_unit_name(session, handoff.department_id) or "")
        kind = "returned"
    else:
        return
    template = TEMPLATES[kind]
    if kind == "returned" and (choice := _chosen(session, instance, handoff)) is not None:
        # A step answered by buttons (签收 / 退单) says which one was pressed: "reported" would mislead.
        params.update(choice=choice[0], note=choice[1] or "-", step=handoff.task_name)
        template = TEMPLATES["returned_choice"]
    esc.notifier.send(session, [Message(user_id, kind, template, params, instance.id, task.id)
                                for user_id in sorted(people)], event.at)


def _chosen(session: Session, instance: ProcessInstance, handoff: Handoff) -> tuple[str, str] | None:
    """The label of the button the sender pressed (its form's ``x-submit-choices``) and its other text answers."""
    form_key = session.execute(select(HumanTask.form_key).where(HumanTask.id == handoff.task_id)).scalar()
    if not form_key:
        return None
    forms = session.execute(select(ProcessDefinition.forms)
                            .where(ProcessDefinition.id == instance.definition_id)).scalar() or {}
    choices = (forms.get(form_key) or {}).get("x-submit-choices") or {}
    field = choices.get("field") if isinstance(choices, dict) else None
    if not isinstance(field, str) or field not in handoff.data:
        return None
    for option in choices.get("options") or []:
        if isinstance(option, dict) and option.get("value") == handoff.data[field]:
            note = "；".join(v.strip() for k, v in handoff.data.items()
                            if k != field and isinstance(v, str) and v.strip())
            return str(option.get("label") or option.get("value")), note
    return None


def case_closed(session: Session, esc: Escalation, event: HookEvent) -> None:
    """The starting unit hears the case closed: whoever started it and the holders of its roles in the case."""
    instance = event.instance
    people: set[int] = {instance.started_by_id} if instance.started_by_id else set()
    if instance.origin_department_id is not None:
        roles = set(session.execute(select(HumanTask.role).where(
            HumanTask.instance_id == instance.id, HumanTask.department_id == instance.origin_department_id,
            HumanTask.role.is_not(None))).scalars())
        people |= {u.id for u in members(session, sorted(roles), instance.origin_department_id)}
    params = {"case": instance.title, "case_id": instance.id}
    esc.notifier.send(session, [Message(user_id, "case_closed", TEMPLATES["case_closed"], params, instance.id)
                                for user_id in sorted(people)], event.at)


def _earlier_hands(session: Session, task: HumanTask) -> list[User]:
    """Active users who finished an earlier round of the same step for the same unit."""
    done_by = session.execute(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id == task.element_id,
        HumanTask.department_id == task.department_id, HumanTask.id != task.id,
        HumanTask.completed_by_id.is_not(None))).scalars()
    users = [session.get(User, user_id) for user_id in set(done_by)]
    return [u for u in users if u is not None and u.is_active]


def _unit_name(session: Session, department_id: int | None) -> str | None:
    """The name of a unit, if any."""
    return session.execute(select(Department.name).where(Department.id == department_id)).scalar() \
        if department_id is not None else None
