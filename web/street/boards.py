"""The street's whistles: the list, each whistle's per-department board, and verifying or rating a department."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine import tasks, whistles
from engine.errors import FieldError, InvalidInput, NotFound
from engine.roles import Role
from escalation.supervision import clocks_for_tasks
from web.auth.session import current_actor, roles_required
from web.db import now, read_session, services, write
from web.deadlines import most_urgent
from web.formatting import N_
from web.forms import Option, fields_for, parse

PAGE_SIZE = 50

# Stage and state labels (English ids, translated when shown).
STAGE_LABELS = {
    "sign": N_("Signed for"),
    "report_in": N_("On site"),
    "handle": N_("Handled"),
    "verify": N_("Verified"),
    "rate": N_("Rated"),
}
STATE_LABELS = {"done": N_("Finished"), "running": N_("In progress"), "waiting": N_("Not yet")}
STATUS_LABELS = {"running": N_("Under way"), "completed": N_("Closed"), "cancelled": N_("Cancelled")}
ACTION_LABELS = {"Task_verify": N_("Verify the result"), "Task_rate": N_("Rate the department")}


@roles_required(Role.STREET_OFFICER, Role.STREET_LEADER)
def index() -> str:
    """我的吹哨: the whistles of the reader's streets, newest first."""
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    session = read_session()
    rows, more = whistles.street_whistles(session, current_actor(), limit=PAGE_SIZE, offset=offset)
    try:
        choices = _choice_labels(whistles.start_form(session, services().ctx))
    except NotFound:  # nothing deployed yet: the list is empty anyway
        choices = {}
    return render_template("street/index.html", rows=rows, more=more, offset=offset, page_size=PAGE_SIZE,
                           choices=choices, status_labels=STATUS_LABELS)


@roles_required(Role.STREET_OFFICER, Role.STREET_LEADER)
def show(instance_id: int) -> str:
    """One whistle's board: each summoned department's stages, deadlines and the street's open tasks."""
    session = read_session()
    board = whistles.board(session, current_actor(), instance_id)
    clocks = clocks_for_tasks(session, board.running_task_ids)
    deadlines = {}
    for row in board.departments:
        running = row.running
        if running is not None and running.task_id is not None:
            due = most_urgent(clocks.get(running.task_id, []), row.code)
            if due is not None:
                deadlines[running.task_id] = due.deadline_at
    choices = _choice_labels(whistles.form_of(session, services().ctx, board.definition_id))
    return render_template("street/board.html", board=board, clocks=clocks, deadlines=deadlines, choices=choices,
                           stage_labels=STAGE_LABELS, state_labels=STATE_LABELS, status_labels=STATUS_LABELS,
                           action_labels=ACTION_LABELS, task_url=_task_url)


@roles_required(Role.STREET_OFFICER, Role.STREET_LEADER)
def task(instance_id: int, task_id: int) -> str | Response | tuple[str, int]:
    """Verify (or send back) or rate one department's work, with the task's own form."""
    actor = current_actor()
    ctx = services().ctx
    session = read_session()
    row = whistles.street_task(session, actor, instance_id, task_id)
    detail = tasks.detail(session, ctx, actor, row.id)
    board = whistles.board(session, actor, instance_id)
    about = next((d for d in board.departments if d.code == row.context.get("department")), None)
    if request.method == "GET":
        return _task_page(board, about, detail, {}, [])
    data = parse(detail.form, request.form)
    try:
        write(lambda s: tasks.complete(s, ctx, actor, row.id, data, now=now()))
    except InvalidInput as error:
        return _task_page(board, about, detail, data, error.errors, 422)
    flash(_("Saved: %(task)s.", task=row.name), "success")
    return redirect(url_for("street.show", instance_id=instance_id))


def _task_page(board: whistles.Board, about: whistles.DepartmentProgress | None, detail: tasks.TaskDetail,
               data: dict[str, Any], errors: list[FieldError], status: int = 200) -> tuple[str, int]:
    fields = fields_for(detail.form, values=data, errors=errors)
    return render_template("street/task.html", board=board, about=about, detail=detail, fields=fields,
                           action_labels=ACTION_LABELS), status


def _task_url(task_id: int, instance_id: int) -> str:
    """The shared task page (``/tasks/<id>``) when the inbox area serves it, else this area's own."""
    path = f"/tasks/{task_id}"
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return url_for("street.task", instance_id=instance_id, task_id=task_id)
    return path


def _choice_labels(schema: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Labels of the start form's choices (type, category) by field and value, in the reader's language."""
    found: dict[str, dict[str, str]] = {}
    for f in fields_for(schema, department_options=[]):
        if f.options:
            found[f.name] = {o.value: o.label for o in f.options if isinstance(o, Option)}
    return found
