"""The street's whistles: the list, each whistle's per-department board, and verifying or rating a department."""
from __future__ import annotations

from typing import Any

from flask import render_template, url_for

from engine import whistle_changes, whistles, withdrawal
from engine.actors import Actor
from engine.errors import NotFound
from engine.models import HumanTask
from escalation.boards import rating_forms
from escalation.supervision import clocks_for_badges
from web import permissions
from web.auth.session import allowed, current_actor
from web.cases import may_withdraw_case
from web.db import read_session, services
from web.deadlines import most_urgent
from web.formatting import N_
from web.forms import Option, fields_for
from web.query import IntParam
from web.street import changes
from web.street.ratings import case_ratings
from web.street.uploaders import uploader_units

PAGE_SIZE = 50
OFFSET = IntParam("offset", "Whistles to skip.", low=0, high=1_000_000, default=0)

# State labels (English ids, translated when shown). Stage labels are the tasks' names in the BPMN.
STATE_LABELS = {"done": N_("Finished"), "running": N_("In progress"), "waiting": N_("Not yet"),
                "stopped": N_("Stopped"), "refused": N_("Refused")}
STATUS_LABELS = {"running": N_("Under way"), "completed": N_("Closed"), "cancelled": N_("Cancelled"),
                 "suspended": N_("Suspended")}
ACTION_LABELS = {"Task_verify": N_("Verify the result"), "Task_rate": N_("Rate the department"),
                 "Task_reassign": N_("Summon another department")}


@allowed(permissions.follows_whistles)
def index() -> str:
    """我的吹哨: the whistles of the reader's streets, newest first."""
    offset = OFFSET.read() or 0
    session = read_session()
    rows, more = whistles.street_whistles(session, current_actor(), limit=PAGE_SIZE, offset=offset)
    try:
        choices = _choice_labels(whistles.start_form(session, services().ctx))
    except NotFound:  # nothing deployed yet: the list is empty anyway
        choices = {}
    return render_template("street/index.html", rows=rows, more=more, offset=offset, page_size=PAGE_SIZE,
                           choices=choices, status_labels=STATUS_LABELS,
                           blows=permissions.blows_whistles(current_actor()))


@allowed(permissions.follows_whistles)
def show(instance_id: int) -> str:
    """One whistle's board: each summoned department's stages, deadlines and the street's open tasks."""
    session = read_session()
    board = whistles.board(session, current_actor(), instance_id)
    clocks = clocks_for_badges(session, board.running_task_ids)
    deadlines = {}
    for row in board.departments:
        running = row.running
        if running is not None and running.task_id is not None:
            due = most_urgent(clocks.get(running.task_id, []), row.code)
            if due is not None:
                deadlines[running.task_id] = due.deadline_at
    choices = _choice_labels(whistles.form_of(session, services().ctx, board.definition_id))
    may_withdraw = may_withdraw_case(session, services().ctx, current_actor(), instance_id)
    names = {d.code: d.name for d in board.departments}
    owners = uploader_units(session, board.attachments, board.street, names)
    addable = changes.choices(session, current_actor(), board)
    forms = rating_forms(session)  # the marks are the rating form's integer fields
    return render_template("street/board.html", board=board, clocks=clocks, deadlines=deadlines, choices=choices,
                           names=names, addable=addable, reason_max=whistle_changes.REASON_MAX,
                           may_withdraw=may_withdraw, owners=owners, ratings=case_ratings(session, instance_id, forms),
                           rating_marks=forms.marks,
                           reason_limits=(withdrawal.REASON_MIN, withdrawal.REASON_MAX),
                           state_labels=STATE_LABELS, status_labels=STATUS_LABELS,
                           action_labels=ACTION_LABELS)


def after_completion(actor: Actor, task: HumanTask) -> str | None:
    """Where the street goes after 核验 or 评价: back to that whistle's board, where the next department waits."""
    if task.element_id in ACTION_LABELS and permissions.follows_whistles(actor):
        return url_for("street.show", instance_id=task.instance_id)
    return None


def _choice_labels(schema: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Labels of the start form's choices (type, category) by field and value, in the reader's language."""
    found: dict[str, dict[str, str]] = {}
    for f in fields_for(schema, department_options=[]):
        if f.options:
            found[f.name] = {o.value: o.label for o in f.options if isinstance(o, Option)}
    return found
