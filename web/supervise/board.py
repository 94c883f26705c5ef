"""The overdue board: late tasks by how late they are, with filters, CSV export, 督办 and 催办."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import catalog
from engine.errors import Conflict, InvalidInput
from escalation import supervision, urging
from escalation.supervision import OverdueRow
from web.auth.session import current_actor
from web.boundary import local_target
from web.db import now, read_session, services, write
from web.formatting import duration, label, local_time
from web.i18n import translate
from web.supervise.access import department_choices, scope, street_choices, supervision_page
from web.supervise.csv_export import csv_response
from web.supervise.filters import BoardFilters
from web.supervise.levels import level_action, level_name

PAGE_SIZE = 50
CSV_LIMIT = 10_000


@supervision_page
def index() -> str | Response:
    """The board (``?department=&street=&category=&level=&offset=``); ``?format=csv`` downloads it all."""
    filters = BoardFilters.from_args(request.args)
    session = read_session()
    csv_wanted = request.args.get("format") == "csv"
    rows, more = supervision.overdue(
        session, now(), departments=scope(filters.department), street=filters.street or None,
        category=filters.category or None, level=filters.level, limit=CSV_LIMIT if csv_wanted else PAGE_SIZE,
        offset=0 if csv_wanted else filters.offset)
    streets, categories = street_choices(session), catalog.categories(session)
    street_names, category_names = dict(streets), {c.code: c.name for c in categories}
    if csv_wanted:
        return _csv(rows, street_names, category_names)
    return render_template(
        "supervise/index.html", rows=rows, more=more, filters=filters, page_size=PAGE_SIZE,
        urged=urging.urgings_for_tasks(session, [r.task_id for r in rows]),
        warnings=supervision.calendar_warnings(session), may_urge=urging.may_urge(current_actor()),
        departments=department_choices(session), streets=streets, categories=categories,
        street_names=street_names, category_names=category_names,
        level_name=level_name, level_action=level_action)


def _csv(rows: list[OverdueRow], street_names: dict[str, str], category_names: dict[str, str]) -> Response:
    header = [_("Case number"), _("Case"), _("Task"), _("Department code"), _("Department"), _("Street"),
              _("Category"), _("Clock"), _("Deadline"), _("Hours late"), _("Late by"), _("Ladder level"),
              _("Held by"), _("Years without holiday data")]
    body = [[r.instance_id, r.case_title, r.task_name, r.department, r.department_name,
             street_names.get(r.street or "", r.street), category_names.get(r.category or "", r.category),
             label(r.clock), local_time(r.deadline_at), round(r.lateness_seconds / 3600, 1),
             duration(r.lateness_seconds), level_name(r.level), r.assignee or "",
             " ".join(str(y) for y in r.missing_years)] for r in rows]
    return csv_response(f"overdue-{local_time(now(), '%Y%m%d-%H%M')}.csv", header, body)


@supervision_page
def urge(task_id: int) -> Response:
    """Send a 督办 (``kind=duban``) or 催办 (``kind=cuiban``) notice about one task, then go back."""
    actor = current_actor()
    kind, note = request.form.get("kind", ""), request.form.get("note", "")
    back = _back(request.form.get("next"))
    try:
        sent = write(lambda s: urging.urge(s, services().escalation, actor, task_id, kind, note, now()))
    except InvalidInput as error:
        flash(" ".join(translate(e.template, e.params) for e in error.errors) or translate(error.template), "error")
        return redirect(back)
    except Conflict as error:
        flash(translate(error.template, error.params), "error")
        return redirect(back)
    if not sent.targets:
        flash(_("Nobody could be notified: the department has no head and nobody may take the task."), "error")
    elif sent.kind == urging.UrgeKind.DUBAN:
        flash(_("Supervision notice (督办) sent to %(n)s people.", n=len(sent.targets)), "success")
    else:
        flash(_("Urging notice (催办) sent to %(n)s people.", n=len(sent.targets)), "success")
    return redirect(back)


def _back(target: str | None) -> str:
    """Back to the supervision page the form came from, never anywhere else."""
    return local_target(target, url_for("supervise.index"), prefix="/supervise")
