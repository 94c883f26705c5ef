"""Errors on pages: 404/403/409/422/500 as pages in the reader's language (the API keeps problem+json)."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import attachments
from engine.errors import WhistleError
from web.boundary import UPLOAD_TYPES, local_target
from web.i18n import translate
from web.problems import status_of

log = logging.getLogger(__name__)
MEGABYTE = 1024 * 1024


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("You may not do this"),
        404: _("Not found"),
        405: _("Not allowed here"),
        409: _("Someone else got there first"),
        413: _("The upload is too large"),
        414: _("The address is too long"),
        422: _("Please check what you entered"),
        500: _("Something went wrong"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("The page sent something the server could not read. Please go back and try again."),
        403: _("Your role does not allow this. Ask your department head if you think it should."),
        404: _("This page or case does not exist, or it belongs to another department."),
        405: _("This address cannot be used this way."),
        413: _too_large(),
        414: _("This address is longer than the server accepts. Please go back and narrow the search."),
        500: _("Nothing was saved. Please try again; if it keeps happening, tell the system administrator."),
    }


def _too_large() -> str:
    """What was too large: the files of an upload, or the text of any other form (web.boundary)."""
    settings = current_app.extensions["whistle"].settings
    if (request.mimetype or "") in UPLOAD_TYPES:
        return _("A form may carry at most %(total)s MB of files, and each file at most %(file)s MB. Nothing was "
                 "saved: go back to the form and choose fewer or smaller files.",
                 total=settings.max_upload_bytes // MEGABYTE, file=attachments.MAX_BYTES // MEGABYTE)
    limit = settings.max_body_bytes
    return _("A form may carry at most %(size)s KB of text.", size=limit // 1024)


def page(status: int, message: str | None = None) -> tuple[str, int]:
    """An error page (or, for htmx, a message fragment) with ``status``."""
    title = _titles().get(status, _("Something went wrong"))
    text = message or _messages().get(status, "")
    if request.headers.get("HX-Request"):
        return f'<div class="flash flash-error" role="alert">{_escape(text or title)}</div>', status
    if "actor" not in g:
        _signed_in()
    try:
        return render_template("errors/error.html", status=status, title=title, message=text,
                               back=_back() if status == 413 else None), status
    except Exception:  # the error page itself failed: still answer, plainly, without a traceback
        log.exception("error page %s could not be rendered", status)
        return f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{_escape(title)}</p>", status


def _signed_in() -> None:
    """Who is signed in, for a request refused before the sign-in hook ran (a 413 or CSRF failure while the
    form was read): the page keeps its menu and name instead of looking signed out."""
    from web.auth.session import load_actor_for_request

    try:
        load_actor_for_request()
    except Exception:  # the error page must still be answered; it then shows the signed-out top bar
        log.exception("could not load the signed-in user for an error page")
        g.actor = None


def _back() -> str | None:
    """The page a refused form was sent from (this site only): the way back from a 413."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc and came_from.netloc != request.host:
        return None
    target = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return local_target(target, "") or None


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def init_app(app: Flask) -> None:
    """Handle errors of page requests (API requests are left to the API's handlers)."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> object:
        return page(400, _("The form had expired. Please reload the page and submit it again."))

    @app.errorhandler(WhistleError)
    def _domain(error: WhistleError) -> object:
        if request.path.startswith("/api/"):
            from web.problems import from_domain

            return from_domain(error)
        return page(status_of(error), translate(error.template, error.params))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> object:
        if request.path.startswith("/api/"):
            from web.problems import from_http

            return from_http(error)
        return page(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> object:
        if isinstance(error, HTTPException):
            return _http(error)
        if request.path.startswith("/api/"):
            from web.problems import from_unexpected

            return from_unexpected(error)
        log.exception("unhandled error on %s", request.path, exc_info=error)
        return page(500)
