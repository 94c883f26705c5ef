"""Login throttling: too many wrong passwords lock an account name or an address for a while.

Both the account name (as typed, known or not, so a lock says nothing about who exists)
and the network address are counted. A lock refuses even the right password until it
ends; each lock of the same key in a row lasts twice as long as the one before. A
successful sign-in clears the account's counter, not the address's: otherwise an attacker
with one valid login could reset their address between guesses at other accounts.

Counting happens outside the password check's transaction (the check is ~40 ms of scrypt
and must not hold a database write lock), so parallel guesses can overshoot a limit by
at most the number of requests served at once; the lock still follows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import WhistleError
from engine.models import LoginEvent, LoginThrottle

ACCOUNT, ADDRESS = "account", "address"
KEY_LENGTH = 64


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures within ``window`` lock an account or an address, and for how long."""

    account_failures: int = 5
    address_failures: int = 20  # several people may share an office's address
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)
    max_lock: timedelta = timedelta(hours=24)

    def lock_for(self, locks_before: int) -> timedelta:
        """The length of the next lock: doubling with each lock in a row, up to ``max_lock``."""
        return min(self.lock * (2 ** min(locks_before, 16)), self.max_lock)

    def limit(self, scope: str) -> int:
        """The failure count that locks a key of ``scope`` (0: never)."""
        return self.account_failures if scope == ACCOUNT else self.address_failures


class LoginLocked(WhistleError):
    """Too many failed sign-ins: refused (even with the right password) until ``until``."""

    code = "login_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        super().__init__("Too many failed sign-ins; try again in {minutes} minute(s).", minutes=minutes)
        self.until = until


def printable(text: str) -> str:
    """``text`` safe to store and show: control characters and lone surrogates escaped, at most 64 characters."""
    if text.isprintable():
        return text[:KEY_LENGTH]
    return text.encode("unicode_escape", errors="backslashreplace").decode("ascii")[:KEY_LENGTH]


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    # Names longer than a key cannot exist (accounts allow 64 characters): count them by
    # address only, instead of letting a truncated key collide with a real name.
    keys = [(ACCOUNT, username)] if username and len(username) <= KEY_LENGTH and username.isprintable() else []
    return keys + ([(ADDRESS, address[:KEY_LENGTH])] if address else [])


def locked_until(session: Session, username: str, address: str, *, now: datetime) -> datetime | None:
    """When the lock on this name or address ends, if one holds at ``now``."""
    ends = []
    for scope, key in _keys(username, address):
        until = session.execute(select(LoginThrottle.locked_until).where(
            LoginThrottle.scope == scope, LoginThrottle.key == key)).scalar_one_or_none()
        if until is not None and until > now:
            ends.append(until)
    return max(ends) if ends else None


def refuse(session: Session, username: str, address: str, until: datetime, *, now: datetime,
           user_id: int | None = None) -> None:
    """Audit an attempt made while locked (its password was not even checked)."""
    session.add(LoginEvent(at=now, action="refused", username=printable(username), user_id=user_id,
                           address=address[:KEY_LENGTH], locked_until=until))


def record_failure(session: Session, username: str, address: str, *, now: datetime, policy: ThrottlePolicy,
                   user_id: int | None = None) -> datetime | None:
    """Count and audit a wrong password; returns when the lock it started ends, if it started one."""
    session.add(LoginEvent(at=now, action="failed", username=printable(username), user_id=user_id,
                           address=address[:KEY_LENGTH]))
    _forget_stale(session, now, policy)
    started = []
    for scope, key in _keys(username, address):
        limit = policy.limit(scope)
        if limit <= 0:
            continue
        row = _row(session, scope, key, now)
        if now - row.window_started_at >= policy.window:
            row.failures, row.window_started_at = 0, now  # a fresh window
        if row.locked_until is not None and now - row.locked_until >= policy.max_lock:
            row.locks = 0  # a lock long past no longer makes the next one longer
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + policy.lock_for(row.locks)
            row.locks += 1
            row.failures = 0
            row.window_started_at = now
            started.append(row.locked_until)
            session.add(LoginEvent(at=now, action="locked", username=printable(username) if scope == ACCOUNT else "",
                                   user_id=user_id if scope == ACCOUNT else None, address=address[:KEY_LENGTH],
                                   locked_until=row.locked_until))
    session.flush()
    return max(started) if started else None


def clear(session: Session, username: str) -> None:
    """A successful sign-in: the account's failures and its lock history are forgotten."""
    session.execute(update(LoginThrottle).where(LoginThrottle.scope == ACCOUNT, LoginThrottle.key == username)
                    .values(failures=0, locks=0, locked_until=None))


def _forget_stale(session: Session, now: datetime, policy: ThrottlePolicy) -> None:
    """Drop counters nothing depends on any more, so guessing at many names does not grow the table for ever."""
    quiet_since = now - max(policy.window, policy.max_lock)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_started_at <= quiet_since,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now - policy.max_lock)))


def _row(session: Session, scope: str, key: str, now: datetime) -> LoginThrottle:
    """The counter of one key, locked for update; created on first failure."""
    query = select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key).with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is not None:
        return row
    try:
        with session.begin_nested():  # two first failures at once: the loser reads the winner's row
            row = LoginThrottle(scope=scope, key=key, failures=0, window_started_at=now, locks=0)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        return session.execute(query).scalar_one()
