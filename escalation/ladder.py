"""Firing one rung of the 督办 ladder: record it, notify its targets, maybe hand the task up."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine import audit, tasks
from engine.context import EngineContext
from engine.models import Department, HumanTask, Membership, ProcessInstance, TaskStatus, User
from engine.roles import role_book
from escalation.config import Escalation
from escalation.models import EscalationRecord, TaskDeadline
from escalation.notify import Message
from escalation.policies import Action, ClockKind, LadderStep, Target

MAX_ATTEMPTS = 3  # a rung that failed this often is given up (the sweep stops taking it)

# English templates, translated where they are shown; one per action and clock.
TEMPLATES: dict[tuple[Action, ClockKind], str] = {
    (Action.REMIND, ClockKind.REPORT_IN): "Reminder: please sign for {task} of case {case} before {deadline}.",
    (Action.REMIND, ClockKind.COMPLETE): "Reminder: {task} of case {case} is due at {deadline}.",
    (Action.NOTIFY, ClockKind.REPORT_IN): "{department} has not yet signed for {task} of case {case} "
                                          "(due {deadline}).",
    (Action.NOTIFY, ClockKind.COMPLETE): "{department} has not yet finished {task} of case {case} (due {deadline}).",
    (Action.OVERDUE_DUBAN, ClockKind.REPORT_IN): "Overdue, under supervision: {department} did not sign for {task} "
                                                 "of case {case} by {deadline}.",
    (Action.OVERDUE_DUBAN, ClockKind.COMPLETE): "Overdue, under supervision: {department} did not finish {task} "
                                                "of case {case} by {deadline}.",
    (Action.CUIBAN_NOTICE, ClockKind.REPORT_IN): "Urging notice: {department} did not sign for {task} of case {case} "
                                                 "by {deadline}.",
    (Action.CUIBAN_NOTICE, ClockKind.COMPLETE): "Urging notice: {department} did not finish {task} of case {case} "
                                                "by {deadline}.",
    (Action.ESCALATE, ClockKind.REPORT_IN): "Escalated: {department} did not sign for {task} of case {case} "
                                            "by {deadline}.",
    (Action.ESCALATE, ClockKind.COMPLETE): "Escalated: {department} did not finish {task} of case {case} "
                                           "by {deadline}.",
}
# A rung at an offset after the deadline (+1wd) says how late the work is: {late} is the policy's
# offset, written as the policy writes it and read in words where shown (escalation.notify.LIMIT_PARAMS).
LATE_TEMPLATES: dict[tuple[Action, ClockKind], str] = {
    (Action.CUIBAN_NOTICE, ClockKind.REPORT_IN): "Urging notice: {department} is {late} late signing for {task} "
                                                 "of case {case}.",
    (Action.CUIBAN_NOTICE, ClockKind.COMPLETE): "Urging notice: {department} is {late} late with {task} "
                                                "of case {case}.",
    (Action.ESCALATE, ClockKind.REPORT_IN): "Escalated: {department} is {late} late signing for {task} "
                                            "of case {case}.",
    (Action.ESCALATE, ClockKind.COMPLETE): "Escalated: {department} is {late} late with {task} of case {case}.",
}


def template_for(step: LadderStep, clock: ClockKind) -> tuple[str, dict[str, str]]:
    """The message template of a rung and the parameters only its policy knows (how late it fires)."""
    late = LATE_TEMPLATES.get((step.action, clock))
    if late is not None and step.offset is not None:
        return late, {"late": str(step.offset)}
    return TEMPLATES[(step.action, clock)], {}


def fire(session: Session, ctx: EngineContext, esc: Escalation, rung: TaskDeadline,
         now: datetime) -> EscalationRecord | None:
    """Fire one due rung exactly as its policy says; the caller commits.

    Returns None when the rung's twin fired for it (see :func:`twins`): one deadline, one firing.
    A rung whose earlier twin is still due fires that twin, which marks both.
    """
    if rung.fired_at is not None:  # a twin earlier in this batch fired for it
        return None
    others = twins(session, rung)
    earlier = [other for other in others if other.id < rung.id]
    if earlier:
        # The earlier twin fires for both. It is not in this batch (it would have come first), and
        # this transaction now holds its lock, so no other worker fires it: fire it here, or a sweep
        # that ends with this batch would leave the pair for the next one.
        return fire(session, ctx, esc, earlier[0], now)
    task = session.get(HumanTask, rung.task_id)
    # Only the title: the row also holds the whole workflow state.
    title = session.execute(select(ProcessInstance.title).where(ProcessInstance.id == rung.instance_id)).scalar_one()
    assert task is not None
    policy = esc.stored(session, rung.policy_id)
    step = next((s for s in policy.ladder if s.level == rung.level), None)
    if step is None:  # the policy version changed shape; fire as recorded, without targets
        step = LadderStep(rung.level, "", None, None, Action(rung.action), ())
    department = session.get(Department, task.department_id) if task.department_id else None
    users = targets_for(session, step.targets, task)
    record = EscalationRecord(
        deadline_id=rung.id, task_id=task.id, instance_id=rung.instance_id, department_id=task.department_id,
        clock=rung.clock, level=rung.level, action=rung.action, due_at=rung.due_at, fired_at=now,
        targets=sorted(u.username for u in users),
    )
    session.add(record)
    session.flush()
    params: dict[str, Any] = {
        "task": task.name, "case": title, "case_id": rung.instance_id, "level": rung.level,
        "department": department.name if department else "", "deadline": rung.deadline_at.isoformat(),
    }
    template, wording = template_for(step, ClockKind(rung.clock))
    params.update(wording)
    esc.notifier.send(session, [Message(u.id, rung.action, template, params, rung.instance_id, task.id, record.id)
                                for u in users], now)
    audit.record(session, "escalated", at=now, instance_id=rung.instance_id, task_id=task.id,
                 department_id=task.department_id,
                 payload={"task": task.name, "level": rung.level, "action": rung.action, "clock": rung.clock,
                          "due_at": rung.due_at.isoformat(), "targets": record.targets})
    if step.reassign:
        tasks.reassign_up(session, ctx, task.id, now=now, reason=f"escalation level {rung.level}")
    rung.fired_at = now
    for other in others:  # covered by this firing: no second record, notification or audit row
        other.fired_at = now
    return record


_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's lock_not_available (SQLite has no row locks and never raises it)


class RungBusy(Exception):
    """A twin of the rung is locked by another worker's sweep: leave both to the next sweep."""


