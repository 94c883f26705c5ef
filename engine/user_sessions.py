"""Server-side sign-in sessions: opened at login, checked on every page, revocable, idle- and age-limited.

The browser's cookie holds a random token; the database holds only its SHA-256, so a
copied database does not let anyone in, and deleting or revoking the row ends the
session wherever the cookie has travelled.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, selectinload

from engine.models import User, UserSession

# Writing last_seen on every request would turn every page view into a write; once a
# minute keeps the idle limit accurate to a minute at a fraction of the writes.
TOUCH_EVERY = timedelta(minutes=1)


class Ended(enum.StrEnum):
    """Why a cookie no longer signs anyone in."""

    UNKNOWN = "unknown"  # no such session (never existed, or cleaned up)
    IDLE = "idle"  # nothing happened for longer than the idle limit
    EXPIRED = "expired"  # older than the absolute limit
    REVOKED = "revoked"  # logout, password change, ``whistle user revoke`` or deactivation


class Reason(enum.StrEnum):
    """Why a session was revoked."""

    LOGOUT = "logout"
    PASSWORD = "password"
    REVOKE = "revoke"
    DEACTIVATE = "deactivate"


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: since the last request, and at most since sign-in."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Resumed:
    """A live session: its active user (seats loaded), and whether its last-seen time is worth writing now."""

    session_id: int
    user: User
    needs_touch: bool


def open_session(session: Session, user: User, *, now: datetime, policy: SessionPolicy,
                 user_agent: str = "", address: str = "") -> str:
    """Start a session for ``user``; returns the token for the cookie (only its hash is stored)."""
    # Keep the table small: every sign-in removes sessions past the absolute limit (anyone's:
    # they can never be valid again) and this user's own revoked and idle ones.
    session.execute(delete(UserSession).where(or_(
        UserSession.created_at <= now - policy.absolute,
        and_(UserSession.user_id == user.id,
             or_(UserSession.revoked_at.is_not(None), UserSession.last_seen_at <= now - policy.idle)))))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                            user_agent=user_agent[:200], address=address[:64]))
    session.flush()
    return token


def resume(session: Session, token: str, *, now: datetime, policy: SessionPolicy) -> Resumed | Ended:
    """The live session a cookie token names at ``now``, or why there is none.

    Session, user and seats come in the statements that loading the user alone took
    before, so checking the session costs every page no extra round trip.
    """
    if not token or len(token) > 200:
        return Ended.UNKNOWN
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_digest(token)).options(selectinload(User.memberships))
    ).first()
    if found is None:
        return Ended.UNKNOWN
    row, user = found
    if row.revoked_at is not None or not user.is_active:
        return Ended.REVOKED
    if now - row.created_at >= policy.absolute:
        return Ended.EXPIRED
    if now - row.last_seen_at >= policy.idle:
        return Ended.IDLE
    return Resumed(row.id, user, needs_touch=now - row.last_seen_at >= TOUCH_EVERY)


def touch(session: Session, session_id: int, *, now: datetime) -> None:
    """Record activity on a live session (never moves last-seen backwards, never revives a revoked one)."""
    session.execute(update(UserSession).where(
        UserSession.id == session_id, UserSession.revoked_at.is_(None), UserSession.last_seen_at < now,
    ).values(last_seen_at=now))


def revoke(session: Session, token: str, *, now: datetime, reason: Reason = Reason.LOGOUT) -> None:
    """End the session a cookie token names (logout)."""
    session.execute(update(UserSession).where(
        UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None),
    ).values(revoked_at=now, revoked_reason=reason.value))


def revoke_all(session: Session, user_id: int, *, now: datetime, reason: Reason) -> int:
    """End every session of a user not ended yet; returns how many (idle ones included)."""
    count = session.execute(update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
    ).values(revoked_at=now, revoked_reason=reason.value)).rowcount
    return int(count or 0)


def token_digest(token: str) -> str:
    """The stored form of a session token (random 256 bits, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()
