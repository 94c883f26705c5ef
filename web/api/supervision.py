"""API for supervisors: the overdue board, escalation history, department scores, task clocks."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, jsonify, request

from engine.tasks import visible_task
from escalation import supervision
from web.api import payloads
from web.api.auth import current_actor
from web.api.params import int_arg
from web.db import now, read_session


def register(bp: Blueprint) -> None:
    """Add the supervision routes."""
    bp.add_url_rule("/overdue", "list_overdue", list_overdue, methods=["GET"])
    bp.add_url_rule("/escalations", "list_escalations", list_escalations, methods=["GET"])
    bp.add_url_rule("/departments/<code>/stats", "department_stats", department_stats, methods=["GET"])
    bp.add_url_rule("/tasks/<int:task_id>/deadlines", "task_deadlines", task_deadlines, methods=["GET"])
    bp.add_url_rule("/calendar/warnings", "calendar_warnings", calendar_warnings, methods=["GET"])


def _departments() -> list[str] | None:
    actor = current_actor()
    own = sorted({s.department_code for s in actor.seats})
    return supervision.scope_departments(actor.sees_all_cases, own, request.args.get("department") or None)


def list_overdue() -> Response:
    """``?department=&street=&category=&level=``: tasks past a deadline, latest first."""
    level = int_arg("level", 0, low=0, high=99) or None
    limit = int_arg("limit", 50, low=1, high=500)
    offset = int_arg("offset", 0, low=0, high=1_000_000)
    rows, more = supervision.overdue(
        read_session(), now(), departments=_departments(), street=request.args.get("street") or None,
        category=request.args.get("category") or None, level=level, limit=limit, offset=offset)
    return jsonify({"items": [payloads.overdue(r) for r in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


def list_escalations() -> Response:
    """``?department=&instance=&level=``: fired rungs, newest first."""
    level = int_arg("level", 0, low=0, high=99) or None
    instance_id = int_arg("instance", 0, low=0, high=2**31) or None
    limit = int_arg("limit", 50, low=1, high=500)
    offset = int_arg("offset", 0, low=0, high=1_000_000)
    rows, more = supervision.escalations(read_session(), departments=_departments(), instance_id=instance_id,
                                         level=level, limit=limit, offset=offset)
    return jsonify({"items": [payloads.escalation(r) for r in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


def department_stats(code: str) -> Response:
    """Open, overdue, on-time completion rate, median time to sign, 报到率 (``?since=ISO``)."""
    actor = current_actor()
    if not actor.sees_all_cases and code not in {s.department_code for s in actor.seats}:
        abort(404, description=f"Department {code} not found.")
    since = None
    if request.args.get("since"):
        try:
            since = datetime.fromisoformat(request.args["since"])
        except ValueError:
            abort(400, description="Query parameter 'since' must be an ISO 8601 instant.")
        if since.tzinfo is None:
            abort(400, description="Query parameter 'since' needs a UTC offset.")
    stats = supervision.department_stats(read_session(), code, now(), since=since)
    return jsonify(payloads.stats(stats))


def calendar_warnings() -> Response:
    """Years without holiday data that running deadlines reach into (add them to holidays.yaml)."""
    return jsonify({"items": [
        {"year": w.year, "tasks": w.tasks, "earliest_deadline_at": payloads.instant(w.earliest_deadline)}
        for w in supervision.calendar_warnings(read_session())
    ]})


def task_deadlines(task_id: int) -> Response:
    """Every rung of a visible task's clocks."""
    session = read_session()
    visible_task(session, current_actor(), task_id)
    return jsonify({"items": [payloads.clock(c) for c in supervision.task_clocks(session, task_id)]})
