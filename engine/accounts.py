"""Users, memberships, passwords and API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from engine import user_sessions
from engine.errors import Conflict, FieldError, InvalidInput, NotFound
from engine.models import ApiToken, Department, Membership, User
from engine.passwords import hash_password, verify_password
from engine.user_sessions import Reason

TOKEN_PREFIX = "wst_"
# Login names: ASCII letters, digits, dots, underscores, hyphens (safe in URLs, logs and shells).
USERNAME_PATTERN = r"[A-Za-z0-9_.\-]{2,64}"
_USERNAME = re.compile(f"^{USERNAME_PATTERN}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 200  # scrypt hashes any length; a bound keeps a request from making it hash megabytes
MAX_DISPLAY_NAME = 100  # the column's length
MAX_TOKEN_LABEL = 100  # the column's length
# Generated passwords: no 0/O, 1/l/I, so they can be read out over the phone.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def create_user(
    session: Session,
    username: str,
    display_name: str,
    *,
    password: str | None,
    now: datetime,
    seats: list[tuple[str, str]] | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a user with optional ``(unit code, role code)`` seats; Conflict if the name is taken.

    ``password_hash`` lets a bulk import hash one shared password once instead of per user.
    """
    check_username(username)
    display_name = check_display_name(display_name)
    if password is not None:
        _check_new_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("User {username} already exists.", username=username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash or (hash_password(password) if password else None),
        is_active=True,
        created_at=now,
    )
    session.add(user)
    for code, role in seats or []:
        grant(session, user, code, role)
    session.flush()
    return user


def check_username(username: str) -> None:
    """InvalidInput unless ``username`` follows the login name rules."""
    if not _USERNAME.match(username):
        raise InvalidInput("Invalid username.", [
            FieldError("username", "2 to 64 letters, digits, dots, underscores or hyphens.", "pattern")
        ])


def check_display_name(display_name: str) -> str:
    """``display_name`` trimmed; InvalidInput when too long or holding control characters."""
    name = display_name.strip()
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidInput("Display name too long.", [FieldError(
            "display_name", "At most {limit} characters.", "maxLength", {"limit": MAX_DISPLAY_NAME})])
    if _CONTROL.search(name):
        raise InvalidInput("Display name has characters that cannot be shown.", [FieldError(
            "display_name", "Line breaks and control characters are not allowed.", "pattern")])
    return name


def generate_password() -> str:
    """A random password of 3 groups of 4 characters (about 70 bits), easy to read out and type."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def grant(session: Session, user: User, department_code: str, role: str) -> Membership:
    """Give ``user`` the role ``role`` (a code) in the unit with ``department_code``."""
    department = session.execute(select(Department).where(Department.code == department_code)).scalar_one_or_none()
    if department is None:
        raise NotFound("Department {code} does not exist.", code=department_code)
    for existing in user.memberships:
        if existing.department_id == department.id and existing.role == role:
            return existing
    membership = Membership(department=department, role=role)
    user.memberships.append(membership)
    return membership


def user_by_name(session: Session, username: str) -> User:
    """The user called ``username``; NotFound otherwise."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("User {username} does not exist.", username=username)
    return user


def display_names_by_login(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Display names of the users with these login names (unknown ones are left out)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all()
    return {username: name for username, name in rows}


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user when ``password`` is right, else None.

    Unknown, malformed and disabled names cost the same hash work as a real one (see
    verify_password), so neither the answer nor its timing tells who has an account.
    """
    user = None
    if _USERNAME.match(username):  # other names cannot exist: no query with odd characters
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        verify_password(password, None)
        return None
    return user if verify_password(password, user.password_hash) else None


def change_password(session: Session, user: User, password: str, *, now: datetime) -> int:
    """Set a new password and sign the user out everywhere; returns how many sessions ended."""
    _check_new_password(password)
    user.password_hash = hash_password(password)
    return user_sessions.revoke_all(session, user.id, now=now, reason=Reason.PASSWORD)


def set_active(session: Session, user: User, active: bool, *, now: datetime) -> int:
    """Enable or disable a login; disabling ends its sessions (returns how many).

    A disabled user's API tokens are refused while disabled (user_for_token checks) and
    work again if the user is enabled again; ``revoke_access`` withdraws them for good.
    """
    user.is_active = active
    return 0 if active else user_sessions.revoke_all(session, user.id, now=now, reason=Reason.DEACTIVATE)


def revoke_access(session: Session, user: User, *, now: datetime) -> tuple[int, int]:
    """Withdraw every API token and end every session of ``user``: (tokens, sessions)."""
    return revoke_tokens(session, user), user_sessions.revoke_all(session, user.id, now=now, reason=Reason.REVOKE)


def _check_new_password(password: str) -> None:
    """InvalidInput unless ``password`` is long enough and not absurdly long."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("Password too short.", [FieldError("password", "At least {limit} characters.", "minLength",
                                                              {"limit": MIN_PASSWORD})])
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("Password too long.", [FieldError("password", "At most {limit} characters.", "maxLength",
                                                             {"limit": MAX_PASSWORD})])


def issue_token(session: Session, user: User, *, label: str, now: datetime,
                expires_at: datetime | None = None) -> str:
    """A new API token for ``user``, valid until ``expires_at`` (None: no end); only its hash is stored."""
    label = label.strip()
    if len(label) > MAX_TOKEN_LABEL or _CONTROL.search(label):
        raise InvalidInput("Invalid token label.", [FieldError(
            "label", "At most {limit} characters, without line breaks.", "maxLength", {"limit": MAX_TOKEN_LABEL})])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label=label, created_at=now,
                         expires_at=expires_at))
    session.flush()
    return token


def revoke_tokens(session: Session, user: User) -> int:
    """Withdraw every API token of ``user``; returns how many there were."""
    removed = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    return int(removed or 0)


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Withdraw one API token of ``user``; False when ``user`` has no token ``token_id``."""
    removed = session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)).rowcount
    return bool(removed)


def user_for_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user a bearer token belongs to, if the token has not expired by ``now``; else None.

    Not throttled like passwords: a token is 256 random bits (token_urlsafe(32)), so even
    billions of guesses a second would need far longer than the universe's age to hit one,
    and a wrong guess costs one indexed lookup, not a password hash.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    user = session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_hash == token_digest(token), or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    ).scalar_one_or_none()
    return user if user is not None and user.is_active else None


def token_expired_at(session: Session, token: str, *, now: datetime) -> datetime | None:
    """When a known token expired, if it has (to tell its holder so instead of a bare 401)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return session.execute(select(ApiToken.expires_at).where(
        ApiToken.token_hash == token_digest(token), ApiToken.expires_at <= now)).scalar_one_or_none()


def token_digest(token: str) -> str:
    """The stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()
