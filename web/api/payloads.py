"""JSON shapes of what the API returns."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.case_links import Links
from engine.case_query import CaseRow
from engine.cases import CaseRecord, CaseTask, HistoryEntry
from engine.history import Entry
from engine.inbox import TaskRow
from engine.incidents import render_plain
from engine.models import Attachment, HumanTask, ProcessDefinition
from engine.task_query import QueryRow
from escalation.models import ExtensionRequest, Notification
from escalation.rates import Ranked, RateBoard
from escalation.supervision import ClockView, DepartmentStats, EscalationRow, OverdueRow


def instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None (one format everywhere, whatever the calendar's zone)."""
    return value.astimezone(UTC).isoformat() if value else None


def task_row(row: TaskRow) -> dict[str, Any]:
    """An inbox line."""
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "name": row.name,
        "element_id": row.element_id,
        "status": row.status.value,
        "role": row.role,
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
        "role": task.role,
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


def case(record: CaseRecord, *, process_version: int, links: Links | None = None) -> dict[str, Any]:
    """A case with its data, tasks, history and the linked cases the reader may see."""
    i = record.instance
    return {
        "id": i.id,
        "process": i.process_key,
        "version": process_version,
        "business_key": i.business_key,
        "title": i.title,
        "status": i.status.value,
        "revision": i.revision,
        "data": record.data,
        "departments": [{"code": c, "name": n} for c, n in record.departments],
        "open_tasks": [case_task(t) for t in record.open_tasks],
        "tasks": [case_task(t) for t in record.tasks],
        "history": [history_entry(e) for e in record.history],
        "linked_from": links.source.id if links is not None and links.source is not None else None,
        "linked_cases": [c.id for c in links.started] if links is not None else [],
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


def overdue(row: OverdueRow) -> dict[str, Any]:
    """A line of the overdue board."""
    return {
        "task_id": row.task_id, "instance_id": row.instance_id, "case_title": row.case_title,
        "task_name": row.task_name, "department": row.department, "department_name": row.department_name,
        "street": row.street, "category": row.category, "clock": row.clock, "rule": row.rule,
        "deadline_at": instant(row.deadline_at), "lateness_seconds": row.lateness_seconds, "level": row.level,
        "assignee": row.assignee, "missing_holiday_years": row.missing_years,
    }


def escalation(row: EscalationRow) -> dict[str, Any]:
    """A fired rung."""
    return {
        "id": row.id, "instance_id": row.instance_id, "task_id": row.task_id, "task_name": row.task_name,
        "department": row.department, "clock": row.clock, "level": row.level, "action": row.action,
        "due_at": instant(row.due_at), "fired_at": instant(row.fired_at), "targets": row.targets,
    }


def stats(s: DepartmentStats) -> dict[str, Any]:
    """A department's scores."""
    return {
        "department": s.department, "open": s.open, "overdue": s.overdue, "completed": s.completed,
        "on_time_completion_rate": s.on_time_rate, "median_time_to_sign_seconds": s.median_sign_seconds,
        "report_in_rate": s.report_in_rate,
    }


def rate_board(b: RateBoard) -> dict[str, Any]:
    """A month's rates per unit and roll-up unit, ranked; rates are shares (0-1) with their counts."""
    return {
        "process": b.process, "month": f"{b.month:%Y-%m}", "since": instant(b.since), "until": instant(b.until),
        "rates": [{"code": r.code, "label": r.label, "label_en": r.label_en} for r in b.rules.rates],
        "weights": dict(b.rules.weights), "units": [_ranked(line) for line in b.units],
        "groups": [_ranked(line) for line in b.groups], "unattributed": b.unattributed,
    }


def _ranked(line: Ranked) -> dict[str, Any]:
    return {"rank": line.rank, "code": line.code, "name": line.name, "answers": line.tally.answers,
            "counted": line.tally.counted, "score": line.score,
            "rates": {code: {"hits": hits, "of": line.tally.of(code), "rate": line.tally.rate(code)}
                      for code, hits in line.tally.hits.items()}}


def clock(c: ClockView) -> dict[str, Any]:
    """One rung of a task's clock."""
    return {
        "clock": c.clock, "rule": c.rule, "level": c.level, "action": c.action, "limit": c.limit,
        "started_at": instant(c.started_at), "deadline_at": instant(c.deadline_at), "due_at": instant(c.due_at),
        "fired_at": instant(c.fired_at), "stopped_at": instant(c.stopped_at),
        "missing_holiday_years": c.missing_years,
    }


def extension(r: ExtensionRequest, *, task_name: str | None = None, case_title: str | None = None) -> dict[str, Any]:
    """An extension request."""
    body: dict[str, Any] = {
        "id": r.id, "task_id": r.task_id, "instance_id": r.instance_id, "clock": r.clock,
        "extension": r.extension, "reason": r.reason, "status": r.status.value,
        "requested_at": instant(r.requested_at), "decided_at": instant(r.decided_at),
        "decision_note": r.decision_note, "old_deadline_at": instant(r.old_deadline_at),
        "new_deadline_at": instant(r.new_deadline_at),
    }
    if task_name is not None:
        body.update(task_name=task_name, case_title=case_title)
    return body


def notification(n: Notification) -> dict[str, Any]:
    """An in-app notification (English template, parameters and the filled-in text)."""
    return {
        "id": n.id, "kind": n.kind, "message": render_plain(n.template, n.params), "template": n.template,
        "params": n.params, "instance_id": n.instance_id, "task_id": n.task_id,
        "created_at": instant(n.created_at), "read_at": instant(n.read_at),
    }


# --- queries, history, forms and attachments (issue 10) ---

def queried_task(row: QueryRow) -> dict[str, Any]:
    """A line of the task query: an inbox line with the task's current deadline."""
    return {**task_row(row), "due_at": instant(row.due_at)}


def case_summary(row: CaseRow) -> dict[str, Any]:
    """A line of the case query."""
    i = row.instance
    return {"id": i.id, "process": i.process_key, "business_key": i.business_key, "title": i.title,
            "status": i.status.value, "street": row.street, "revision": i.revision,
            "created_at": instant(i.created_at), "updated_at": instant(i.updated_at),
            "completed_at": instant(i.completed_at)}


def history_action(e: Entry) -> dict[str, Any]:
    """One action of the history query (department as a code, actor as a username)."""
    return {"id": e.id, "instance_id": e.instance_id, "action": e.action, "at": instant(e.at), "actor": e.actor,
            "actor_name": e.actor_name, "department": e.department, "task_id": e.task_id, "payload": e.payload}


def attachment(a: Attachment) -> dict[str, Any]:
    """An uploaded file's description (the bytes are at its download address)."""
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "sha256": a.sha256, "instance_id": a.instance_id, "created_at": instant(a.created_at)}
