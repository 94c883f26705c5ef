"""API: the task query (inboxes and beyond), task detail, claim, unclaim and complete."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, jsonify
from sqlalchemy.orm import Session

from engine import inbox, task_query, tasks
from engine.actors import Actor
from engine.context import EngineContext
from engine.models import HumanTask, ProcessInstance, TaskStatus
from escalation.task_due import current_deadlines
from web.api import idempotent, payloads, preconditions
from web.api.auth import current_actor
from web.api.idempotent import Answer
from web.api.list_params import BoolParam, ChoicesParam
from web.api.params import json_object
from web.db import now, read_session, services
from web.inbox import uploads
from web.query import ChoiceParam, IdParam, InstantParam, RoleParam, TextParam, paging

SCOPE = ChoiceParam("scope", "Whose tasks: the caller's own (held or done by them) or their departments'.",
                    choices=tuple(s.value for s in inbox.Scope), default=inbox.Scope.DEPARTMENT.value)
STATUS = ChoicesParam("status", "Which tasks; repeat for several (status=open&status=claimed).",
                      choices=tuple(s.value for s in TaskStatus), default=(TaskStatus.OPEN.value,))
LIMIT, OFFSET = paging(200)
# --- the task query's filters (issue 10): all optional, all combined with AND ---
INSTANCE = IdParam("instance", "Only tasks of this case.")
PROCESS = TextParam("process", "Only tasks of cases of this process key.", max_length=128)
ELEMENT = TextParam("element", "Only tasks of this BPMN element id.", max_length=128)
BUSINESS_KEY = TextParam("business_key", "Only tasks of the case with this business key.", max_length=128)
DEPARTMENT = TextParam("department", "Only tasks sitting in this department (code).", max_length=32)
ASSIGNEE = TextParam("assignee", "Only tasks held (or done) by this username.", max_length=64)
ROLE = RoleParam("role", "Only tasks whose candidates hold this role (a role code the organisation declares).",
                 max_length=64)
DUE_BEFORE = InstantParam("due_before", "Only tasks whose current deadline (earliest running clock) is at or before "
                                        "this instant.")
DUE_AFTER = InstantParam("due_after", "Only tasks whose current deadline is after this instant.")
OVERDUE = BoolParam("overdue", "true: only overdue tasks (a running clock past its deadline); false: none of them.")
TEXT = TextParam("q", "Words that must all appear in the case title or the task name.", max_length=100)
SORT = ChoiceParam("sort", "Order (- for descending; default created, or -completed when listing only completed "
                           "tasks); tasks without a deadline or completion come last.",
                   choices=tuple(s.value for s in task_query.Sort))
LIST_PARAMS = (SCOPE, STATUS, INSTANCE, PROCESS, ELEMENT, BUSINESS_KEY, DEPARTMENT, ASSIGNEE, ROLE, DUE_BEFORE,
               DUE_AFTER, OVERDUE, TEXT, SORT, LIMIT, OFFSET)
# --- end of the task query's filters ---


def register(bp: Blueprint) -> None:
    """Add the task routes."""
    bp.add_url_rule("/tasks", "list_tasks", list_tasks, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>", "get_task", get_task, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/claim", "claim_task", claim_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/unclaim", "unclaim_task", unclaim_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/complete", "complete_task", complete_task, methods=["POST"])


def list_tasks() -> Response:
    """The caller's or their departments' tasks, filtered, sorted and counted."""
    statuses = tuple(TaskStatus(s) for s in STATUS.read())
    sort = SORT.read() or ("-completed" if statuses == (TaskStatus.COMPLETED,) else "created")
    role = ROLE.read()
    query = task_query.TaskQuery(
        scope=inbox.Scope(SCOPE.read()), statuses=statuses, instance_id=INSTANCE.read(), process=PROCESS.read(),
        element=ELEMENT.read(), business_key=BUSINESS_KEY.read(), department=DEPARTMENT.read(),
        assignee=ASSIGNEE.read(), role=role or None, text=TEXT.read() or "",
        due_before=DUE_BEFORE.read(), due_after=DUE_AFTER.read(), overdue=OVERDUE.read(), now=now(),
        sort=task_query.Sort(sort), deadlines=current_deadlines)
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    found = task_query.page(read_session(), current_actor(), query, limit=limit, offset=offset)
    return jsonify({
        "items": [payloads.queried_task(r) for r in found.rows],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if found.more else None,
        "total": found.total,
    })


def get_task(task_id: int) -> Response:
    """One task with its form schema; its ETag covers the task and its case's revision."""
    session = read_session()
    found = tasks.detail(session, services().ctx, current_actor(), task_id)
    body = payloads.task(found.task, department=found.department_code, assignee=found.assignee, form=found.form)
    body["may_work"] = found.may_work
    return preconditions.tagged(jsonify(body), preconditions.task_etag(found.task, _revision(session, found.task)))


def claim_task(task_id: int) -> Response:
    """Take a task; 409 names who got it first."""
    return act(task_id, tasks.claim)


def unclaim_task(task_id: int) -> Response:
    """Give a task back to the department queue."""
    return act(task_id, tasks.unclaim)


def complete_task(task_id: int) -> Response:
    """Complete a task with ``{"data": {...}}``; 422 lists invalid fields, nothing changes."""
    data = json_object("CompleteRequest").get("data", {})

    def complete(session: Session, ctx: EngineContext, actor: Actor, tid: int, *, now: datetime) -> None:
        # Uploads (POST /attachments) named in the data go to the case, as the task page gives them.
        found = tasks.detail(session, ctx, actor, tid)
        lists = {k: v for k, v in data.items() if isinstance(v, list)}  # anything else fails the form check
        uploads.attach(session, actor, found.form, lists, found.task.instance_id)
        tasks.complete(session, ctx, actor, tid, data, now=now)

    return act(task_id, complete)


def act(task_id: int, action: Callable[..., object]) -> Response:
    """Run a task action once (Idempotency-Key), after checking If-Match; answer with the task and its ETag."""
    actor = current_actor()
    ctx = services().ctx
    at = now()

    def unit(session: Session) -> Answer:
        preconditions.check_task(session, actor, task_id)
        action(session, ctx, actor, task_id, now=at)
        found = tasks.detail(session, ctx, actor, task_id)
        body = payloads.task(found.task, department=found.department_code, assignee=found.assignee)
        return idempotent.answer(200, body, ETag=preconditions.task_etag(found.task, _revision(session, found.task)))

    return idempotent.respond(unit)


def _revision(session: Session, task: HumanTask) -> int:
    instance = session.get(ProcessInstance, task.instance_id)  # in the session already: no query
    assert instance is not None
    return instance.revision
