"""The case page: what the street reported, every department's work, the diagram, the timeline."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import comments, incidents, withdrawal
from engine.actors import Actor
from engine.cases import case_record
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, StaleRevision
from engine.models import InstanceStatus, ProcessInstance
from escalation import supervision
from web.auth.session import current_actor, login_required
from web.boundary import local_target
from web.cases import comment_views, linking, messages
from web.cases.diagram import case_diagram
from web.cases.reported import data_by_entry, shown_values
from web.cases.timeline import merged
from web.db import now, read_session, services, write
from web.i18n import translate


def init_app(app: Flask) -> None:
    """Register ``/cases/<id>`` and its diagram data."""
    bp = Blueprint("cases", __name__, template_folder="templates")
    bp.add_url_rule("/cases/<id:instance_id>", "show", show, methods=["GET"])
    bp.add_url_rule("/cases/<id:instance_id>/diagram", "diagram", diagram, methods=["GET"])
    bp.add_url_rule("/cases/<id:instance_id>/withdraw", "withdraw", withdraw, methods=["POST"])
    bp.add_url_rule("/cases/<id:instance_id>/comments", "comment", comment_views.comment, methods=["POST"])
    bp.add_url_rule("/cases/<id:instance_id>/messages/<name>", "send_message", messages.send, methods=["POST"])
    app.register_blueprint(bp)


@login_required
def show(instance_id: int) -> str:
    """The shared case record of a case the reader takes part in (404 for others)."""
    return _render(instance_id)


@login_required
def withdraw(instance_id: int) -> Response | tuple[str, int]:
    """Withdraw a running case with a reason and a ticked confirmation (the starting unit only); 422 keeps the text."""
    actor, ctx = current_actor(), services().ctx
    reason = request.form.get("reason", "")
    back = local_target(request.form.get("next"), url_for("cases.show", instance_id=instance_id), prefix="/whistles/")
    if request.form.get("confirm") != "yes":
        unconfirmed = {"confirm": _("Tick the box to confirm the withdrawal.")}
        return _render(instance_id, reason=reason, errors=unconfirmed), 422

    def unit(session: Session) -> None:
        withdrawal.withdraw(session, ctx, actor, instance_id, reason, now=now())

    try:
        write(unit)
    except InvalidInput as error:
        return _render(instance_id, reason=reason,
                       errors={e.field: translate(e.template, e.params) for e in error.errors}), 422
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("The case is withdrawn. The departments have been told why."), "success")
    return redirect(back)


def may_withdraw_case(session: Session, ctx: EngineContext, actor: Actor, instance_id: int) -> bool:
    """Whether ``actor`` may withdraw the case now (it runs, and they are of its starting unit)."""
    case = session.get(ProcessInstance, instance_id)
    return (case is not None and case.status == InstanceStatus.RUNNING
            and withdrawal.may_withdraw(actor, case, withdrawal.starting_roles(ctx, session, case)))


def _render(instance_id: int, *, reason: str = "", errors: dict[str, str] | None = None, comment_body: str = "",
            comment_error: str = "") -> str:
    session, ctx, actor = read_session(), services().ctx, current_actor()
    record = case_record(session, actor, instance_id)
    # Comments (web/cases/comment_views.py): the list, and the form as typed when it was refused.
    talk = {"items": comments.for_case(session, actor, instance_id), "body": comment_body, "error": comment_error}
    case = record.instance
    escalations, _count = supervision.escalations(session, instance_id=instance_id, limit=200)
    parts = ctx.parts(session, case.definition_id)
    start = parts.catalog.get("start") or {}
    start_form = parts.form(start.get("form"))
    # The timeline's first line is named as the designer named the start event (吹哨, 受理诉求, …).
    start_label = (parts.catalog.get("elements", {}).get(start.get("element")) or {}).get("name")
    may_withdraw = (case.status == InstanceStatus.RUNNING
                    and withdrawal.may_withdraw(actor, case, withdrawal.starting_roles(ctx, session, case)))
    return render_template("cases/show.html", record=record, case=case, escalations=escalations,
                           process_name=parts.name or case.process_key, start_label=start_label,
                           reported=shown_values(start_form, record.data, dict(record.departments)),
                           entry_data=data_by_entry(record, parts), department_names=dict(record.departments),
                           timeline=merged(record.history, escalations), may_withdraw=may_withdraw,
                           withdraw_reason=reason, withdraw_errors=errors or {},
                           reason_limits=(withdrawal.REASON_MIN, withdrawal.REASON_MAX), talk=talk,
                           **_incident_notice(session, actor, instance_id), **linking.shown(session, ctx, actor, case),
                           messages=messages.offered(session, ctx, actor, case))


def _incident_notice(session: Session, actor: Actor, instance_id: int) -> dict[str, object]:
    """What the case page says about the case's open incidents (cases/_incident_notice.html)."""
    found = incidents.open_for(session, instance_id)
    return {"open_incidents": found, "may_operate": incidents.may_see(actor),
            "repair_page": "operate.case" if "operate.case" in current_app.view_functions else None}


render_case = _render  # the comment form re-shows the page with its own error (web/cases/comment_views.py)


@login_required
def diagram(instance_id: int) -> Response:
    """The case's BPMN and which elements are done or waiting, as JSON for the diagram (404 for outsiders)."""
    return jsonify(case_diagram(read_session(), services().ctx, current_actor(), instance_id))
