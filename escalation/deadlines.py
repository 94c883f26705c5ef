"""Arming, stopping and moving a task's deadline rows (one per clock and ladder rung)."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.models import Department, HumanTask, ProcessInstance
from escalation.calendar import WorkCalendar
from escalation.config import Escalation
from escalation.limits import Limit, LimitError
from escalation.models import ExtensionRequest, ExtensionStatus, TaskDeadline
from escalation.policies import ClockKind, Policy

log = logging.getLogger(__name__)


def arm(session: Session, esc: Escalation, instance: ProcessInstance, task: HumanTask, now: datetime) -> int:
    """Create the deadline rows of a new task from its process's policy; returns how many."""
    clock = (task.properties or {}).get("clock")
    if not clock:
        return 0
    found = esc.policy_for(session, instance.process_key)
    if found is None:
        return 0
    policy_id, policy = found
    rule = policy.clocks.get(clock)
    if rule is None:
        log.warning("task %s names clock %r, which policy %s does not define", task.id, clock, policy.process)
        return 0
    calendar = esc.calendars.for_department(_department_code(session, task.department_id))
    rows: list[dict[str, object]] = []
    carried = carried_extensions(session, task)
    for kind, limit in policy.clock_limits(clock, instance.case_data):
        starts_with_case = kind == ClockKind.COMPLETE and rule.start == "case"
        start = instance.created_at if starts_with_case else task.created_at
        rows += _rungs(policy, policy_id, task, clock, kind, limit, start, calendar, carried.get(kind.value, []))
    if rows:  # one multi-row INSERT: the hot path of every new task
        session.execute(insert(TaskDeadline), rows)
    return len(rows)


def carried_extensions(session: Session, task: HumanTask) -> dict[str, list[Limit]]:
    """Extensions approved on the department's earlier tasks of the same step, per clock, oldest first.

    A step sent back (退回重办) comes back as a new task; the time the head granted for the step
    still holds, so the new task's deadline moves by it again instead of jumping back.
    """
    if task.department_id is None:  # only a department's head grants extensions
        return {}
    earlier = select(HumanTask.id).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id == task.element_id,
        HumanTask.department_id == task.department_id, HumanTask.id != task.id)
    granted = session.execute(
        select(ExtensionRequest.clock, ExtensionRequest.extension)
        .where(ExtensionRequest.task_id.in_(earlier), ExtensionRequest.status == ExtensionStatus.APPROVED)
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    ).all()
    found: dict[str, list[Limit]] = {}
    for clock, extension in granted:
        try:
            found.setdefault(clock, []).append(Limit.parse(extension))
        except LimitError:  # approved before limits were bounded: the new task runs on its own limit
            log.warning("task %s: approved extension %r of an earlier task is not a usable limit", task.id, extension)
    return found


def _rungs(policy: Policy, policy_id: int, task: HumanTask, rule: str, kind: ClockKind, limit: Limit,
           start: datetime, calendar: WorkCalendar, extensions: list[Limit]) -> list[dict[str, object]]:
    deadline = limit.due(start, calendar)
    for extension in extensions:  # each counted from the deadline it moved, as when it was approved
        deadline = extension.due(deadline, calendar)
    instants = [_rung_at(step.share, step.offset, limit, start, deadline, calendar) for step in policy.ladder]
    missing = calendar.unknown_years(start, max([deadline, *instants]))
    if missing:
        log.warning("task %s: no holiday data for %s in calendar %s; counting weekends only",
                    task.id, missing, calendar.name)
    return [
        dict(task_id=task.id, instance_id=task.instance_id, department_id=task.department_id, policy_id=policy_id,
             clock=kind.value, rule=rule, level=step.level, action=step.action.value, is_due_level=step.is_due_level,
             limit=str(limit), calendar=calendar.name, started_at=start, deadline_at=deadline, due_at=at,
             missing_years=missing, attempts=0)
        for step, at in zip(policy.ladder, instants, strict=True)
    ]


def _rung_at(share: float | None, offset: Limit | None, limit: Limit, start: datetime, deadline: datetime,
             calendar: WorkCalendar) -> datetime:
    if share is not None:
        return limit.elapsed_share(start, deadline, share, calendar)
    assert offset is not None
    return offset.due(deadline, calendar)


def stop(session: Session, task_id: int, clocks: tuple[ClockKind, ...], now: datetime) -> None:
    """Stop clocks of a task: their unfired rungs never fire, and the task stops being overdue."""
    session.execute(
        update(TaskDeadline)
        .where(TaskDeadline.task_id == task_id, TaskDeadline.clock.in_([c.value for c in clocks]),
               TaskDeadline.stopped_at.is_(None))
        .values(stopped_at=now)
        .execution_options(synchronize_session=False)
    )


def move(session: Session, esc: Escalation, task: HumanTask, clock: ClockKind, new_deadline: datetime) -> int:
    """Move a clock's deadline (an approved extension): unfired rungs are recomputed from it."""
    rows = list(session.execute(
        select(TaskDeadline).where(TaskDeadline.task_id == task.id, TaskDeadline.clock == clock.value,
                                   TaskDeadline.stopped_at.is_(None)).order_by(TaskDeadline.level)
    ).scalars())
    if not rows:
        return 0
    calendar = esc.calendars.for_department(_department_code(session, task.department_id))
    policy = esc.stored(session, rows[0].policy_id)
    steps = {s.level: s for s in policy.ladder}
    limit = Limit.parse(rows[0].limit)
    for row in rows:
        row.deadline_at = new_deadline
        step = steps.get(row.level)
        if row.fired_at is None and step is not None:
            row.due_at = _rung_at(step.share, step.offset, limit, row.started_at, new_deadline, calendar)
    return len(rows)


def current_deadline(session: Session, task_id: int, clock: ClockKind) -> TaskDeadline | None:
    """The running due-level rung of a task's clock, if the clock runs."""
    return session.execute(
        select(TaskDeadline).where(TaskDeadline.task_id == task_id, TaskDeadline.clock == clock.value,
                                   TaskDeadline.is_due_level.is_(True), TaskDeadline.stopped_at.is_(None))
    ).scalar_one_or_none()


def _department_code(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    return session.execute(select(Department.code).where(Department.id == department_id)).scalar_one_or_none()

