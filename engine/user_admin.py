"""User administration: list, add, (de)activate users, seats, passwords, tokens and sessions, checked and audited.

The browser pages, the API and ``whistle user ...`` all call these functions. The
operator is an admin (an :class:`Actor` holding the administering role) or the server's
command line (:data:`CONSOLE`, whoever can run it already owns the database). Every
change writes an account history row (``task_event`` with no case) naming the operator.
Two refusals keep the district administrable: an admin cannot deactivate themself, and
nobody can take away the last active admin seat.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine import accounts, audit
from engine.actors import Actor
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Text
from engine.models import ApiToken, Department, DepartmentKind, Membership, TaskEvent, User, UserSession
from engine.roles import Role, Scope
from engine.user_sessions import SessionPolicy

# The role that carries the administer capability (ARCHITECTURE: roles map onto a few capabilities).
ADMINISTERING = Role.ADMIN
MAX_PAGE = 200
MAX_TOKEN_DAYS = 3650
# A quarter: long enough for an integration, short enough that a forgotten token dies.
DEFAULT_TOKEN_DAYS = 90
MAX_SEATS = 20  # seats given in one request (a person rarely holds more than a handful)
HISTORY_ROWS = 50

# Which kinds of unit a role's scope can sit in: street roles in streets and towns, department
# roles in district departments, district and system roles in district units (see engine.roles).
FITTING_KINDS: dict[Scope, frozenset[DepartmentKind]] = {
    Scope.STREET: frozenset({DepartmentKind.STREET, DepartmentKind.TOWN}),
    Scope.DEPARTMENT: frozenset({DepartmentKind.DISTRICT_DEPARTMENT}),
    Scope.DISTRICT: frozenset({DepartmentKind.DISTRICT_UNIT}),
    Scope.SYSTEM: frozenset({DepartmentKind.DISTRICT_UNIT}),
    Scope.PUBLIC: frozenset({DepartmentKind.STREET, DepartmentKind.TOWN}),  # a resident's own street
}
KIND_NAMES = {
    DepartmentKind.STREET: Text("street"),
    DepartmentKind.TOWN: Text("township"),
    DepartmentKind.DISTRICT_DEPARTMENT: Text("district department"),
    DepartmentKind.DISTRICT_UNIT: Text("district unit"),
}


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
class SeatView:
    """One seat of a user: a role in a unit."""

    department_code: str
    department_name: str
    department_kind: DepartmentKind
    role: Role


@dataclass(frozen=True)
class UserSummary:
    """A user as the list shows them: seats, live sessions with the last activity, token count."""

    id: int
    username: str
    display_name: str
    is_active: bool
    created_at: datetime
    seats: tuple[SeatView, ...]
    live_sessions: int
    last_seen_at: datetime | None
    tokens: int


@dataclass(frozen=True)
class UserPage:
    """One page of the user list and how many users match in all."""

    items: list[UserSummary]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last one."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None


@dataclass(frozen=True)
class TokenView:
    """An API token without its secret."""

    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None
    expired: bool


@dataclass(frozen=True)
class AccountEvent:
    """One row of a user's account history."""

    id: int
    action: str
    at: datetime
    actor: str | None
    actor_name: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class UserDetail:
    """One user with seats, sessions, tokens and account history."""

    user: UserSummary
    tokens: list[TokenView]
    history: list[AccountEvent]


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
    if not operator.has_role(ADMINISTERING):
        raise Forbidden("Only administrators may manage users.")


def parse_role(value: str | Role) -> Role:
    """The role named ``value`` (its code); InvalidInput naming the field otherwise."""
    if isinstance(value, Role):
        return value
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("Unknown role {role}.", [FieldError("role", "Unknown role {role}.", "enum",
                                                               {"role": str(value)[:40]})],
                           role=str(value)[:40]) from None


