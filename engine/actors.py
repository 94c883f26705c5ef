"""Who is acting: a user with their seats (a role in a unit) and what those seats allow."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from engine.errors import NotFound
from engine.models import Department, Membership, User
from engine.roles import Capability, RoleBook, role_book


@dataclass(frozen=True)
class Seat:
    """One role (its code) held in one unit."""

    department_id: int
    department_code: str
    department_name: str
    role: str
    unit_kind: str = ""
    capabilities: frozenset[str] = frozenset()  # granted to this seat's role
    oversees: tuple[str, ...] = ()  # the unit kinds whose subtree the role supervises from here


@dataclass(frozen=True)
class Actor:
    """A logged-in user as the engine sees them."""

    user_id: int
    username: str
    display_name: str
    seats: tuple[Seat, ...]
    capabilities: frozenset[str] = frozenset()
    # Role code held -> the role codes it heads / whose tasks it hands out (from the role data).
    headed: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False, hash=False)
    distributing: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False, hash=False)
    # Paths (``/1/4/``) of the units whose subtrees the actor supervises.
    overseen: tuple[str, ...] = ()

    @property
    def department_ids(self) -> frozenset[int]:
        """Every unit the user holds a seat in."""
        return frozenset(s.department_id for s in self.seats)

    @property
    def roles(self) -> frozenset[str]:
        """Every role code the user holds, anywhere."""
        return frozenset(s.role for s in self.seats)

    def can(self, *capabilities: Capability) -> bool:
        """Whether one of the user's roles is granted any of ``capabilities``."""
        return any(c in self.capabilities for c in capabilities)

    @property
    def supervises(self) -> bool:
        """Whether the user oversees some subtree of the organisation."""
        return bool(self.overseen)

    @property
    def is_head(self) -> bool:
        """Whether the user heads some role in some unit (decides its extension requests)."""
        return any(self.headed.get(s.role) for s in self.seats)

    def has_role(self, role: str, department_id: int | None = None) -> bool:
        """Whether the user holds ``role`` (in ``department_id``, when given)."""
        return any(s.role == role and department_id in (None, s.department_id) for s in self.seats)

    def seats_with(self, *roles: str) -> list[Seat]:
        """The seats in which the user holds one of ``roles``."""
        return [s for s in self.seats if s.role in roles]

    def heads(self, role: str | None, department_id: int | None) -> bool:
        """Whether the user heads ``role`` in ``department_id``."""
        return role is not None and any(
            s.department_id == department_id and role in self.headed.get(s.role, ()) for s in self.seats)

    def distributes(self, role: str | None, department_id: int | None) -> bool:
        """Whether the user hands out tasks of ``role`` in ``department_id``."""
        return role is not None and any(
            s.department_id == department_id and role in self.distributing.get(s.role, ()) for s in self.seats)

    def hands_out_work(self, department_id: int) -> bool:
        """Whether the user heads or distributes some role in ``department_id``."""
        return any(s.department_id == department_id and (self.headed.get(s.role) or self.distributing.get(s.role))
                   for s in self.seats)


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
    session = object_session(user)
    assert session is not None, "actor_of needs a user loaded in a session"
    book = role_book(session)
    active = [m for m in user.memberships if m.department.active]
    headed = book.headed_by(m.role for m in active)

    def seat(m: Membership) -> Seat:
        role = book.get(m.role)
        live = role is not None and role.active
        return Seat(m.department_id, m.department.code, m.department.name, m.role, m.department.kind,
                    role.capabilities if live else frozenset(), role.oversees if live else ())

    seats = tuple(sorted((seat(m) for m in active), key=lambda s: (s.department_code, s.role)))
    held = [r for r in (book.get(s.role) for s in seats) if r is not None and r.active]
    capabilities = frozenset(c for r in held for c in r.capabilities)
    overseen = _overseen(session, book, user, seats) if Capability.SUPERVISE in capabilities else ()
    return Actor(user.id, user.username, user.display_name, seats, capabilities, headed,
                 {r.code: r.distributes for r in held}, overseen)


def _overseen(session: Session, book: RoleBook, user: User, seats: Iterable[Seat]) -> tuple[str, ...]:
    """The subtree roots of the supervising seats: the nearest unit of an ``oversees`` kind, else the seat's."""
    paths = {m.department_id: m.department.path for m in user.memberships}
    wanted: list[tuple[str, tuple[str, ...]]] = []
    for seat in seats:
        role = book.get(seat.role)
        if role is not None and role.active and Capability.SUPERVISE in role.capabilities:
            wanted.append((paths[seat.department_id], role.oversees))
    ancestor_ids = {int(part) for path, kinds in wanted if kinds for part in path.strip("/").split("/") if part}
    kinds_of: dict[int, tuple[str, str]] = {}
    if ancestor_ids:
        kinds_of = {row.id: (row.kind, row.path) for row in session.execute(
            select(Department.id, Department.kind, Department.path).where(Department.id.in_(ancestor_ids)))}
    roots: set[str] = set()
    for path, kinds in wanted:
        root = path
        if kinds:
            chain = [int(p) for p in path.strip("/").split("/") if p]
            found = [kinds_of[i][1] for i in reversed(chain) if i in kinds_of and kinds_of[i][0] in kinds]
            root = found[0] if found else path
        roots.add(root)
    # A root inside another root adds nothing.
    return tuple(sorted(r for r in roots if r and not any(o != r and r.startswith(o) for o in roots)))
