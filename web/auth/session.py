"""Who is signed in: the actor of a page request, and decorators that require one.

The signed cookie carries only a session token; the session itself lives in the
database (engine.user_sessions), so logging out, changing the password, ``whistle user
revoke`` and deactivation end it everywhere, and it ends by itself when idle or too old.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import user_sessions
from engine.actors import Actor, actor_of
from engine.user_sessions import Ended
from web.db import now, read_session, services, write

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "sid"
# Requests a page makes by itself (the bell's poll every minute) are not activity: they
# must not keep an unattended session alive past its idle limit.
PASSIVE_ENDPOINTS = {"home.notification_count"}


def load_actor_for_request() -> None:
    """Before a page request: the signed-in user as ``g.actor`` (None when signed out)."""
    g.actor = None
    if request.path.startswith(("/api/", "/static/")):
        return
    if "user_id" in session:  # a cookie from before server-side sessions: sign in again
        session.pop("user_id")
        _ended(Ended.REVOKED)
        return
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return
    found = user_sessions.resume(read_session(), token, now=now(), policy=services().settings.session_policy)
    if isinstance(found, Ended):
        session.pop(SESSION_KEY)
        _ended(found)
        return
    g.actor = actor_of(found.user)
    if found.needs_touch and request.endpoint not in PASSIVE_ENDPOINTS:
        at = now()
        write(lambda s: user_sessions.touch(s, found.session_id, now=at))


def _ended(why: Ended) -> None:
    """Tell the person, once, on the login page they are sent to, why they must sign in again."""
    if why == Ended.IDLE:
        minutes = services().settings.session_idle_minutes
        flash(_("You were signed out after %(minutes)s minutes without activity; please sign in again.",
                minutes=minutes), "info")
    elif why == Ended.EXPIRED:
        flash(_("You were signed in for %(hours)s hours, the longest a session lasts; please sign in again.",
                hours=services().settings.session_max_hours), "info")
    else:
        flash(_("Your session has ended (signed out, password changed or access withdrawn); please sign in again."),
              "info")


def current_actor() -> Actor:
    """The signed-in actor (pages behind :func:`login_required` only)."""
    actor: Actor = g.actor
    return actor


def login_required(view: F) -> F:
    """Send signed-out visitors to the login page and back afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            return to_login()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def to_login() -> Response:
    """The way to the login page: a redirect, or for htmx fragments a whole-page redirect."""
    if request.headers.get("HX-Request"):
        # A fragment request (the bell, a claim button) would otherwise swap the login
        # page into a corner of the page; HX-Redirect moves the whole window instead.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path + (f"?{current.query}" if current.query else "") if current.path else ""
        response = Response(status=401)
        response.headers["HX-Redirect"] = url_for("auth.login", next=back or None)
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def allowed(check: Callable[[Actor], bool]) -> Callable[[F], F]:
    """Pages for some people only (``check``, from web.permissions): others get 403 (they are signed in)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check(current_actor()):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
