"""The JSON API under ``/api/v1``: bearer tokens, problem+json errors, an OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, Flask

from engine.errors import WhistleError
from web import problems


def create_blueprint() -> Blueprint:
    """The API blueprint with every route registered."""
    from web.api import (
        admin,
        auth,
        catalog,
        collaboration,
        definitions,
        extensions,
        instances,
        openapi,
        operate,
        public,
        queries,
        repair,
        supervision,
        tasks,
        work,
    )

    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.before_request(auth.authenticate)
    bp.before_request(openapi.refuse_undeclared_query)
    for module in (catalog, definitions, instances, tasks, supervision, extensions, operate, work, collaboration,
                   queries, admin, repair, public, openapi):
        module.register(bp)
    bp.register_error_handler(WhistleError, problems.from_domain)
    return bp


def init_app(app: Flask) -> None:
    """Mount the API; its errors are problem documents (see ``web.page_errors``)."""
    from web.api import public

    app.register_blueprint(create_blueprint())
    public.limit(app)
