"""API for supervisors: the overdue board, escalation history, department scores, task clocks."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify

from engine.errors import NotFound
from engine.tasks import visible_task
from escalation import supervision
from web.api import payloads
from web.api.auth import current_actor
from web.db import now, read_session
from web.query import IdParam, InstantParam, IntParam, TextParam, paging
from web.supervise import access, ranking, suggestions

DEPARTMENT = TextParam("department", "Only this department (others see only their own).", max_length=32)
STREET = TextParam("street", "Only cases of this street.", max_length=32)
CATEGORY = TextParam("category", "Only this problem category.", max_length=32)
LEVEL = IntParam("level", "Only rows at or past this ladder level.", low=1, high=99)
INSTANCE = IdParam("instance", "Only this case.")
SINCE = InstantParam("since", "Rates over tasks since this instant (with a UTC offset).")
LIMIT, OFFSET = paging(500)
OVERDUE_PARAMS = (DEPARTMENT, STREET, CATEGORY, LEVEL, LIMIT, OFFSET)
ESCALATION_PARAMS = (DEPARTMENT, INSTANCE, LEVEL, LIMIT, OFFSET)
STATS_PARAMS = (SINCE,)
RATES_PARAMS = (ranking.PROCESS, ranking.MONTH)
SUGGESTION_PARAMS = (suggestions.WEEKS, suggestions.PROCESS)


def register(bp: Blueprint) -> None:
    """Add the supervision routes."""
    bp.add_url_rule("/overdue", "list_overdue", list_overdue, methods=["GET"])
    bp.add_url_rule("/escalations", "list_escalations", list_escalations, methods=["GET"])
    bp.add_url_rule("/departments/<code>/stats", "department_stats", department_stats, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/deadlines", "task_deadlines", task_deadlines, methods=["GET"])
    bp.add_url_rule("/calendar/warnings", "calendar_warnings", calendar_warnings, methods=["GET"])
    bp.add_url_rule("/rates", "rates", rates, methods=["GET"])
    bp.add_url_rule("/suggestions", "suggestion_agreement", suggestion_agreement, methods=["GET"])


def _departments() -> list[str]:
    covered = supervision.covered_units(read_session(), current_actor())
    return supervision.scope_departments((d.code for d in covered), DEPARTMENT.read())


def list_overdue() -> Response:
    """``?department=&street=&category=&level=``: tasks past a deadline, latest first."""
    level, limit, offset = LEVEL.read(), LIMIT.read() or 0, OFFSET.read() or 0
    rows, more = supervision.overdue(
        read_session(), now(), departments=_departments(), street=STREET.read(), category=CATEGORY.read(),
        level=level, limit=limit, offset=offset)
    return jsonify({"items": [payloads.overdue(r) for r in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


def list_escalations() -> Response:
    """``?department=&instance=&level=``: fired rungs, newest first."""
    level, instance_id = LEVEL.read(), INSTANCE.read()
    limit, offset = LIMIT.read() or 0, OFFSET.read() or 0
    rows, more = supervision.escalations(read_session(), departments=_departments(), instance_id=instance_id,
                                         level=level, limit=limit, offset=offset)
    return jsonify({"items": [payloads.escalation(r) for r in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


def department_stats(code: str) -> Response:
    """Open, overdue, on-time completion rate, median time to sign, 报到率 (``?since=ISO``)."""
    covered = supervision.covered_units(read_session(), current_actor())
    if code not in {d.code for d in covered}:
        abort(404, description=f"Department {code} not found.")
    since = SINCE.read()
    stats = supervision.department_stats(read_session(), code, now(), since=since)
    return jsonify(payloads.stats(stats))


def rates() -> Response:
    """``?process=&month=YYYY-MM``: the month's rates (三率) per unit and roll-up unit, ranked."""
    covered = supervision.covered_units(read_session(), current_actor())
    chosen = ranking.choose(ranking.PROCESS.read(), ranking.MONTH.read(), access.reach(covered))
    if chosen.board is None:
        raise NotFound("No process declares rates (rates: in its policy).")
    return jsonify(payloads.rate_board(chosen.board))


def suggestion_agreement() -> Response:
    """``?weeks=&process=``: how often the rules' suggestions were taken, by week, and the overrides most made."""
    covered = supervision.covered_units(read_session(), current_actor())
    units = None if supervision.covers_everything(read_session(), covered) else [d.id for d in covered]
    found = suggestions.read(units)
    return jsonify({
        "weeks": [{"start": w.start.isoformat(), "suggested": w.suggested, "agreed": w.agreed, "rate": w.rate,
                   "learned": w.learned, "learned_agreed": w.learned_agreed} for w in found.weeks],
        "overrides": [{"field": o.field, "suggested": o.suggested, "chosen": o.chosen, "count": o.count}
                      for o in found.overrides],
        "models": [{"process": m.process_key, "element": m.element_id, "decisions": m.decisions,
                    "classes": m.classes, "trained_at": payloads.instant(m.trained_at)}
                   for m in suggestions.models()]})


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
