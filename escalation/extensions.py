"""Extension requests (延期申请): staff ask, the department head decides, deadlines move."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access import may_work_on
from engine.actors import Actor
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import Department, HumanTask, ProcessInstance, TaskStatus
from engine.roles import role_book
from engine.tasks import visible_task
from escalation import deadlines
from escalation.config import Escalation
from escalation.extension_notices import decision_message
from escalation.limits import Limit, LimitError
from escalation.models import ExtensionRequest, ExtensionStatus
from escalation.notify import Message
from escalation.policies import ClockKind


def request(session: Session, esc: Escalation, actor: Actor, task_id: int, *, clock: str, extension: str,
            reason: str, now: datetime) -> ExtensionRequest:
    """Ask for ``extension`` more time on a running clock of a task one may work on."""
    task = visible_task(session, actor, task_id)
    if not (may_work_on(actor, task) or task.assignee_id == actor.user_id):
        raise Forbidden("Only the people who may work on this task may ask for more time.")
    errors = []
    try:
        kind = ClockKind(clock)
    except ValueError:
        kind = None
        errors.append(FieldError("clock", "Not one of the allowed values.", "enum"))
    limit = None
    try:
        limit = Limit.parse(extension)
    except LimitError as error:
        errors.append(_limit_error(error))
    if not isinstance(reason, str) or not 2 <= len(reason.strip()) <= 1000:
        errors.append(FieldError("reason", "Between {low} and {high} characters.", "length", {"low": 2, "high": 1000}))
    if errors:
        raise InvalidInput("The form has errors.", errors)
    assert kind is not None and limit is not None
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        raise Conflict("Task {id} is no longer open.", id=task.id)
    if deadlines.current_deadline(session, task.id, kind) is None:
        raise Conflict("The {clock} clock of task {id} is not running.", clock=kind.value, id=task.id)
    pending = session.execute(select(ExtensionRequest.id).where(
        ExtensionRequest.task_id == task.id, ExtensionRequest.clock == kind.value,
        ExtensionRequest.status == ExtensionStatus.PENDING)).first()
    if pending is not None:
        raise Conflict("An extension for this task is already waiting for a decision.")
    row = ExtensionRequest(
        task_id=task.id, instance_id=task.instance_id, department_id=task.department_id, clock=kind.value,
        extension=str(limit), reason=reason.strip(), status=ExtensionStatus.PENDING,
        requested_by_id=actor.user_id, requested_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, "extension_requested", at=now, instance_id=task.instance_id, task_id=task.id,
                 actor_id=actor.user_id, department_id=task.department_id,
                 payload={"request_id": row.id, "clock": kind.value, "extension": row.extension, "reason": row.reason})
    heads = _heads(session, task)
    esc.notifier.send(session, [
        Message(user_id, "extension_requested", "{name} asks for {extension} more on {task}: {reason}",
                {"name": actor.display_name, "extension": row.extension, "task": task.name, "reason": row.reason},
                task.instance_id, task.id)
        for user_id in heads
    ], now)
    return row


def decide(session: Session, esc: Escalation, actor: Actor, request_id: int, *, approve: bool, note: str,
           now: datetime) -> ExtensionRequest:
    """Approve (the deadline moves by the extension) or reject a pending request, as department head."""
    row = session.execute(
        select(ExtensionRequest).where(ExtensionRequest.id == request_id).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.department_id not in actor.department_ids:
        raise NotFound("Extension request {id} not found.", id=request_id)
    task = session.get(HumanTask, row.task_id)
    assert task is not None
    # A role without a head decides for itself (its holders' own requests go to their colleagues).
    if not (actor.heads(task.role, row.department_id) or (
            role_book(session).head_of(task.role) is None and actor.has_role(task.role or "", row.department_id))):
        raise Forbidden("Only the head of the department decides on extensions.")
    if row.status != ExtensionStatus.PENDING:
        raise Conflict("Extension request {id} was already decided.", id=request_id)
    kind = ClockKind(row.clock)
    current = deadlines.current_deadline(session, task.id, kind)
    row.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    row.decided_by_id, row.decided_at, row.decision_note = actor.user_id, now, (note or "").strip()[:1000] or None
    if approve and current is not None:
        code = session.execute(select(Department.code).where(Department.id == task.department_id)).scalar()
        calendar = esc.calendars.for_department(code)
        row.old_deadline_at = current.deadline_at
        try:  # rows asked for before limits were bounded are checked again here
            row.new_deadline_at = Limit.parse(row.extension).due(current.deadline_at, calendar)
        except LimitError as error:
            raise InvalidInput("The form has errors.", [_limit_error(error)]) from None
        deadlines.move(session, esc, task, kind, row.new_deadline_at)
    action = "extension_approved" if approve else "extension_rejected"
    audit.record(session, action, at=now, instance_id=row.instance_id, task_id=task.id, actor_id=actor.user_id,
                 department_id=row.department_id,
                 payload={"request_id": row.id, "clock": row.clock, "extension": row.extension,
                          "old_deadline": row.old_deadline_at.isoformat() if row.old_deadline_at else None,
                          "new_deadline": row.new_deadline_at.isoformat() if row.new_deadline_at else None,
                          "note": row.decision_note})
    esc.notifier.send(session, [decision_message(session, row, task, actor.display_name)], now)
    return row


def _limit_error(error: LimitError) -> FieldError:
    """The extension field's message for a limit that cannot be used."""
    if error.code in ("maximum", "overflow"):
        return FieldError("extension", error.template, error.code, error.params)
    return FieldError("extension", "Write a limit such as 4wh, 2wd or 3d.", "pattern")


def pending_for(session: Session, actor: Actor) -> list[tuple[ExtensionRequest, str, str]]:
    """Pending requests the actor may decide, with task name and case title."""
    departments = sorted({s.department_id for s in actor.seats if actor.headed.get(s.role)})
    if not departments:
        return []
    rows = session.execute(
        select(ExtensionRequest, HumanTask.name, ProcessInstance.title)
        .join(HumanTask, HumanTask.id == ExtensionRequest.task_id)
        .join(ProcessInstance, ProcessInstance.id == ExtensionRequest.instance_id)
        .where(ExtensionRequest.status == ExtensionStatus.PENDING, ExtensionRequest.department_id.in_(departments))
        .order_by(ExtensionRequest.requested_at)
    ).all()
    return [(r, name, title) for r, name, title in rows]


def _heads(session: Session, task: HumanTask) -> list[int]:
    from engine.models import Membership

    head = role_book(session).head_of(task.role) or task.role
    return list(session.execute(select(Membership.user_id).where(
        Membership.department_id == task.department_id, Membership.role == head)).scalars())
