"""The department scoreboard (考评) and one department's tasks, overdue first."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from escalation import boards, urging
from escalation.boards import ScoreRow
from web.auth.session import current_actor
from web.db import now, read_session
from web.formatting import local_time
from web.supervise.access import require_department, scope, supervision_page
from web.supervise.csv_export import csv_response

DRILL_DOWN_LIMIT = 200


@supervision_page
def departments() -> str | Response:
    """Every department the reader covers with its scores; ``?format=csv`` downloads them."""
    rows = boards.scoreboard(read_session(), now(), departments=scope(None))
    if request.args.get("format") == "csv":
        return _csv(rows)
    return render_template("supervise/departments.html", rows=rows)


def _percent(rate: float | None) -> object:
    return "" if rate is None else round(rate * 100, 1)


def _csv(rows: list[ScoreRow]) -> Response:
    header = [_("Department code"), _("Department"), _("Report-in rate (%)"), _("On-time completion rate (%)"),
              _("Median time to sign (minutes)"), _("Open"), _("Overdue"), _("Completed"), _("Ratings"),
              _("Speed of response"), _("Cooperation"), _("Follow-through")]
    body = [[r.code, r.name, _percent(r.stats.report_in_rate), _percent(r.stats.on_time_rate),
             "" if r.stats.median_sign_seconds is None else round(r.stats.median_sign_seconds / 60, 1),
             r.stats.open, r.stats.overdue, r.stats.completed, r.ratings.count, r.ratings.speed,
             r.ratings.cooperation, r.ratings.fulfilment] for r in rows]
    return csv_response(f"departments-{local_time(now(), '%Y%m%d-%H%M')}.csv", header, body)


@supervision_page
def department(code: str) -> str:
    """One department's scores and its tasks, overdue first (404 outside the reader's departments)."""
    require_department(code)
    session = read_session()
    name = boards.department_name(session, code)
    score = boards.scoreboard(session, now(), departments=[code])[0]
    tasks = boards.department_tasks(session, code, now(), limit=DRILL_DOWN_LIMIT)
    return render_template(
        "supervise/department.html", code=code, name=name, score=score, tasks=tasks, now=now(),
        limit=DRILL_DOWN_LIMIT, urged=urging.urgings_for_tasks(session, [t.task_id for t in tasks]),
        may_urge=urging.may_urge(current_actor()))
