"""Reading users for administrators: the filtered, paged list and one user with sessions, tokens and history."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.models import ApiToken, Department, Membership, TaskEvent, User, UserSession
from engine.roles import role_book
from engine.user_admin import MAX_PAGE, Action, Operator, find_user, require_admin
from engine.user_sessions import SessionPolicy

HISTORY_ROWS = 50


@dataclass(frozen=True)
class SeatView:
    """One seat of a user: a role in a unit."""

    department_code: str
    department_name: str
    department_kind: str
    role: str  # the role code
    role_label: str = ""


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


def list_users(session: Session, operator: Operator, *, text: str | None = None, department: str | None = None,
               role: str | None = None, active: bool | None = None, limit: int = 50, offset: int = 0,
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
    user = find_user(session, username)
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


def _summaries(session: Session, users: Iterable[User], *, now: datetime,
               policy: SessionPolicy | None) -> list[UserSummary]:
    users = list(users)
    ids = [u.id for u in users]
    if not ids:
        return []
    policy = policy or SessionPolicy()
    book = role_book(session)
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
        tuple(sorted((SeatView(m.department.code, m.department.name, m.department.kind, m.role, book.label(m.role))
                      for m in u.memberships), key=lambda s: (s.department_code, s.role))),
        live[u.id][0], _aware(seen.get(u.id)), int(tokens.get(u.id, 0))) for u in users]


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates skip the column type, so SQLite hands back naive UTC text; make it an aware instant."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
