"""指派 and 转交 on the task page: the colleague select for dispatchers, heads and the holder, and its posts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import task_assignment
from engine.actors import Actor
from engine.errors import Conflict, Forbidden, InvalidInput, StaleRevision
from engine.models import HumanTask
from engine.roles import role_book
from web.auth.session import current_actor, login_required
from web.db import now, services, write
from web.forms import Option
from web.i18n import refusal_text, translate


@dataclass(frozen=True)
class HandoverForm:
    """The select of colleagues a task may go to, and whether it is assigned (指派) or passed on (转交)."""

    action: str  # assign | delegate
    colleagues: list[Option]
    note_max: int = task_assignment.NOTE_MAX


def form_for(session: Session, actor: Actor, task: HumanTask) -> HandoverForm | None:
    """The hand-over form the actor may use on ``task``, if any (dispatchers and heads assign, holders delegate)."""
    if task_assignment.may_assign(actor, task):
        action = "assign"
    elif task_assignment.may_delegate(actor, task):
        action = "delegate"
    else:
        return None
    _task, colleagues = task_assignment.candidates(session, actor, task.id)
    book = role_book(session)
    return HandoverForm(action, [Option(c.username, f"{c.display_name}（{'、'.join(book.label(r) for r in c.roles)}）")
                                 for c in colleagues if not c.holds_it])


@login_required
def assign(task_id: int) -> Response:
    """指派 the task to the chosen colleague."""
    return _hand_over(task_id, task_assignment.assign)


@login_required
def delegate(task_id: int) -> Response:
    """转交 the held task to the chosen colleague."""
    return _hand_over(task_id, task_assignment.delegate)


def _hand_over(task_id: int, action: Callable[..., HumanTask]) -> Response:
    """Hand the task over; every refusal comes back to the task page as a message."""
    actor, ctx = current_actor(), services().ctx
    user = request.form.get("user", "").strip()[:task_assignment.USERNAME_MAX + 1]
    note = request.form.get("note", "")[:task_assignment.NOTE_MAX + 1]
    try:
        write(lambda session: action(session, ctx, actor, task_id, user, note=note, now=now()))
    except StaleRevision:
        raise
    except InvalidInput as error:
        flash(refusal_text(error), "error")
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("The task was handed over; the colleague has been told."), "success")
    return redirect(url_for("inbox.task", task_id=task_id))
