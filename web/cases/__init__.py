"""The case page: what the street reported, every department's work, the diagram, the timeline."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import withdrawal
from engine.cases import case_record
from engine.errors import Conflict, Forbidden, InvalidInput, StaleRevision
from engine.models import InstanceStatus
from escalation import supervision
from web.auth.session import current_actor, login_required
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
    app.register_blueprint(bp)


@login_required
def show(instance_id: int) -> str:
    """The shared case record of a case the reader takes part in (404 for others)."""
    return _render(instance_id)


@login_required
def withdraw(instance_id: int) -> Response | tuple[str, int]:
    """Withdraw a running case with a reason (the starting unit only); 422 keeps what was typed."""
    actor, ctx = current_actor(), services().ctx
    reason = request.form.get("reason", "")

    def unit(session: Session) -> None:
        withdrawal.withdraw(session, ctx, actor, instance_id, reason, now=now())

    try:
        write(unit)
    except InvalidInput as error:
        messages = {e.field: translate(e.template, e.params) for e in error.errors}
        return _render(instance_id, reason=reason, reason_error=messages.get("reason", "")), 422
    except StaleRevision:
        raise
    except (Conflict, Forbidden) as error:
        flash(translate(error.template, error.params), "error")
    else:
        flash(_("The case is withdrawn. The departments have been told why."), "success")
    return redirect(url_for("cases.show", instance_id=instance_id))


def _render(instance_id: int, *, reason: str = "", reason_error: str = "") -> str:
    session, ctx, actor = read_session(), services().ctx, current_actor()
    record = case_record(session, actor, instance_id)
    case = record.instance
    escalations, _count = supervision.escalations(session, instance_id=instance_id, limit=200)
    parts = ctx.parts(session, case.definition_id)
    start_form = parts.form((parts.catalog.get("start") or {}).get("form"))
    may_withdraw = (case.status == InstanceStatus.RUNNING
                    and withdrawal.may_withdraw(actor, case, withdrawal.start_role(ctx, session, case)))
    return render_template("cases/show.html", record=record, case=case, escalations=escalations,
                           reported=shown_values(start_form, case.case_data, dict(record.departments)),
                           entry_data=data_by_entry(record, parts), department_names=dict(record.departments),
                           timeline=merged(record.history, escalations), may_withdraw=may_withdraw,
                           withdraw_reason=reason, withdraw_error=reason_error,
                           reason_limits=(withdrawal.REASON_MIN, withdrawal.REASON_MAX))


@login_required
def diagram(instance_id: int) -> Response:
    """The case's BPMN and which elements are done or waiting, as JSON for the diagram (404 for outsiders)."""
    return jsonify(case_diagram(read_session(), services().ctx, current_actor(), instance_id))
