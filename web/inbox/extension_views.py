"""Extension requests (延期申请) waiting for a department head's decision."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import inbox
from engine.errors import Conflict, StaleRevision
from escalation import extensions, supervision
from escalation.limits import Limit, LimitError
from escalation.models import ExtensionRequest
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.i18n import translate


@dataclass(frozen=True)
class Pending:
    """A request with what the head needs to decide: the deadline now and where approval would move it."""

    request: ExtensionRequest
    task_name: str
    case_title: str
    requested_by: str
    deadline_at: datetime | None
    new_deadline_at: datetime | None


@allowed(permissions.decides_extensions)
def index() -> str:
    """Every pending request of the head's departments, oldest first."""
    session, actor = read_session(), current_actor()
    rows = extensions.pending_for(session, actor)
    names = inbox.display_names(session, [row.requested_by_id for row, _name, _title in rows])
    clocks = supervision.clocks_for_badges(session, [row.task_id for row, _name, _title in rows])
    codes = {seat.department_id: seat.department_code for seat in actor.seats}
    found = []
    for row, task_name, title in rows:
        due = next((c for c in clocks.get(row.task_id, []) if c.clock == row.clock and c.is_due_level
                    and c.stopped_at is None), None)
        found.append(Pending(row, task_name, title, names.get(row.requested_by_id, "?"),
                             due.deadline_at if due else None,
                             _moved(due.deadline_at, row.extension, codes.get(row.department_id or 0)) if due
                             else None))
    return render_template("inbox/extensions.html", rows=found)


def _moved(deadline: datetime, extension: str, department: str | None) -> datetime | None:
    """Where approval would move the deadline (the engine counts it the same way when it approves)."""
    try:
        return Limit.parse(extension).due(deadline, services().escalation.calendars.for_department(department))
    except LimitError:
        return None


@allowed(permissions.decides_extensions)
def decide(request_id: int, decision: str) -> Response:
    """Approve (the deadline moves) or reject, with an optional note to the requester."""
    actor, esc = current_actor(), services().escalation
    approve = decision == "approve"
    note = request.form.get("note", "")
    try:
        write(lambda session: extensions.decide(session, esc, actor, request_id, approve=approve, note=note,
                                                now=now()))
    except StaleRevision:
        raise
    except Conflict as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("Extension approved: the deadline has moved.") if approve else _("Extension rejected."), "success")
    return redirect(url_for("inbox.extensions"))
