"""Signing in and out of the web pages (session cookie, hashed passwords, CSRF on the forms)."""
from __future__ import annotations

from flask import Blueprint, Flask

from web.auth import views
from web.auth.session import load_actor_for_request


def init_app(app: Flask) -> None:
    """Register the blueprint and the per-request actor loader for pages."""
    bp = Blueprint("auth", __name__, template_folder="templates")
    bp.add_url_rule("/login", "login", views.login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", views.logout, methods=["POST"])
    app.register_blueprint(bp)
    app.before_request(load_actor_for_request)
