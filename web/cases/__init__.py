"""The case page: what the street reported, every department's work, the diagram, the timeline."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, render_template

from engine.cases import case_record
from escalation import supervision
from web.auth.session import current_actor, login_required
from web.cases.diagram import case_diagram
from web.cases.reported import data_by_entry, shown_values
from web.cases.timeline import merged
from web.db import read_session, services


def init_app(app: Flask) -> None:
    """Register ``/cases/<id>`` and its diagram data."""
    bp = Blueprint("cases", __name__, template_folder="templates")
    bp.add_url_rule("/cases/<int:instance_id>", "show", show, methods=["GET"])
    bp.add_url_rule("/cases/<int:instance_id>/diagram", "diagram", diagram, methods=["GET"])
    app.register_blueprint(bp)


@login_required
def show(instance_id: int) -> str:
    """The shared case record of a case the reader takes part in (404 for others)."""
    session = read_session()
    record = case_record(session, current_actor(), instance_id)
    escalations, _ = supervision.escalations(session, instance_id=instance_id, limit=200)
    parts = services().ctx.parts(session, record.instance.definition_id)
    start_form = parts.form((parts.catalog.get("start") or {}).get("form"))
    return render_template("cases/show.html", record=record, case=record.instance, escalations=escalations,
                           reported=shown_values(start_form, record.instance.case_data, dict(record.departments)),
                           entry_data=data_by_entry(record, parts), department_names=dict(record.departments),
                           timeline=merged(record.history, escalations))


@login_required
def diagram(instance_id: int) -> Response:
    """The case's BPMN and which elements are done or waiting, as JSON for the diagram (404 for outsiders)."""
    return jsonify(case_diagram(read_session(), services().ctx, current_actor(), instance_id))
