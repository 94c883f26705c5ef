"""The shared case record: what every department taking part in a case may read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import confidential
from engine.access import may_see_instance
from engine.actors import Actor
from engine.audit import instance_history
from engine.context import EngineContext
from engine.errors import NotFound
from engine.models import Department, HumanTask, InstanceDepartment, ProcessInstance, TaskStatus, User
from engine.models.tasks import ACTIVE_STATUSES
from engine.spiff import WorkflowRun


@dataclass(frozen=True)
class HistoryEntry:
    """One action in the case history."""

    id: int
    action: str
    at: datetime
    actor: str | None
    actor_name: str | None
    department: str | None
    task_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class CaseTask:
    """A task of the case, open or done, with where it sits."""

    id: int
    name: str
    element_id: str
    status: TaskStatus
    department_code: str | None
    department_name: str | None
    assignee: str | None
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class CaseRecord:
    """Everything a participant may see about one case."""

    instance: ProcessInstance
    departments: list[tuple[str, str]]
    tasks: list[CaseTask] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    # The start data as this reader may read it (engine/confidential.py); never the instance's own dict.
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def open_tasks(self) -> list[CaseTask]:
        """Tasks still waiting for someone."""
        return [t for t in self.tasks if t.status in ACTIVE_STATUSES]


def element_states(session: Session, ctx: EngineContext, actor: Actor, instance_id: int) -> dict[str, dict[str, int]]:
    """Which diagram elements of a visible case are done or waiting (loads the workflow once)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not may_see_instance(session, actor, instance):
        raise NotFound("Case {id} not found.", id=instance_id)
    run = WorkflowRun.load(ctx.spec_objects(session, instance.definition_id), instance.state, ctx.evaluator,
                           ctx.allow_script_tasks)
    return run.element_states()


def case_record(session: Session, actor: Actor, instance_id: int) -> CaseRecord:
    """The case record of ``instance_id``; NotFound when the actor may not see it."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not may_see_instance(session, actor, instance):
        raise NotFound("Case {id} not found.", id=instance_id)
    departments = session.execute(
        select(Department.code, Department.name)
        .join(InstanceDepartment, InstanceDepartment.department_id == Department.id)
        .where(InstanceDepartment.instance_id == instance_id)
        .order_by(Department.code)
    ).all()
    task_rows = session.execute(
        select(HumanTask, Department.code, Department.name, User.username)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.instance_id == instance_id)
        .order_by(HumanTask.id)
    ).all()
    tasks = [
        CaseTask(t.id, t.name, t.element_id, t.status, code, name, assignee, t.created_at, t.completed_at)
        for t, code, name, assignee in task_rows
    ]
    rule = confidential.rule_of(session, instance.definition_id)
    history = [
        HistoryEntry(e.id, e.action, e.at, username, display, dept, e.task_id,
                     confidential.shown_payload(rule, actor, e.action, e.payload))
        for e, username, display, dept in session.execute(instance_history(instance_id)).all()
    ]
    data = confidential.shown(rule, actor, instance.case_data if isinstance(instance.case_data, dict) else {})
    return CaseRecord(instance, [(c, n) for c, n in departments], tasks, history, dict(data))
