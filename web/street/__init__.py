"""Street officers' pages (街乡): blow a whistle, follow the street's whistles, open attachments."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.street import attachments, blowing, boards, changes


def init_app(app: Flask) -> None:
    """Register the ``street`` blueprint."""
    bp = Blueprint("street", __name__, template_folder="templates")
    bp.add_url_rule("/whistles/new", "new", blowing.new, methods=["GET", "POST"])
    bp.add_url_rule("/whistles/suggestion", "suggestion", blowing.suggestion, methods=["GET"])
    bp.add_url_rule("/whistles", "index", boards.index, methods=["GET"])
    bp.add_url_rule("/whistles/<id:instance_id>", "show", boards.show, methods=["GET"])
    bp.add_url_rule("/whistles/<id:instance_id>/departments", "add_department", changes.add_department,
                    methods=["POST"])
    bp.add_url_rule("/attachments/<id:attachment_id>", "attachment", attachments.download, methods=["GET"])
    bp.add_app_template_filter(attachments.file_size, "file_size")
    app.register_blueprint(bp)
