"""Signing in with a password: throttled, audited, and answered the same for unknown names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import accounts, login_throttle, user_sessions
from engine.database import Database
from engine.errors import WhistleError
from engine.login_throttle import LoginLocked, ThrottlePolicy
from engine.models import User
from engine.user_sessions import SessionPolicy


class WrongPassword(WhistleError):
    """The name or the password is wrong (which one is not said)."""

    code = "wrong_password"


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: who, and the session token for their cookie."""

    user_id: int
    token: str


def sign_in(db: Database, username: str, password: str, *, now: datetime, address: str, user_agent: str,
            throttle: ThrottlePolicy, sessions: SessionPolicy) -> SignedIn:
    """Check a password and open a session; WrongPassword, or LoginLocked while too many attempts failed.

    Three short transactions, so no write lock is held during the ~40 ms password hash.
    """
    with db.transaction(write=False) as session:
        until = login_throttle.locked_until(session, username, address, now=now)
    if until is not None:
        with db.transaction() as session:
            login_throttle.refuse(session, username, address, until, now=now, user_id=_user_id(session, username))
        raise LoginLocked(until, now)
    with db.transaction(write=False) as session:
        user = accounts.check_password(session, username, password)
        user_id = user.id if user is not None else None
    if user_id is None:
        with db.transaction() as session:
            until = login_throttle.record_failure(session, username, address, now=now, policy=throttle,
                                                  user_id=_user_id(session, username))
        if until is not None:
            raise LoginLocked(until, now)
        raise WrongPassword("Wrong username or password.")
    with db.transaction() as session:
        login_throttle.clear(session, username)
        user = session.get(User, user_id)
        if user is None or not user.is_active:  # removed or disabled a moment ago
            raise WrongPassword("Wrong username or password.")
        token = user_sessions.open_session(session, user, now=now, policy=sessions, user_agent=user_agent,
                                           address=address)
    return SignedIn(user_id, token)


def _user_id(session: Session, username: str) -> int | None:
    """The id of the account with this exact name, for the audit trail (None for unknown names)."""
    if not username or len(username) > login_throttle.KEY_LENGTH or not username.isprintable():
        return None
    found: int | None = session.execute(select(User.id).where(User.username == username)).scalar_one_or_none()
    return found
