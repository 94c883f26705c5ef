"""Process designers (流程设计): deployed processes, live diagrams, the modeler, SLA policies."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.design import decisions, index, modeler, policies, viewer


def init_app(app: Flask) -> None:
    """Register the ``design`` blueprint under ``/design``."""
    bp = Blueprint("design", __name__, template_folder="templates", url_prefix="/design")
    bp.add_url_rule("", "index", index.index, methods=["GET"])
    bp.add_url_rule("/upload", "upload", index.upload, methods=["POST"])
    bp.add_url_rule("/new", "new", modeler.new, methods=["GET"])
    bp.add_url_rule("/blank.bpmn", "blank", modeler.blank, methods=["GET"])
    bp.add_url_rule("/validate", "validate", modeler.validate, methods=["POST"])
    bp.add_url_rule("/deploy", "deploy", modeler.deploy, methods=["POST"])
    bp.add_url_rule("/policies", "policies", policies.policies, methods=["GET", "POST"])
    bp.add_url_rule("/<key>", "show", viewer.show, methods=["GET"])
    bp.add_url_rule("/<key>/edit", "edit", modeler.edit, methods=["GET"])
    bp.add_url_rule("/<key>/decisions/<ref>", "decision", decisions.edit, methods=["GET"])
    bp.add_url_rule("/<key>/decisions/<ref>.dmn", "decision_xml", decisions.xml, methods=["GET"])
    bp.add_url_rule("/<key>/decisions/<ref>", "deploy_decision", decisions.deploy, methods=["POST"])
    bp.add_url_rule("/<key>/versions/<id:version>/bpmn", "download", index.download, methods=["GET"])
    bp.add_url_rule("/<key>/versions/<id:version>/counts", "counts", viewer.counts, methods=["GET"])
    app.register_blueprint(bp)
