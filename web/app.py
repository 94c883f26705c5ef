"""The Flask application factory."""
from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from web import api
from web.db import close_read_session
from web.services import Services, build_services
from web.settings import Settings


def create_app(settings: Settings | None = None, *, services: Services | None = None, **overrides: Any) -> Flask:
    """Build a whistle app; nothing happens at import time, everything here."""
    if services is None:
        settings = settings or Settings.from_env(**overrides)
        if overrides:
            settings = settings.with_(**overrides)
        services = build_services(settings)
    settings = services.settings
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["whistle"] = services
    app.teardown_appcontext(close_read_session)
    api.init_app(app)

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("api.openapi_document"))

    return app
