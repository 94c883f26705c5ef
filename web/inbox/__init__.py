"""The department staff pages (部门): the inbox, the task page and extension requests (延期申请)."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.inbox import collaboration, extension_views, handover, queue_views, task_views


def init_app(app: Flask) -> None:
    """Register ``/tasks`` and the pages under it."""
    bp = Blueprint("inbox", __name__, template_folder="templates")
    bp.add_url_rule("/tasks", "index", queue_views.index, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/claim", "claim", queue_views.claim, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/unclaim", "unclaim", queue_views.unclaim, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>", "task", task_views.show, methods=["GET"])
    bp.add_url_rule("/tasks/<id:task_id>/complete", "complete", task_views.complete, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/extensions", "request_extension", task_views.request_extension,
                    methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/comments", "comment", collaboration.comment, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/draft", "save_draft", collaboration.save_draft, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/draft/discard", "discard_draft", collaboration.discard_draft,
                    methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/assign", "assign", handover.assign, methods=["POST"])
    bp.add_url_rule("/tasks/<id:task_id>/delegate", "delegate", handover.delegate, methods=["POST"])
    bp.add_url_rule("/tasks/extensions", "extensions", extension_views.index, methods=["GET"])
    bp.add_url_rule("/tasks/extensions/<id:request_id>/<any(approve, reject):decision>", "decide",
                    extension_views.decide, methods=["POST"])
    app.register_blueprint(bp)
