"""The department scoreboard (考评) and one department's tasks, overdue first."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from escalation import boards, urging
from escalation.boards import Mark, ScoreRow
from web.auth.session import current_actor
from web.db import now, read_session
from web.formatting import duration, local_time
from web.i18n import current_lang
from web.supervise.access import require_department, scored_departments, supervision_page
from web.supervise.csv_export import csv_response
from web.supervise.periods import PERIODS, read_period

DRILL_DOWN_LIMIT = 200


@supervision_page
def departments() -> str | Response:
    """Every department the reader covers with its scores; ``?format=csv`` downloads them."""
    period = read_period(now())
    session = read_session()
    rows = boards.scoreboard(session, now(), departments=scored_departments(session), since=period.since,
                             until=period.until)
    marks = boards.rating_forms(session).marks  # the columns are the rating form's marks
    if request.args.get("format") == "csv":
        return _csv(rows, marks)
    return render_template("supervise/departments.html", rows=rows, marks=marks, period=period, periods=PERIODS)


def sign_time(seconds: float | None) -> str:
    """A median time to sign, to the second below an hour ("1分8秒", "45秒")."""
    # Whole minutes showed a 40 s median as "0分钟", which reads as "signed at once".
    if seconds is None:
        return ""
    whole = int(round(seconds))
    if whole >= 3600:
        return duration(whole)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return _("%(s)s s", s=rest)
    if not rest:
        return _("%(m)s min", m=minutes)
    return _("%(m)s min %(s)s s", m=minutes, s=rest)


def _percent(rate: float | None) -> object:
    return "" if rate is None else round(rate * 100, 1)


def _title(mark: Mark) -> str:
    return mark.title_en if current_lang() == "en" and mark.title_en else mark.title


def _csv(rows: list[ScoreRow], marks: tuple[Mark, ...]) -> Response:
    header = [_("Department code"), _("Department"), _("Report-in rate (%)"), _("On-time completion rate (%)"),
              _("Median time to sign (minutes)"), _("Open"), _("Overdue"), _("Completed"), _("Ratings"),
              *(_title(m) for m in marks)]
    body = [[r.code, r.name, _percent(r.stats.report_in_rate), _percent(r.stats.on_time_rate),
             "" if r.stats.median_sign_seconds is None else round(r.stats.median_sign_seconds / 60, 1),
             r.stats.open, r.stats.overdue, r.stats.completed, r.ratings.count,
             *(r.ratings.mean(m.name) for m in marks)] for r in rows]
    return csv_response(f"departments-{local_time(now(), '%Y%m%d-%H%M')}.csv", header, body)


@supervision_page
def department(code: str) -> str:
    """One department's scores and its tasks, overdue first (404 outside the reader's departments)."""
    require_department(code)
    session = read_session()
    name = boards.department_name(session, code)
    period = read_period(now())
    score = boards.scoreboard(session, now(), departments=[code], since=period.since, until=period.until)[0]
    tasks = boards.department_tasks(session, code, now(), limit=DRILL_DOWN_LIMIT)
    return render_template(
        "supervise/department.html", code=code, name=name, score=score, marks=boards.rating_forms(session).marks,
        tasks=tasks, now=now(), period=period,
        periods=PERIODS,
        limit=DRILL_DOWN_LIMIT, urged=urging.urgings_for_tasks(session, [t.task_id for t in tasks]),
        may_urge=urging.may_urge(current_actor()))
