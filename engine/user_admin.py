"""User administration: add, (de)activate users, seats, passwords, tokens and sessions, checked and audited.

Reading users is in engine.user_listing, which seats fit which units in engine.seat_rules.
The browser pages, the API and ``whistle user ...`` all call these functions. The
operator is an admin (an :class:`Actor` holding the administering role) or the server's
command line (:data:`CONSOLE`, whoever can run it already owns the database). Every
change writes an account history row (``task_event`` with no case) naming the operator.
Two refusals keep the district administrable: an admin cannot deactivate themself, and
nobody can take away the last active admin seat.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine import accounts, audit, seat_rules
from engine.actors import Actor
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.models import ApiToken, Department, Membership, User
from engine.roles import Capability, Role, role_book

MAX_PAGE = 200
MAX_TOKEN_DAYS = 3650
# A quarter: long enough for an integration, short enough that a forgotten token dies.
DEFAULT_TOKEN_DAYS = 90
MAX_SEATS = 20  # seats given in one request (a person rarely holds more than a handful)


class Action(enum.StrEnum):
    """The account history's actions."""

    USER_CREATED = "user_created"
    USER_RENAMED = "user_renamed"
    USER_DEACTIVATED = "user_deactivated"
    USER_ACTIVATED = "user_activated"
    SEAT_ADDED = "seat_added"
    SEAT_REMOVED = "seat_removed"
    PASSWORD_RESET = "password_reset"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    ACCESS_REVOKED = "access_revoked"


@dataclass(frozen=True)
class Console:
    """The operator at the server's command line (``whistle user ...``)."""

    username: str = "console"


CONSOLE = Console()
Operator = Actor | Console


@dataclass(frozen=True)
class NewUser:
    """A user just added; ``password`` is set when it was generated (shown once, stored only hashed)."""

    user: User
    password: str | None


@dataclass(frozen=True)
class NewToken:
    """A token just issued: the secret (shown once) and what is stored about it."""

    token: str
    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None


def require_admin(operator: Operator) -> None:
    """Forbidden unless ``operator`` may administer users."""
    if isinstance(operator, Console):
        return
    if not operator.can(Capability.ADMINISTER):
        raise Forbidden("Only administrators may manage users.")


def parse_role(session: Session, value: str | Role) -> Role:
    """The role named ``value`` (its code); InvalidInput naming the field otherwise."""
    if isinstance(value, Role):
        return value
    found = role_book(session).get(value) if isinstance(value, str) else None
    if found is None:
        raise InvalidInput("Unknown role {role}.", [FieldError("role", "Unknown role {role}.", "enum",
                                                               {"role": str(value)[:40]})],
                           role=str(value)[:40])
    return found


def add_user(session: Session, operator: Operator, username: str, display_name: str, *, now: datetime,
             password: str | None = None, seats: Sequence[tuple[str, str | Role]] = ()) -> NewUser:
    """Add an active user with these ``(unit code, role)`` seats; without a password, one is generated."""
    require_admin(operator)
    if len(seats) > MAX_SEATS:
        raise InvalidInput("At most {limit} seats at once.", limit=MAX_SEATS)
    accounts.check_username(username)
    checked = [_fitting_seat(session, code, parse_role(session, role)) for code, role in seats]
    generated = accounts.generate_password() if password is None else None
    user = accounts.create_user(session, username, display_name, password=password or generated, now=now)
    _record(session, operator, Action.USER_CREATED, user, now=now,
            payload={"display_name": user.display_name, "generated_password": generated is not None})
    for department, role in checked:
        _add_seat(session, operator, user, department, role, now=now)
    session.flush()
    return NewUser(user, generated)


def rename(session: Session, operator: Operator, username: str, display_name: str, *, now: datetime) -> User:
    """Change a user's display name."""
    require_admin(operator)
    user = find_user(session, username)
    name = accounts.check_display_name(display_name) or user.username
    if name != user.display_name:
        _record(session, operator, Action.USER_RENAMED, user, now=now,
                payload={"before": user.display_name, "after": name})
        user.display_name = name
    return user


def set_active(session: Session, operator: Operator, username: str, active: bool, *, now: datetime) -> int:
    """Activate or deactivate a user; deactivating ends their sessions and refuses their tokens (returns sessions)."""
    require_admin(operator)
    user = find_user(session, username)
    if active == user.is_active:
        return 0
    if not active:
        if isinstance(operator, Actor) and operator.user_id == user.id:
            raise Conflict("You cannot deactivate yourself; ask another administrator.")
        if set(m.role for m in user.memberships) & set(role_book(session).with_capability(Capability.ADMINISTER)):
            _keep_an_admin(session, user.id)
    ended = accounts.set_active(session, user, active, now=now)
    _record(session, operator, Action.USER_ACTIVATED if active else Action.USER_DEACTIVATED, user, now=now,
            payload={"sessions_ended": ended})
    return ended


def add_seat(session: Session, operator: Operator, username: str, department_code: str, role: str | Role, *,
             now: datetime) -> Membership:
    """Give the user ``role`` in the unit ``department_code``; the role's scope must fit the unit's kind."""
    require_admin(operator)
    user = find_user(session, username)
    department, checked = _fitting_seat(session, department_code, parse_role(session, role))
    return _add_seat(session, operator, user, department, checked, now=now)


