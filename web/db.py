"""Sessions for a request: one lazy read session, and write units that commit before the response."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from flask import current_app, g
from sqlalchemy.orm import Session

from engine.database import is_retryable
from engine.errors import StaleRevision
from web.services import Services

T = TypeVar("T")
WRITE_ATTEMPTS = 3


def services() -> Services:
    """The services of the running app."""
    found: Services = current_app.extensions["whistle"]
    return found


def now() -> datetime:
    """The request's notion of now (a fake clock in tests)."""
    if "whistle_now" not in g:
        g.whistle_now = services().clock.now()
    return g.whistle_now


def read_session() -> Session:
    """The request's read-only session, closed when the request ends."""
    if "whistle_session" not in g:
        g.whistle_session = services().db.session()
    return g.whistle_session


def close_read_session(_error: BaseException | None = None) -> None:
    """Teardown: roll back and close the read session (it never writes)."""
    session = g.pop("whistle_session", None)
    if session is not None:
        session.rollback()
        session.close()


def write(action: Callable[[Session], T]) -> T:
    """Run ``action`` in its own transaction and commit before the response is sent.

    Lock contention (SQLite busy, PostgreSQL deadlock or a stale revision) reruns the
    whole action; after the last attempt the error reaches the caller as a 409.
    """
    db = services().db
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with db.transaction(write=True) as session:
                return action(session)
        except StaleRevision:
            if attempt == WRITE_ATTEMPTS:
                raise
        except Exception as error:
            if attempt == WRITE_ATTEMPTS or not is_retryable(error):
                raise
    raise AssertionError("unreachable")
