"""Administration for administrators: users (用户管理) with seats, passwords, tokens and sessions; units (组织机构)."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.admin import units, users


def init_app(app: Flask) -> None:
    """Register the ``admin`` blueprint under ``/admin``."""
    bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")
    users.register(bp)
    units.register(bp)
    app.register_blueprint(bp)
