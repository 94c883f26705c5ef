"""督办 and 催办 by hand: district supervision presses a department about one task, late or not."""
from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.actors import Actor
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import Department, HumanTask, ProcessInstance, TaskEvent, User
from engine.models.tasks import ACTIVE_STATUSES
from engine.roles import Capability
from escalation.config import Escalation

# The same people a ladder rung reaches (department head, whoever holds or may take the task).
from escalation.ladder import targets_for as laddertargets_for
from escalation.models import TaskDeadline
from escalation.notify import Message
from escalation.overdue import overdue_clock
from escalation.policies import Target

NOTE_MAX = 500
AUDIT_ACTION = "urged"


class UrgeKind(enum.StrEnum):
    """Which notice supervision sends."""

    DUBAN = "duban"  # 督办: supervision takes the task under its watch
    CUIBAN = "cuiban"  # 催办: a notice to hurry


# English templates, translated where they are shown: by kind, and whether a note was given.
TEMPLATES = {
    (UrgeKind.DUBAN, False): "Supervision notice (督办) from {actor}: {department} must act on {task} "
                             "of case {case} now.",
    (UrgeKind.DUBAN, True): "Supervision notice (督办) from {actor}: {department} must act on {task} "
                            "of case {case} now. Note: {note}",
    (UrgeKind.CUIBAN, False): "Urging notice (催办) from {actor}: {department} is asked to hurry with {task} "
                              "of case {case}.",
    (UrgeKind.CUIBAN, True): "Urging notice (催办) from {actor}: {department} is asked to hurry with {task} "
                             "of case {case}. Note: {note}",
}


@dataclass(frozen=True)
class Urging:
    """A notice that was sent: to whom, about which task, how late it was then."""

    event_id: int
    task_id: int
    instance_id: int
    kind: UrgeKind
    note: str
    targets: list[str]
    overdue: bool
    level: int
    at: datetime


@dataclass(frozen=True)
class UrgingEntry:
    """One 督办 or 催办 on a task as its page lists it: what, who sent it, when, with which note."""

    kind: UrgeKind
    by: str | None
    at: datetime
    note: str


@dataclass(frozen=True)
class UrgingSummary:
    """How often a task was urged by hand, and when last."""

    count: int
    last_at: datetime


def may_urge(actor: Actor) -> bool:
    """Whether ``actor`` may send 督办 and 催办 notices (roles granted supervision)."""
    return actor.can(Capability.SUPERVISE) and actor.supervises


def urge(session: Session, esc: Escalation, actor: Actor, task_id: int, kind: str, note: str,
         now: datetime) -> Urging:
    """Send a 督办 or 催办 notice about a running task to its department head and its holder; audit it."""
    if not may_urge(actor):
        raise Forbidden("Only district supervision or leadership may send supervision and urging notices.")
    errors = []
    try:
        chosen = UrgeKind(kind)
    except ValueError:
        errors.append(FieldError("kind", "Choose a supervision notice (督办) or an urging notice (催办).", "choice"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.append(FieldError("note", "At most {max} characters.", "too_long", {"max": NOTE_MAX}))
    if errors:
        raise InvalidInput("The form has errors.", errors)
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("Task {id} not found.", id=task_id)
    if task.status not in ACTIVE_STATUSES:
        raise Conflict("Task {id} has already ended; there is nothing to urge.", id=task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    department = session.get(Department, task.department_id) if task.department_id else None
    if department is None or not any(department.path.startswith(root) for root in actor.overseen):
        # Supervision reaches its own subtree: a street leader cannot urge a district department.
        raise NotFound("Task {id} not found.", id=task_id)
    users = laddertargets_for(session, (Target.HEAD, Target.ASSIGNEE), task)
    overdue, level = lateness(session, task.id, now)
    targets = sorted(u.username for u in users)
    event = audit.record(session, AUDIT_ACTION, at=now, instance_id=instance.id, task_id=task.id,
                         actor_id=actor.user_id, department_id=task.department_id,
                         payload={"task": task.name, "kind": chosen.value, "note": note, "targets": targets,
                                  "overdue": overdue, "level": level})
    session.flush()
    params: dict[str, Any] = {"actor": actor.display_name, "department": department.name if department else "",
                              "task": task.name, "case": instance.title, "case_id": instance.id, "note": note}
    template = TEMPLATES[(chosen, bool(note))]
    esc.notifier.send(session, [Message(u.id, chosen.value, template, params, instance.id, task.id) for u in users],
                      now)
    return Urging(event.id, task.id, instance.id, chosen, note, targets, overdue, level, now)


def lateness(session: Session, task_id: int, now: datetime) -> tuple[bool, int]:
    """Whether the task is overdue at ``now`` (:mod:`escalation.overdue`), and the highest rung fired."""
    late = session.execute(select(func.count()).select_from(TaskDeadline)
                           .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
                           .where(TaskDeadline.task_id == task_id, overdue_clock(now))).scalar_one()
    level = session.execute(select(func.max(TaskDeadline.level)).where(
        TaskDeadline.task_id == task_id, TaskDeadline.fired_at.is_not(None))).scalar_one()
    return late > 0, level or 0


def urgings_for_tasks(session: Session, task_ids: list[int]) -> dict[int, UrgingSummary]:
    """How often each task was urged by hand and when last (tasks never urged are left out)."""
    if not task_ids:
        return {}
    rows = session.execute(select(TaskEvent.task_id, TaskEvent.at).where(
        TaskEvent.action == AUDIT_ACTION, TaskEvent.task_id.in_(task_ids))).all()
    counts: Counter[int] = Counter(task_id for task_id, _ in rows)
    last: dict[int, datetime] = {}
    for task_id, at in rows:
        last[task_id] = max(at, last.get(task_id, at))
    return {task_id: UrgingSummary(counts[task_id], last[task_id]) for task_id in counts}


def urgings_on(session: Session, task_id: int) -> list[UrgingEntry]:
    """Every 督办 and 催办 sent by hand about one task, newest first (from the audit trail)."""
    rows = session.execute(
        select(TaskEvent.at, TaskEvent.payload, User.display_name)
        .outerjoin(User, User.id == TaskEvent.actor_id)
        .where(TaskEvent.action == AUDIT_ACTION, TaskEvent.task_id == task_id)
        .order_by(TaskEvent.id.desc())
    ).all()
    found = []
    for at, payload, name in rows:
        payload = payload if isinstance(payload, dict) else {}
        try:
            kind = UrgeKind(payload.get("kind"))
        except ValueError:
            continue  # an entry this version cannot name is left out rather than mislabelled
        found.append(UrgingEntry(kind, name, at, str(payload.get("note") or "")))
    return found
