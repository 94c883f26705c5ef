"""追加召集部门 on the whistle board: the form's choices and its post."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import whistle_changes, whistle_rules
from engine.actors import Actor
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleRevision
from engine.models import InstanceStatus
from engine.whistles import Board
from web import permissions
from web.auth.session import allowed, current_actor
from web.db import now, services, write
from web.forms import Option
from web.i18n import refusal_text, translate


def choices(session: Session, actor: Actor, board: Board) -> list[Option] | None:
    """The departments the actor may add to this running whistle, or None when the form is not theirs to use."""
    seats = whistle_rules.street_seats(session, actor, starting=True)
    officer = any(s.department_code == board.street for s in seats)
    if not officer or board.status != InstanceStatus.RUNNING:
        return None
    busy = whistle_rules.working(session, board.id)
    return [Option(d.code, d.name) for d in whistle_rules.summonable(session) if d.code not in busy]


@allowed(permissions.blows_whistles)
def add_department(instance_id: int) -> Response:
    """Summon the chosen department with the reason typed; any refusal comes back to the board as a message."""
    actor, ctx = current_actor(), services().ctx
    code = request.form.get("department", "").strip()[:32]
    reason = request.form.get("reason", "")[:whistle_changes.REASON_MAX + 1]
    try:
        write(lambda session: whistle_changes.add_department(session, ctx, actor, instance_id, code, reason,
                                                             now=now()))
    except StaleRevision:
        raise
    except NotFound:
        raise
    except InvalidInput as error:
        flash(refusal_text(error), "error")
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("The department has been summoned: it will find the whistle in its queue to sign for."), "success")
    return redirect(url_for("street.show", instance_id=instance_id) + "#add-department")