def remove_seat(session: Session, operator: Operator, username: str, department_code: str, role: str | Role, *,
                now: datetime) -> None:
    """Take the seat ``role`` in ``department_code`` from the user (never the last active admin seat)."""
    require_admin(operator)
    user = find_user(session, username)
    checked = parse_role(session, role)
    seat = next((m for m in user.memberships if m.department.code == department_code and m.role == checked.code), None)
    if seat is None:
        raise NotFound("{username} holds no seat {role} in {department}.", username=user.username,
                       role=checked.label, department=department_code)
    if Capability.ADMINISTER in checked.capabilities and user.is_active:
        _keep_an_admin(session, user.id, seat_id=seat.id)
    _record(session, operator, Action.SEAT_REMOVED, user, now=now, department_id=seat.department_id,
            payload={"department": department_code, "role": checked.code})
    user.memberships.remove(seat)
    session.flush()


def reset_password(session: Session, operator: Operator, username: str, *, now: datetime,
                   password: str | None = None) -> tuple[str | None, int]:
    """Set ``password`` (or a generated one, returned to show once) and end every session: (generated, ended)."""
    require_admin(operator)
    user = find_user(session, username)
    generated = accounts.generate_password() if password is None else None
    ended = accounts.change_password(session, user, password or generated or "", now=now)
    _record(session, operator, Action.PASSWORD_RESET, user, now=now,
            payload={"generated": generated is not None, "sessions_ended": ended})
    return generated, ended


def issue_token(session: Session, operator: Operator, username: str, *, label: str, days: int | None,
                now: datetime) -> NewToken:
    """A new API token for the user, valid ``days`` days (None: no end); the secret is returned once."""
    require_admin(operator)
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput("Invalid token lifetime.", [FieldError("days", "Between 1 and {limit} days.", "range",
                                                                  {"limit": MAX_TOKEN_DAYS})])
    user = find_user(session, username)
    expires_at = now + timedelta(days=days) if days is not None else None
    secret = accounts.issue_token(session, user, label=label, now=now, expires_at=expires_at)
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == accounts.token_digest(secret))).scalar_one()
    _record(session, operator, Action.TOKEN_ISSUED, user, now=now,
            payload={"token_id": row.id, "label": row.label, "expires_at": _iso(expires_at)})
    return NewToken(secret, row.id, row.label, row.created_at, row.expires_at)


def revoke_token(session: Session, operator: Operator, username: str, token_id: int, *, now: datetime) -> None:
    """Withdraw one API token of the user; NotFound when the user has no such token."""
    require_admin(operator)
    user = find_user(session, username)
    if not accounts.revoke_token(session, user, token_id):
        raise NotFound("{username} has no API token {id}.", username=user.username, id=token_id)
    _record(session, operator, Action.TOKEN_REVOKED, user, now=now, payload={"token_id": token_id})


def revoke_access(session: Session, operator: Operator, username: str, *, now: datetime) -> tuple[int, int]:
    """Withdraw every API token and end every session of the user: (tokens, sessions)."""
    require_admin(operator)
    user = find_user(session, username)
    tokens, ended = accounts.revoke_access(session, user, now=now)
    _record(session, operator, Action.ACCESS_REVOKED, user, now=now,
            payload={"tokens": tokens, "sessions_ended": ended})
    return tokens, ended


def find_user(session: Session, username: str) -> User:
    """The user with their seats; NotFound otherwise."""
    user = session.execute(select(User).where(User.username == username)
                           .options(selectinload(User.memberships))).scalar_one_or_none()
    if user is None:
        raise NotFound("User {username} does not exist.", username=username)
    return user


def _fitting_seat(session: Session, code: str, role: Role) -> tuple[Department, Role]:
    """The unit ``code`` when ``role`` may sit there; NotFound or InvalidInput saying why not."""
    department = session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if department is None:
        raise InvalidInput("Unit {code} does not exist.", [FieldError("department", "Unit {code} does not exist.",
                                                                      "unknown", {"code": code[:40]})], code=code[:40])
    misfit = seat_rules.misfit(session, department, role)
    if misfit is not None:
        raise InvalidInput(misfit.template, [FieldError("role", misfit.template, "scope", dict(misfit.params))],
                           **misfit.params)
    return department, role


def _add_seat(session: Session, operator: Operator, user: User, department: Department, role: Role, *,
              now: datetime) -> Membership:
    if any(m.department_id == department.id and m.role == role.code for m in user.memberships):
        raise Conflict("{username} already holds {role} in {department}.", username=user.username,
                       role=role.label, department=department.name)
    seat = Membership(department=department, role=role.code)
    user.memberships.append(seat)
    _record(session, operator, Action.SEAT_ADDED, user, now=now, department_id=department.id,
            payload={"department": department.code, "role": role.code})
    session.flush()
    return seat


def _keep_an_admin(session: Session, user_id: int, *, seat_id: int | None = None) -> None:
    """Conflict unless an active admin seat other than ``user_id``'s (or than ``seat_id``) remains.

    The admin seats are locked first on PostgreSQL, so two admins removing each other at the
    same moment cannot both pass the check.
    """
    seats = session.execute(select(Membership.id, Membership.user_id).join(User, User.id == Membership.user_id)
                            .where(Membership.role.in_(role_book(session).with_capability(Capability.ADMINISTER)),
                                   User.is_active.is_(True))
                            .with_for_update(of=Membership)).all()
    others = [s for s in seats if (s.id != seat_id if seat_id is not None else s.user_id != user_id)]
    if not others:
        raise Conflict("This is the last active administrator seat; give another person one first.")


def _record(session: Session, operator: Operator, action: Action, user: User, *, now: datetime,
            department_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
    session.flush()  # a new user needs its id in the row
    by = {"via": "console"} if isinstance(operator, Console) else {}
    audit.record(session, action.value, at=now, instance_id=None,
                 actor_id=operator.user_id if isinstance(operator, Actor) else None, department_id=department_id,
                 payload={"user_id": user.id, "user": user.username, **by, **(payload or {})})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

