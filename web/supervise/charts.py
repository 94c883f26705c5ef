"""Chart data for the board as JSON (session-authenticated): by department, by level, by week."""
from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from escalation import boards
from web.db import now, read_session
from web.supervise.access import scope, supervision_page
from web.supervise.filters import BoardFilters
from web.supervise.levels import colour, level_name

TREND_WEEKS = 12


@dataclass(frozen=True)
class _Scope:
    departments: list[str] | None
    street: str | None
    category: str | None


def _scope() -> _Scope:
    """The board's filters the charts follow, limited to the reader's departments."""
    filters = BoardFilters.from_args(request.args)
    return _Scope(scope(filters.department), filters.street or None, filters.category or None)


@supervision_page
def by_department() -> Response:
    """Overdue tasks per department, most first."""
    s = _scope()
    rows = boards.overdue_by_department(read_session(), now(), departments=s.departments, street=s.street,
                                        category=s.category)
    return jsonify({
        "title": _("Overdue tasks by department"), "series": _("Overdue tasks"), "empty": _("No overdue tasks."),
        "items": [{"code": r.code, "name": r.name, "short_name": r.short_name or r.name, "value": r.tasks}
                  for r in rows],
    })


@supervision_page
def by_level() -> Response:
    """Overdue tasks per highest ladder level reached."""
    s = _scope()
    rows = boards.overdue_by_level(read_session(), now(), departments=s.departments, street=s.street,
                                   category=s.category)
    return jsonify({
        "title": _("Overdue tasks by ladder level"), "series": _("Overdue tasks"), "empty": _("No overdue tasks."),
        "items": [{"level": r.level, "label": level_name(r.level), "colour": colour(r.level), "value": r.tasks}
                  for r in rows],
    })


@supervision_page
def trend() -> Response:
    """Overdue events per ISO week over the last twelve weeks."""
    s = _scope()
    rows = boards.weekly_trend(read_session(), now(), weeks=TREND_WEEKS, departments=s.departments,
                               street=s.street, category=s.category)
    return jsonify({
        "title": _("Overdue events per week"), "series": _("Overdue events"), "empty": _("No overdue events."),
        "items": [{"week": r.week, "starts": r.starts.date().isoformat(), "value": r.events} for r in rows],
    })