def list_users(session: Session, operator: Operator, *, text: str | None = None, department: str | None = None,
               role: Role | None = None, active: bool | None = None, limit: int = 50, offset: int = 0,
               now: datetime, policy: SessionPolicy | None = None) -> UserPage:
    """Users whose login or display name contains ``text``, with a seat in ``department``/as ``role``, by login."""
    require_admin(operator)
    limit = max(1, min(limit, MAX_PAGE))
    conditions: list[Any] = []
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(func.lower(User.username).like(pattern, escape="\\"),
                              func.lower(User.display_name).like(pattern, escape="\\")))
    if department or role:
        seat = [Membership.user_id == User.id]
        if department:
            seat.append(Membership.department.has(Department.code == department))
        if role:
            seat.append(Membership.role == role)
        conditions.append(exists().where(and_(*seat)))
    if active is not None:
        conditions.append(User.is_active.is_(active))
    total = session.execute(select(func.count(User.id)).where(*conditions)).scalar_one()
    users = session.execute(select(User).where(*conditions).options(selectinload(User.memberships))
                            .order_by(User.username).limit(limit).offset(offset)).scalars().all()
    return UserPage(_summaries(session, users, now=now, policy=policy), int(total), limit, offset)


def user_detail(session: Session, operator: Operator, username: str, *, now: datetime,
                policy: SessionPolicy | None = None) -> UserDetail:
    """One user with seats, sessions, tokens (newest first) and their account history (newest first)."""
    require_admin(operator)
    user = _user(session, username)
    tokens = session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars().all()
    return UserDetail(
        _summaries(session, [user], now=now, policy=policy)[0],
        [TokenView(t.id, t.label, t.created_at, t.expires_at, t.expires_at is not None and t.expires_at <= now)
         for t in tokens],
        account_history(session, user.id))


def account_history(session: Session, user_id: int, *, limit: int = HISTORY_ROWS) -> list[AccountEvent]:
    """The account actions on user ``user_id``, newest first."""
    rows = session.execute(
        select(TaskEvent, User.username, User.display_name).outerjoin(User, User.id == TaskEvent.actor_id)
        .where(TaskEvent.instance_id.is_(None), TaskEvent.action.in_([a.value for a in Action]),
               TaskEvent.payload["user_id"].as_integer() == user_id)
        .order_by(TaskEvent.id.desc()).limit(limit)).all()
    return [AccountEvent(e.id, e.action, e.at, name, display, dict(e.payload or {})) for e, name, display in rows]


def add_user(session: Session, operator: Operator, username: str, display_name: str, *, now: datetime,
             password: str | None = None, seats: Sequence[tuple[str, str | Role]] = ()) -> NewUser:
    """Add an active user with these ``(unit code, role)`` seats; without a password, one is generated."""
    require_admin(operator)
    if len(seats) > MAX_SEATS:
        raise InvalidInput("At most {limit} seats at once.", limit=MAX_SEATS)
    accounts.check_username(username)
    checked = [_fitting_seat(session, code, parse_role(role)) for code, role in seats]
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
    user = _user(session, username)
    name = accounts.check_display_name(display_name) or user.username
    if name != user.display_name:
        _record(session, operator, Action.USER_RENAMED, user, now=now,
                payload={"before": user.display_name, "after": name})
        user.display_name = name
    return user


def set_active(session: Session, operator: Operator, username: str, active: bool, *, now: datetime) -> int:
    """Activate or deactivate a user; deactivating ends their sessions and refuses their tokens (returns sessions)."""
    require_admin(operator)
    user = _user(session, username)
    if active == user.is_active:
        return 0
    if not active:
        if isinstance(operator, Actor) and operator.user_id == user.id:
            raise Conflict("You cannot deactivate yourself; ask another administrator.")
        if any(m.role == ADMINISTERING for m in user.memberships):
            _keep_an_admin(session, user.id)
    ended = accounts.set_active(session, user, active, now=now)
    _record(session, operator, Action.USER_ACTIVATED if active else Action.USER_DEACTIVATED, user, now=now,
            payload={"sessions_ended": ended})
    return ended


