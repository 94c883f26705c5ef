"""Operating cases (运维): incidents, case repair and version migration, for designers and admins."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.operate import incidents, migration, repair


def init_app(app: Flask) -> None:
    """Register the ``operate`` blueprint under ``/operate``."""
    bp = Blueprint("operate", __name__, template_folder="templates", url_prefix="/operate")
    for part in (incidents, repair, migration):
        part.register(bp)
    app.register_blueprint(bp)
