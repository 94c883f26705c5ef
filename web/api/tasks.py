"""API: inbox listing, task detail, claim, unclaim and complete."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify
from sqlalchemy.orm import Session

from engine import inbox, tasks
from engine.models import TaskStatus
from web.api import payloads
from web.api.auth import current_actor
from web.api.params import json_object
from web.db import now, read_session, services, write
from web.query import ChoiceParam, paging

SCOPE = ChoiceParam("scope", "Whose tasks.", choices=tuple(s.value for s in inbox.Scope),
                    default=inbox.Scope.DEPARTMENT.value)
STATUS = ChoiceParam("status", "Which tasks.", choices=("open", "claimed", "completed"), default="open")
LIMIT, OFFSET = paging(200)
LIST_PARAMS = (SCOPE, STATUS, LIMIT, OFFSET)


def register(bp: Blueprint) -> None:
    """Add the task routes."""
    bp.add_url_rule("/tasks", "list_tasks", list_tasks, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>", "get_task", get_task, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/claim", "claim_task", claim_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/unclaim", "unclaim_task", unclaim_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/complete", "complete_task", complete_task, methods=["POST"])


def list_tasks() -> Response:
    """``?scope=mine|department&status=open|claimed|completed&limit=&offset=``."""
    scope = inbox.Scope(SCOPE.read())
    status = TaskStatus(STATUS.read())
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    rows, more = inbox.inbox_page(read_session(), current_actor(), scope, status, limit=limit, offset=offset)
    return jsonify({
        "items": [payloads.task_row(r) for r in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    })


def get_task(task_id: int) -> Response:
    """One task with its form schema."""
    found = tasks.detail(read_session(), services().ctx, current_actor(), task_id)
    body = payloads.task(found.task, department=found.department_code, assignee=found.assignee, form=found.form)
    body["may_work"] = found.may_work
    return jsonify(body)


def claim_task(task_id: int) -> Response:
    """Take a task; 409 names who got it first."""
    return _act(task_id, tasks.claim)


def unclaim_task(task_id: int) -> Response:
    """Give a task back to the department queue."""
    return _act(task_id, tasks.unclaim)


def complete_task(task_id: int) -> Response:
    """Complete a task with ``{"data": {...}}``; 422 lists invalid fields, nothing changes."""
    data = json_object("CompleteRequest").get("data", {})
    return _act(task_id, lambda s, ctx, actor, tid, now: tasks.complete(s, ctx, actor, tid, data, now=now))


def _act(task_id: int, action: Callable[..., object]) -> Response:
    actor = current_actor()
    ctx = services().ctx

    def unit(session: Session) -> tasks.TaskDetail:
        action(session, ctx, actor, task_id, now=now())
        return tasks.detail(session, ctx, actor, task_id)

    found = write(unit)
    body = payloads.task(found.task, department=found.department_code, assignee=found.assignee)
    return jsonify(body)
