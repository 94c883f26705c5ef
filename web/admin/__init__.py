"""User administration (用户管理) for administrators: users, seats, passwords, tokens and sessions."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.admin import users


def init_app(app: Flask) -> None:
    """Register the ``admin`` blueprint under ``/admin``."""
    bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")
    users.register(bp)
    app.register_blueprint(bp)
