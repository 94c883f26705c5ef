"""Pages: case repair (运维) for one case: where it stands, suspend, resume, retry a failed step, move a token."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import incidents, repair
from engine.errors import Conflict, Forbidden, InvalidInput, ProcessFailed, StaleRevision
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, read_session, services, write
from web.i18n import translate


def token_states() -> dict[str, str]:
    """How each kind of token reads, in the reader's language."""
    return {"ready": _("Waiting for a person"), "waiting": _("Waiting for an event"),
            "started": _("In a called process"), "error": _("Failed"),
            "dead_end": _("Dead end: nothing follows")}
ACTIONS = ("suspend", "resume", "retry", "move")
VARIABLES_MAX_CHARS = repair.MAX_VARIABLES_BYTES


def register(bp: Blueprint) -> None:
    """Add this part's routes to the operate blueprint."""
    bp.add_url_rule("/cases/<id:instance_id>", "case", case_page, methods=["GET"])
    bp.add_url_rule("/cases/<id:instance_id>/<any(suspend, resume, retry, move):action>", "repair_case",
                    repair_case, methods=["POST"])


@allowed(permissions.designs)
def case_page(instance_id: int) -> str:
    """Where the case stands and the repair forms (administrators act; designers see)."""
    return _render(instance_id)


@allowed(permissions.administers)
def repair_case(instance_id: int, action: str) -> Response | tuple[str, int]:
    """One repair action with its reason; refusals keep what was typed."""
    form = {k: request.form.get(k, "")[:VARIABLES_MAX_CHARS + 1] for k in ("reason", "variables", "token", "element")}
    actor, ctx = current_actor(), services().ctx
    run: Callable[[Session], Any]
    if action == "suspend":
        def run(session: Session) -> Any:
            return repair.suspend(session, ctx, actor, instance_id, form["reason"], now=now())
        done = _("The case is suspended: its tasks, timers and deadlines wait until it is resumed.")
    elif action == "resume":
        def run(session: Session) -> Any:
            return repair.resume(session, ctx, actor, instance_id, form["reason"], now=now())
        done = _("The case is resumed.")
    elif action == "retry":
        variables = _variables(form["variables"])
        if isinstance(variables, str):
            return _render(instance_id, action=action, form=form, errors={"variables": variables}), 422

        def run(session: Session) -> Any:
            return repair.retry(session, ctx, actor, instance_id, form["reason"], now=now(), variables=variables)
        done = _("The case ran again; its incidents are resolved.")
    else:
        def run(session: Session) -> Any:
            return repair.move(session, ctx, actor, instance_id, form["token"], form["element"], form["reason"],
                               now=now())
        done = _("The token is moved.")
    try:
        write(run)
    except InvalidInput as error:
        read_session().rollback()
        errors = {e.field: translate(e.template, e.params) for e in error.errors}
        return _render(instance_id, action=action, form=form, errors=errors), 422
    except ProcessFailed as error:
        read_session().rollback()
        message = _("The case could not continue: %(reason)s", reason=translate(error.template, error.params))
        return _render(instance_id, action=action, form=form, errors={"_": message}), 422
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(done, "success")
    return redirect(url_for("operate.case", instance_id=instance_id))


def _variables(text: str) -> dict[str, Any] | str:
    """The variables typed as a JSON object, or the error to show."""
    if not text.strip():
        return {}
    if len(text) > VARIABLES_MAX_CHARS:
        return _("At most %(n)s characters.", n=VARIABLES_MAX_CHARS)
    try:
        value = json.loads(text)
    except ValueError:
        return _('Write the variables as a JSON object, e.g. {"urgent": true}.')
    if not isinstance(value, dict):
        return _('Write the variables as a JSON object, e.g. {"urgent": true}.')
    return value


def _render(instance_id: int, *, action: str = "", form: dict[str, str] | None = None,
            errors: dict[str, str] | None = None) -> str:
    session, ctx, actor = read_session(), services().ctx, current_actor()
    stands = repair.where_it_stands(session, ctx, actor, instance_id)
    parts = ctx.parts(session, stands.instance.definition_id)
    return render_template(
        "operate/case.html", case=stands.instance, stands=stands, parts=parts,
        open_incidents=incidents.open_for(session, instance_id), may_repair=repair.may_repair(actor),
        action=action, form=form or {}, errors=errors or {}, token_states=token_states(),
        reason_limits=(repair.REASON_MIN, repair.REASON_MAX))
