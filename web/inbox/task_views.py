"""The task page: read the case, fill the form, complete; claim and release; ask for more time."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import tasks
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, StaleRevision
from escalation import extensions
from web.auth.session import current_actor, login_required
from web.db import now, read_session, services, write
from web.forms import parse
from web.i18n import translate
from web.inbox import collaboration, task_page, uploads
from web.inbox.task_page import ExtensionForm
from web.street import boards


@login_required
def show(task_id: int) -> str:
    """The task with the whole shared case record (404 for other departments' tasks)."""
    return _render(task_id)[0]


@login_required
def complete(task_id: int) -> Response | tuple[str, int]:
    """Complete with the posted form (claiming it first if open); 422 re-renders it with messages and input kept."""
    actor, ctx = current_actor(), services().ctx
    found = tasks.detail(read_session(), ctx, actor, task_id)
    data = parse(found.form, request.form)
    refused = uploads.take(actor, found.form, request.form, request.files, data)
    if uploads.upload_fields(found.form):
        read_session().rollback()  # the uploads committed on their own: read a fresh snapshot from here on
    if refused:
        return _render(task_id, values=data, errors=refused, status=422)

    def unit(session: Session) -> None:
        uploads.attach(session, actor, found.form, data, found.task.instance_id)
        tasks.complete(session, ctx, actor, task_id, data, now=now())

    try:
        write(unit)
    except InvalidInput as error:
        return _render(task_id, values=data, errors=error.errors or [FieldError("(form)", error.template)],
                       status=422)
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(_("%(task)s is done.", task=found.task.name), "success")
    return redirect(boards.after_completion(actor, found.task) or url_for("inbox.index", tab="department"))


@login_required
def request_extension(task_id: int) -> Response | tuple[str, int]:
    """Ask the department head for more time on one clock (延期申请)."""
    actor, esc = current_actor(), services().escalation
    form = request.form
    try:
        write(lambda session: extensions.request(
            session, esc, actor, task_id, clock=form.get("clock", ""), extension=form.get("extension", "").strip(),
            reason=form.get("reason", ""), now=now()))
    except InvalidInput as error:
        return _render(task_id, extension_form=task_page.extension_form(form, error.errors), status=422)
    except StaleRevision:
        raise
    except Conflict as error:
        flash(translate(error.template, error.params), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(_("Extension requested. The department head decides; you will find the answer in your notifications."),
          "success")
    return redirect(url_for("inbox.task", task_id=task_id))


def _render(task_id: int, *, values: dict[str, object] | None = None, errors: list[FieldError] | None = None,
            extension_form: ExtensionForm | None = None, status: int = 200, comment_body: str = "",
            comment_error: str = "") -> tuple[str, int]:
    session, actor = read_session(), current_actor()
    # Comments and the reader's draft (web/inbox/collaboration.py): a draft fills the form unless it is re-shown.
    talk = collaboration.talk_for(session, actor, task_id, tasks.visible_task(session, actor, task_id).instance_id,
                                  restore=values is None, comment_body=comment_body, comment_error=comment_error)
    page = task_page.build(session, services().ctx, actor, task_id, now(),
                           values=values if values is not None else talk.draft_values,
                           errors=errors, extension_form=extension_form)
    unplaced = [e for e in errors or [] if e.field.split("[")[0].split(".")[0] not in {f.name for f in page.fields}]
    return render_template("inbox/task.html", page=page, task=page.task, case=page.record.instance, talk=talk,
                           form_errors=[translate(e.template, e.params) for e in unplaced]), status


render_task = _render  # the comment form re-shows the page with its own error (web/inbox/collaboration.py)
