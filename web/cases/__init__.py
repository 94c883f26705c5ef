"""The case page: what the street reported, every department's work, the timeline."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template

from engine.cases import case_record
from escalation import supervision
from web.auth.session import current_actor, login_required
from web.db import read_session


def init_app(app: Flask) -> None:
    """Register ``/cases/<id>``."""
    bp = Blueprint("cases", __name__, template_folder="templates")
    bp.add_url_rule("/cases/<int:instance_id>", "show", show, methods=["GET"])
    app.register_blueprint(bp)


@login_required
def show(instance_id: int) -> str:
    """The shared case record of a case the reader takes part in (404 for others)."""
    session = read_session()
    record = case_record(session, current_actor(), instance_id)
    escalations, _ = supervision.escalations(session, instance_id=instance_id, limit=200)
    return render_template("cases/show.html", record=record, case=record.instance, escalations=escalations)
