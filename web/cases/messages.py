"""Messages a reader may send a case from its page: boundary events whose ``sent_by`` names one of their
roles, while the task they sit on is open (e.g. the dispatcher's 召回 of a dispatch not yet signed)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import instances, message_senders
from engine.access import may_see_instance
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden
from engine.models import HumanTask, InstanceStatus, ProcessInstance
from engine.models.tasks import ACTIVE_STATUSES
from web.auth.session import current_actor, login_required
from web.db import now, services, write
from web.i18n import translate


def offered(session: Session, ctx: EngineContext, actor: Actor, case: ProcessInstance) -> list[tuple[str, str]]:
    """(message name, label) the reader may send this case now."""
    if case.status != InstanceStatus.RUNNING:
        return []
    catalog = ctx.parts(session, case.definition_id).catalog
    if not catalog.get("message_senders"):
        return []
    open_elements = set(session.execute(select(HumanTask.element_id).where(
        HumanTask.instance_id == case.id, HumanTask.status.in_(ACTIVE_STATUSES))).scalars())
    return message_senders.offered(catalog, open_elements, actor.roles)


@login_required
def send(instance_id: int, name: str) -> Response:
    """Send message ``name`` to the case (its sender rules apply), then back to the case page."""
    actor, ctx = current_actor(), services().ctx
    try:
        write(lambda session: instances.deliver_message(session, ctx, actor, instance_id, name[:128], {}, now=now(),
                                                        may_see=may_see_instance))
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("Sent: the case moves on as its diagram says."), "success")
    return redirect(url_for("cases.show", instance_id=instance_id))