def twins(session: Session, rung: TaskDeadline) -> list[TaskDeadline]:
    """The live rungs of the task's other clock at the same level and instant (a 签收 task's two clocks).

    When a task's report-in and completion clocks share a limit and a start, every rung of both
    falls due together; they are one deadline and fire once, by the rung armed first (the report-in
    clock's, whose words fit a task nobody has signed for yet). A rung given up after its
    attempts does not hold its twin back.
    """
    # Twins are locked here, without waiting: two workers whose batches split a pair (and another
    # pair the other way round) would otherwise wait on each other's rows until the server kills one.
    query = (select(TaskDeadline).where(
        TaskDeadline.task_id == rung.task_id, TaskDeadline.level == rung.level, TaskDeadline.id != rung.id,
        TaskDeadline.clock != rung.clock, TaskDeadline.due_at == rung.due_at,
        TaskDeadline.fired_at.is_(None), TaskDeadline.stopped_at.is_(None),
        TaskDeadline.attempts < MAX_ATTEMPTS)
        .order_by(TaskDeadline.id).with_for_update(nowait=True))
    try:
        return list(session.execute(query).scalars())
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise RungBusy(rung.id) from error
        raise


def targets_for(session: Session, targets: tuple[str, ...], task: HumanTask) -> list[User]:
    """The users a rung reaches, by role, without repeats."""
    found: dict[int, User] = {}
    for target in targets:
        for user in _users_for(session, target, task):
            found.setdefault(user.id, user)
    return list(found.values())


def _users_for(session: Session, target: str, task: HumanTask) -> list[User]:
    if target == Target.ASSIGNEE:
        if task.status == TaskStatus.CLAIMED and task.assignee_id:
            assignee = session.get(User, task.assignee_id)
            return [assignee] if assignee else []
        # Nobody holds it yet: remind everyone who could take it.
        return members(session, [task.role] if task.role else [], task.department_id)
    if target == Target.HEAD:
        # The role model names each role's head; a role without one heads itself (a head's own task).
        if task.role is None:
            return []
        return members(session, [role_book(session).head_of(task.role) or task.role], task.department_id)
    return nearest_holders(session, target, task.department_id)


def nearest_holders(session: Session, role: str, unit_id: int | None) -> list[User]:
    """Active holders of ``role`` nearest ``unit_id``: in its subtree, else its parent's, and so on up the tree.

    A department's overdue task so reaches its own district's supervisors, never a neighbour's.
    """
    rows = session.execute(
        select(User, Department.path).join(Membership, Membership.user_id == User.id)
        .join(Department, Department.id == Membership.department_id)
        .where(Membership.role == role, User.is_active.is_(True), Department.active).order_by(User.username)
    ).all()
    path = session.execute(select(Department.path).where(Department.id == unit_id)).scalar_one_or_none() \
        if unit_id is not None else None
    if not path:
        return list({u.id: u for u, _ in rows}.values())
    parts = [p for p in path.strip("/").split("/") if p]
    for depth in range(len(parts), 0, -1):
        prefix = "/" + "/".join(parts[:depth]) + "/"
        found = {u.id: u for u, unit_path in rows if unit_path.startswith(prefix)}
        if found:
            return list(found.values())
    return []


def members(session: Session, roles: list[str], department_id: int | None) -> list[User]:
    """Active holders of any of ``roles`` (in ``department_id`` when given), by username."""
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.role.in_(roles), User.is_active.is_(True)))
    if department_id is not None:
        query = query.where(Membership.department_id == department_id)
    return list(session.execute(query.order_by(User.username)).scalars().unique())
