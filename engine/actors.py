"""Who is acting: a user with the departments and roles they hold."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.errors import NotFound
from engine.models import User
from engine.roles import Role, Scope

# Roles whose holders follow every case of the district (supervision, leadership, dispatch).
DISTRICT_WIDE = frozenset({Role.SUPERVISOR, Role.DISTRICT_LEADER, Role.DISPATCH_CENTER, Role.ADMIN})


@dataclass(frozen=True)
class Seat:
    """One role held in one department."""

    department_id: int
    department_code: str
    department_name: str
    role: Role


@dataclass(frozen=True)
class Actor:
    """A logged-in user as the engine sees them."""

    user_id: int
    username: str
    display_name: str
    seats: tuple[Seat, ...]

    @property
    def department_ids(self) -> frozenset[int]:
        """Every department the user belongs to."""
        return frozenset(s.department_id for s in self.seats)

    @property
    def roles(self) -> frozenset[Role]:
        """Every role the user holds, anywhere."""
        return frozenset(s.role for s in self.seats)

    @property
    def sees_all_cases(self) -> bool:
        """District supervision, leadership, dispatch and admins follow every case."""
        return bool(self.roles & DISTRICT_WIDE)

    def has_role(self, role: Role, department_id: int | None = None) -> bool:
        """Whether the user holds ``role`` (in ``department_id``, when given)."""
        return any(s.role == role and department_id in (None, s.department_id) for s in self.seats)

    def seats_with(self, role: Role) -> list[Seat]:
        """The seats in which the user holds ``role``."""
        return [s for s in self.seats if s.role == role]

    def scope_seats(self, scope: Scope) -> list[Seat]:
        """The seats whose role sits in ``scope``."""
        return [s for s in self.seats if s.role.scope == scope]


def load_actor(session: Session, user_id: int) -> Actor:
    """The active user ``user_id`` with their seats; NotFound when missing or disabled."""
    user = session.execute(
        select(User).where(User.id == user_id).options(selectinload(User.memberships))
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        raise NotFound("User not found.")
    return actor_of(user)


def actor_of(user: User) -> Actor:
    """An :class:`Actor` for a loaded user (memberships are loaded with the user)."""
    seats = tuple(
        sorted(
            (Seat(m.department_id, m.department.code, m.department.name, m.role) for m in user.memberships),
            key=lambda s: (s.department_code, s.role.value),
        )
    )
    return Actor(user.id, user.username, user.display_name, seats)