def add_seat(session: Session, operator: Operator, username: str, department_code: str, role: str | Role, *,
             now: datetime) -> SeatView:
    """Give the user ``role`` in the unit ``department_code``; the role's scope must fit the unit's kind."""
    require_admin(operator)
    user = _user(session, username)
    department, checked = _fitting_seat(session, department_code, parse_role(role))
    return _add_seat(session, operator, user, department, checked, now=now)


def remove_seat(session: Session, operator: Operator, username: str, department_code: str, role: str | Role, *,
                now: datetime) -> None:
    """Take the seat ``role`` in ``department_code`` from the user (never the last active admin seat)."""
    require_admin(operator)
    user = _user(session, username)
    checked = parse_role(role)
    seat = next((m for m in user.memberships if m.department.code == department_code and m.role == checked), None)
    if seat is None:
        raise NotFound("{username} holds no seat {role} in {department}.", username=user.username,
                       role=checked.label, department=department_code)
    if checked == ADMINISTERING and user.is_active:
        _keep_an_admin(session, user.id, seat_id=seat.id)
    _record(session, operator, Action.SEAT_REMOVED, user, now=now, department_id=seat.department_id,
            payload={"department": department_code, "role": checked.value})
    user.memberships.remove(seat)
    session.flush()


def reset_password(session: Session, operator: Operator, username: str, *, now: datetime,
                   password: str | None = None) -> tuple[str | None, int]:
    """Set ``password`` (or a generated one, returned to show once) and end every session: (generated, ended)."""
    require_admin(operator)
    user = _user(session, username)
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
    user = _user(session, username)
    expires_at = now + timedelta(days=days) if days is not None else None
    secret = accounts.issue_token(session, user, label=label, now=now, expires_at=expires_at)
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == accounts.token_digest(secret))).scalar_one()
    _record(session, operator, Action.TOKEN_ISSUED, user, now=now,
            payload={"token_id": row.id, "label": row.label, "expires_at": _iso(expires_at)})
    return NewToken(secret, row.id, row.label, row.created_at, row.expires_at)


def revoke_token(session: Session, operator: Operator, username: str, token_id: int, *, now: datetime) -> None:
    """Withdraw one API token of the user; NotFound when the user has no such token."""
    require_admin(operator)
    user = _user(session, username)
    if not accounts.revoke_token(session, user, token_id):
        raise NotFound("{username} has no API token {id}.", username=user.username, id=token_id)
    _record(session, operator, Action.TOKEN_REVOKED, user, now=now, payload={"token_id": token_id})


def revoke_access(session: Session, operator: Operator, username: str, *, now: datetime) -> tuple[int, int]:
    """Withdraw every API token and end every session of the user: (tokens, sessions)."""
    require_admin(operator)
    user = _user(session, username)
    tokens, ended = accounts.revoke_access(session, user, now=now)
    _record(session, operator, Action.ACCESS_REVOKED, user, now=now,
            payload={"tokens": tokens, "sessions_ended": ended})
    return tokens, ended


def seat_choices(session: Session) -> list[tuple[Department, list[Role]]]:
    """Every unit with the roles that fit it (for a seat form)."""
    departments = session.execute(select(Department).order_by(Department.kind, Department.code)).scalars().all()
    return [(d, [r for r in Role if _misfit(d, r) is None]) for d in departments]


def _user(session: Session, username: str) -> User:
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
    misfit = _misfit(department, role)
    if misfit is not None:
        raise InvalidInput(misfit.template, [FieldError("role", misfit.template, "scope", dict(misfit.params))],
                           **misfit.params)
    return department, role


