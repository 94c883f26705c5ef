"""Domain errors to HTTP, in one place: ``application/problem+json`` for the API."""
from __future__ import annotations

import logging
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    DefinitionInvalid,
    Forbidden,
    InvalidInput,
    NeedsConfirmation,
    NotFound,
    Problem,
    ProcessFailed,
    Unavailable,
    WhistleError,
)
from web.i18n import translate

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[WhistleError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidInput, 422),
    (DefinitionInvalid, 422),
    (ProcessFailed, 422),
    (Unavailable, 503),
]
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


def located(found: list[Problem]) -> list[dict[str, Any]]:
    """Located problems of a deployable file for a client: where, which element, how severe, what to change."""
    return [{"file": p.file, "line": p.line, "element": p.element, "severity": p.severity.value,
             "message": translate(p.template, p.params)} for p in found]


def status_of(error: WhistleError) -> int:
    """The HTTP status for a domain error."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def problem(status: int, detail: str, *, code: str, headers: dict[str, str] | None = None,
            **extensions: Any) -> Response:
    """An RFC 9457 problem document."""
    body = {
        "type": f"https://whistle.invalid/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extensions,
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_domain(error: WhistleError) -> Response:
    """A problem document for a domain error, with field errors or located problems attached."""
    extensions: dict[str, Any] = {}
    if isinstance(error, InvalidInput) and error.errors:
        extensions["errors"] = [{"field": e.field, "message": translate(e.template, e.params), "code": e.code}
                                for e in error.errors]
    if isinstance(error, DefinitionInvalid):
        extensions["problems"] = located(error.problems)
        extensions["warnings"] = located(error.warnings)
    if isinstance(error, NeedsConfirmation):  # the earlier cases, for a client to show before it confirms
        extensions["cases"] = [e.params["id"] for e in error.errors if "id" in e.params]
    if "claimed_by" in error.params:
        extensions["claimed_by"] = error.params["claimed_by"]
    return problem(status_of(error), translate(error.template, error.params), code=error.code, **extensions)


def from_http(error: HTTPException) -> Response:
    """A problem document for a werkzeug HTTP error (404 route, 405 method, 413 size...)."""
    status = error.code or 500
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    return problem(status, error.description or TITLES.get(status, "Error"), code=f"http_{status}", headers=headers)


def from_unexpected(error: Exception) -> Response:
    """A bare 500: the details go to the log, never to the client."""
    log.exception("unhandled error", exc_info=error)
    return problem(500, "Something went wrong on the server; the action was not saved.", code="internal")
