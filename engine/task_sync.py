"""Keep the ``human_task`` projection equal to the workflow's waiting human tasks."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, suggested_values
from engine.assignment import DepartmentDirectory, assign
from engine.context import DefinitionParts, EngineContext
from engine.hooks import HookEvent, TaskHook
from engine.models import HumanTask, InstanceDepartment, ProcessInstance, TaskStatus
from engine.models.tasks import ACTIVE_STATUSES
from engine.spiff import WorkflowRun


def sync_human_tasks(
    session: Session,
    ctx: EngineContext,
    instance: ProcessInstance,
    parts: DefinitionParts,
    run: WorkflowRun,
    now: datetime,
    directory: DepartmentDirectory,
) -> list[HumanTask]:
    """Insert rows for new waiting tasks, cancel rows the workflow dropped; return the new rows."""
    ready = {t.id: t for t in run.ready_human_tasks()}
    active = session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status.in_(ACTIVE_STATUSES))
    ).scalars()
    known: set[str] = set()
    for row in active:
        known.add(row.spiff_task_id)
        if row.spiff_task_id not in ready:
            # Removed by the workflow itself: an interrupting boundary event, a cancel end event.
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            audit.record(session, "task_cancelled", at=now, instance_id=instance.id, task_id=row.id,
                         department_id=row.department_id, payload={"task": row.name})
            ctx.listeners.emit(session, HookEvent(TaskHook.CANCELLED, instance, row, now))
    created = []
    unit_variables = parts.catalog.get("unit_variables", ())
    joined: set[int] | None = None
    for waiting in ready.values():
        if waiting.id in known:
            continue
        element = parts.element(waiting.element_id)
        role, department_id = assign(element, waiting.data, directory)
        row = HumanTask(
            instance_id=instance.id,
            spiff_task_id=waiting.id,
            process_id=waiting.process_id,
            element_id=waiting.element_id,
            name=waiting.name,
            role=role,
            department_id=department_id,
            status=TaskStatus.OPEN,
            form_key=element.get("form"),
            properties=element.get("properties") or {},
            context=_context(unit_variables, parts.form(element.get("form")), waiting.data),
            created_at=now,
        )
        session.add(row)
        created.append(row)
        if department_id is not None:
            if joined is None:  # one query per change, not one per new task
                joined = set(session.execute(select(InstanceDepartment.department_id)
                                             .where(InstanceDepartment.instance_id == instance.id)).scalars())
            if department_id not in joined:
                joined.add(department_id)
                session.add(InstanceDepartment(instance_id=instance.id, department_id=department_id))
    if created:
        session.flush()
    for row in created:
        audit.record(session, "task_created", at=now, instance_id=instance.id, task_id=row.id,
                     department_id=row.department_id, payload={"task": row.name, "element": row.element_id})
        ctx.listeners.emit(session, HookEvent(TaskHook.CREATED, instance, row, now))
    return created


def join_case(session: Session, instance_id: int, department_id: int) -> None:
    """Record that the department that started a case takes part in it."""
    session.add(InstanceDepartment(instance_id=instance_id, department_id=department_id))


def _context(unit_variables: Collection[str], form: Mapping[str, Any] | None, data: Mapping[str, Any]
             ) -> dict[str, Any]:
    """What a task keeps of the case data: the unit variables, and its form's suggested values."""
    context: dict[str, Any] = {k: v for k in unit_variables if isinstance(v := data.get(k), str)}
    suggested = suggested_values.read(form, data)
    if suggested and suggested_values.CONTEXT_KEY not in context:
        context[suggested_values.CONTEXT_KEY] = suggested
    return context