def _misfit(department: Department, role: Role) -> Text | None:
    """Why ``role`` cannot sit in ``department``, or None when it can."""
    if department.kind not in FITTING_KINDS[role.scope]:
        return Text("A {role} cannot sit in {unit}, a {kind}.",
                    {"role": role.label, "unit": department.name, "kind": KIND_NAMES[department.kind]})
    # District roles get their tasks in the unit that serves them (engine.assignment.unit_for).
    if role.scope == Scope.DISTRICT and department.serves_role != role:
        return Text("{unit} does not serve the role {role}; give the seat in the unit that does.",
                    {"role": role.label, "unit": department.name})
    return None


def _add_seat(session: Session, operator: Operator, user: User, department: Department, role: Role, *,
              now: datetime) -> SeatView:
    if any(m.department_id == department.id and m.role == role for m in user.memberships):
        raise Conflict("{username} already holds {role} in {department}.", username=user.username,
                       role=role.label, department=department.name)
    user.memberships.append(Membership(department=department, role=role))
    _record(session, operator, Action.SEAT_ADDED, user, now=now, department_id=department.id,
            payload={"department": department.code, "role": role.value})
    session.flush()
    return SeatView(department.code, department.name, department.kind, role)


def _keep_an_admin(session: Session, user_id: int, *, seat_id: int | None = None) -> None:
    """Conflict unless an active admin seat other than ``user_id``'s (or than ``seat_id``) remains.

    The admin seats are locked first on PostgreSQL, so two admins removing each other at the
    same moment cannot both pass the check.
    """
    seats = session.execute(select(Membership.id, Membership.user_id).join(User, User.id == Membership.user_id)
                            .where(Membership.role == ADMINISTERING, User.is_active.is_(True))
                            .with_for_update(of=Membership)).all()
    others = [s for s in seats if (s.id != seat_id if seat_id is not None else s.user_id != user_id)]
    if not others:
        raise Conflict("This is the last active administrator seat; give another person one first.")


def _summaries(session: Session, users: Iterable[User], *, now: datetime,
               policy: SessionPolicy | None) -> list[UserSummary]:
    users = list(users)
    ids = [u.id for u in users]
    if not ids:
        return []
    policy = policy or SessionPolicy()
    live = dict.fromkeys(ids, (0, None))
    for user_id, count, last in session.execute(
            select(UserSession.user_id, func.count(UserSession.id), func.max(UserSession.last_seen_at))
            .where(UserSession.user_id.in_(ids), UserSession.revoked_at.is_(None),
                   UserSession.last_seen_at > now - policy.idle, UserSession.created_at > now - policy.absolute)
            .group_by(UserSession.user_id)):
        live[user_id] = (int(count), last)
    seen = dict(session.execute(select(UserSession.user_id, func.max(UserSession.last_seen_at))
                                .where(UserSession.user_id.in_(ids)).group_by(UserSession.user_id)).all())
    tokens = dict(session.execute(
        select(ApiToken.user_id, func.count(ApiToken.id))
        .where(ApiToken.user_id.in_(ids), or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
        .group_by(ApiToken.user_id)).all())
    return [UserSummary(
        u.id, u.username, u.display_name, u.is_active, u.created_at,
        tuple(sorted((SeatView(m.department.code, m.department.name, m.department.kind, m.role)
                      for m in u.memberships), key=lambda s: (s.department_code, s.role.value))),
        live[u.id][0], _aware(seen.get(u.id)), int(tokens.get(u.id, 0))) for u in users]


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates skip the column type, so SQLite hands back naive UTC text; make it an aware instant."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _record(session: Session, operator: Operator, action: Action, user: User, *, now: datetime,
            department_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
    session.flush()  # a new user needs its id in the row
    by = {"via": "console"} if isinstance(operator, Console) else {}
    audit.record(session, action.value, at=now, instance_id=None,
                 actor_id=operator.user_id if isinstance(operator, Actor) else None, department_id=department_id,
                 payload={"user_id": user.id, "user": user.username, **by, **(payload or {})})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

