"""API routes for work distribution: assign (指派) and delegate (转交) a task, its colleagues, add a department."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.orm import Session

from engine import task_assignment, whistle_changes
from engine.cases import case_record
from engine.models import ProcessDefinition
from web.api import payloads
from web.api import tasks as task_routes
from web.api.auth import current_actor
from web.api.params import json_object
from web.db import now, read_session, services, write


def register(bp: Blueprint) -> None:
    """Add the routes of this area."""
    bp.add_url_rule("/tasks/<id:task_id>/assign", "assign_task", assign_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/delegate", "delegate_task", delegate_task, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/candidates", "task_candidates", task_candidates, methods=["GET"])
    bp.add_url_rule("/instances/<id:instance_id>/departments", "add_department", add_department, methods=["POST"])


def assign_task(task_id: int) -> Response:
    """``{"user": USERNAME, "note": "..."}``: a dispatcher or head gives the task to a colleague (403, 409, 422)."""
    return _hand_over(task_id, "AssignRequest", task_assignment.assign)


def delegate_task(task_id: int) -> Response:
    """``{"user": USERNAME, "note": "..."}``: the holder passes the task to a colleague (403, 409, 422)."""
    return _hand_over(task_id, "DelegateRequest", task_assignment.delegate)


def task_candidates(task_id: int) -> Response:
    """The colleagues who may work on a task of the caller's department, and whether the caller may hand it out."""
    actor = current_actor()
    task, colleagues = task_assignment.candidates(read_session(), actor, task_id)
    return jsonify({
        "items": [{"username": c.username, "display_name": c.display_name, "roles": list(c.roles),
                   "holds_it": c.holds_it} for c in colleagues],
        "may_assign": task_assignment.may_assign(actor, task),
        "may_delegate": task_assignment.may_delegate(actor, task),
    })


def add_department(instance_id: int) -> Response:
    """``{"department": CODE, "reason": "..."}``: summon one more department to a running whistle (追加召集部门)."""
    body = json_object("AddDepartmentRequest")
    actor, ctx = current_actor(), services().ctx

    def unit(session: Session) -> dict[str, object]:
        instance = whistle_changes.add_department(session, ctx, actor, instance_id, body["department"],
                                                  body["reason"], now=now())
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        return payloads.case(case_record(session, actor, instance_id), process_version=definition.version)

    return jsonify(write(unit))


def _hand_over(task_id: int, body_name: str, action: task_assignment.HandOver) -> Response:
    # The task actions' own path: If-Match checked under the lock, Idempotency-Key honoured, ETag answered.
    body = json_object(body_name)
    return task_routes.act(task_id, lambda session, ctx, actor, tid, *, now: action(
        session, ctx, actor, tid, body["user"], note=body.get("note"), now=now))
