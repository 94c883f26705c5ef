"""Who is signed in: the actor of a page request, and decorators that require one."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from engine.actors import Actor, load_actor
from engine.errors import NotFound
from engine.roles import Role
from web.db import read_session

F = TypeVar("F", bound=Callable[..., Any])


def load_actor_for_request() -> None:
    """Before a page request: the signed-in user as ``g.actor`` (None when signed out)."""
    g.actor = None
    if request.path.startswith(("/api/", "/static/")):
        return
    user_id = session.get("user_id")
    if user_id is None:
        return
    try:
        g.actor = load_actor(read_session(), int(user_id))
    except NotFound:  # the account was removed or disabled since
        session.clear()


def current_actor() -> Actor:
    """The signed-in actor (pages behind :func:`login_required` only)."""
    actor: Actor = g.actor
    return actor


def login_required(view: F) -> F:
    """Send signed-out visitors to the login page and back afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Pages for some roles only: others get 403 (they are signed in and may know the page exists)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not (current_actor().roles & set(roles)):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
