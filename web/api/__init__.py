"""The JSON API under ``/api/v1``: bearer tokens, problem+json errors, an OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.exceptions import HTTPException

from engine.errors import WhistleError
from web import problems


def create_blueprint() -> Blueprint:
    """The API blueprint with every route registered."""
    from web.api import auth, catalog, definitions, extensions, instances, openapi, supervision, tasks

    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.before_request(auth.authenticate)
    for module in (catalog, definitions, instances, tasks, supervision, extensions, openapi):
        module.register(bp)
    bp.register_error_handler(WhistleError, problems.from_domain)
    return bp


def init_app(app: Flask) -> None:
    """Mount the API and make every error under it a problem document."""
    app.register_blueprint(create_blueprint())

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> object:
        from flask import request

        if request.path.startswith("/api/"):
            return problems.from_http(error)
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> object:
        if isinstance(error, HTTPException):
            return _http_error(error)
        if isinstance(error, WhistleError):
            return problems.from_domain(error)
        return problems.from_unexpected(error)
