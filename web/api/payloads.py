"""JSON shapes of what the API returns."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.cases import CaseRecord, CaseTask, HistoryEntry
from engine.inbox import TaskRow
from engine.models import HumanTask, ProcessDefinition


def instant(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value else None


def task_row(row: TaskRow) -> dict[str, Any]:
    """An inbox line."""
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "name": row.name,
        "element_id": row.element_id,
        "status": row.status.value,
        "role": row.role.value if row.role else None,
        "context": row.context,
        "department": row.department_code,
        "department_name": row.department_name,
        "assignee": row.assignee,
        "assignee_name": row.assignee_name,
        "case_title": row.case_title,
        "process": row.process_key,
        "created_at": instant(row.created_at),
        "claimed_at": instant(row.claimed_at),
        "completed_at": instant(row.completed_at),
    }


def task(task: HumanTask, *, department: str | None, assignee: str | None,
         form: dict[str, Any] | None = None) -> dict[str, Any]:
    """One task in full, with its form schema when asked."""
    body: dict[str, Any] = {
        "id": task.id,
        "instance_id": task.instance_id,
        "name": task.name,
        "element_id": task.element_id,
        "process_id": task.process_id,
        "status": task.status.value,
        "role": task.role.value if task.role else None,
        "department": department,
        "assignee": assignee,
        "form_key": task.form_key,
        "properties": task.properties,
        "context": task.context,
        "created_at": instant(task.created_at),
        "claimed_at": instant(task.claimed_at),
        "completed_at": instant(task.completed_at),
    }
    if form is not None:
        body["form"] = form
    return body


def case_task(t: CaseTask) -> dict[str, Any]:
    """A task as listed in a case."""
    return {
        "id": t.id,
        "name": t.name,
        "element_id": t.element_id,
        "status": t.status.value,
        "department": t.department_code,
        "department_name": t.department_name,
        "assignee": t.assignee,
        "created_at": instant(t.created_at),
        "completed_at": instant(t.completed_at),
    }


def history_entry(e: HistoryEntry) -> dict[str, Any]:
    """One action of the case history."""
    return {
        "id": e.id,
        "action": e.action,
        "at": instant(e.at),
        "actor": e.actor,
        "actor_name": e.actor_name,
        "department": e.department,
        "task_id": e.task_id,
        "payload": e.payload,
    }


def case(record: CaseRecord, *, process_version: int) -> dict[str, Any]:
    """A case with its data, tasks and history."""
    i = record.instance
    return {
        "id": i.id,
        "process": i.process_key,
        "version": process_version,
        "business_key": i.business_key,
        "title": i.title,
        "status": i.status.value,
        "revision": i.revision,
        "data": i.case_data,
        "departments": [{"code": c, "name": n} for c, n in record.departments],
        "open_tasks": [case_task(t) for t in record.open_tasks],
        "tasks": [case_task(t) for t in record.tasks],
        "history": [history_entry(e) for e in record.history],
        "created_at": instant(i.created_at),
        "updated_at": instant(i.updated_at),
        "completed_at": instant(i.completed_at),
    }


def definition(d: ProcessDefinition, *, running: int | None = None) -> dict[str, Any]:
    """A definition version (without its BPMN bytes)."""
    body: dict[str, Any] = {
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "filename": d.filename,
        "sha256": d.sha256,
        "deployed_at": instant(d.deployed_at),
        "forms": sorted(d.forms),
    }
    if running is not None:
        body["running_instances"] = running
    return body
