"""The Flask application factory."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from web import api, boundary, deadlines, formatting, home, i18n, page_errors, security_headers
from web.auth import init_app as init_auth
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
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The browser may forget the cookie at the absolute limit; the server ends it anyway (web.auth.session).
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # a form left open over lunch still submits; the token is per session
    )
    boundary.init_app(app)  # first: its id converter and body cap must precede every route and CSRF's form read
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["whistle"] = services
    # Per request too: an app context opened around several requests (a script, a test) must not
    # hand one request's read session, and the role book cached in it, to the next.
    app.teardown_request(close_read_session)
    app.teardown_appcontext(close_read_session)
    csrf = CSRFProtect(app)
    i18n.init_app(app)
    formatting.init_app(app)
    deadlines.init_app(app)
    page_errors.init_app(app)
    security_headers.init_app(app)
    init_auth(app)
    home.init_app(app)
    for area in _page_areas():
        area.init_app(app)
    api.init_app(app)
    csrf.exempt(app.blueprints["api"])  # bearer tokens, not cookies: no cross-site forgery to stop
    if settings.proxy_count:  # only headers the configured proxies set are believed; unset, they are ignored
        count = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    return app


def _page_areas() -> list[Any]:
    """The page blueprint packages, one per audience, in menu order."""
    from web import admin, cases, design, inbox, operate, public, street, supervise

    return [inbox, street, supervise, design, operate, admin, cases, public]
