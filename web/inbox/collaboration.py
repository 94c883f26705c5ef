"""The task page's comments (留言) and form draft: what it shows of them, and the forms that post them.

Both work without JavaScript (plain forms, CSRF token, redirect back); ``js/drafts.js`` adds
autosave by posting the same draft form with ``Accept: application/json``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import comments, drafts, tasks
from engine.actors import Actor
from engine.comments import CommentView
from engine.errors import Conflict, Forbidden, InvalidInput, StaleRevision, WhistleError
from web.auth.session import current_actor, login_required
from web.db import now, read_session, services, write
from web.formatting import local_time
from web.forms import parse
from web.i18n import refusal_text, translate
from web.problems import status_of


@dataclass(frozen=True)
class Talk:
    """The comments of the task's case, the reader's own draft, and the comment form as typed."""

    comments: list[CommentView]
    draft_at: datetime | None = None  # when the restored draft was saved (None: nothing restored)
    draft_values: dict[str, Any] | None = None
    comment_body: str = ""
    comment_error: str = ""


def talk_for(session: Session, actor: Actor, task_id: int, instance_id: int, *, restore: bool,
             comment_body: str = "", comment_error: str = "") -> Talk:
    """What the task page shows of comments and drafts (the draft only when the form is not being re-shown)."""
    draft = drafts.load(session, actor, task_id) if restore else None
    return Talk(comments.for_case(session, actor, instance_id),
                draft.updated_at if draft is not None and draft.data else None,
                draft.data if draft is not None and draft.data else None, comment_body, comment_error)


@login_required
def comment(task_id: int) -> Response | tuple[str, int]:
    """Post a comment on the task; 422 re-shows the page with the text kept and the error beside it."""
    from web.inbox.task_views import render_task

    actor, ctx = current_actor(), services().ctx
    body = request.form.get("body", "")
    try:
        write(lambda session: comments.add(session, ctx, actor, body, now=now(), task_id=task_id))
    except InvalidInput as error:
        message = refusal_text(error)
        return render_task(task_id, comment_body=body, comment_error=message, status=422)
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
        return redirect(url_for("inbox.task", task_id=task_id, _anchor="comments"))
    flash(_("Your comment is posted; everyone on the case can read it."), "success")
    return redirect(url_for("inbox.task", task_id=task_id, _anchor="comments"))


@login_required
def save_draft(task_id: int) -> Response | tuple[Response, int]:
    """Keep the task form as typed as the reader's draft (files are not kept); JSON for the autosave script."""
    actor, ctx = current_actor(), services().ctx
    found = tasks.detail(read_session(), ctx, actor, task_id)
    data = parse(found.form, request.form)
    try:
        saved = write(lambda session: drafts.save(session, ctx, actor, task_id, data, now=now()))
    except (InvalidInput, Conflict, Forbidden) as error:
        if isinstance(error, StaleRevision):
            raise
        message = _draft_error(error)
        if _wants_json():
            return jsonify({"saved": False, "message": message}), status_of(error)
        flash(message, "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    message = _("Draft saved at %(time)s", time=local_time(saved.updated_at, "%H:%M"))
    if _wants_json():
        return jsonify({"saved": True, "message": message, "saved_at": saved.updated_at.isoformat()})
    flash(message, "success")
    return redirect(url_for("inbox.task", task_id=task_id, _anchor="task-form"))


@login_required
def discard_draft(task_id: int) -> Response:
    """Throw the reader's draft away and show the empty form."""
    actor = current_actor()
    write(lambda session: drafts.discard(session, actor, task_id))
    flash(_("The draft is discarded."), "success")
    return redirect(url_for("inbox.task", task_id=task_id, _anchor="task-form"))


def _wants_json() -> bool:
    """The autosave script asks for JSON; a plain form post wants the page back."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _draft_error(error: WhistleError) -> str:
    """Why a draft was not kept, in the reader's language."""
    if isinstance(error, InvalidInput) and error.errors:
        return "；".join(translate(e.template, e.params) for e in error.errors)
    return translate(error.template, error.params)
