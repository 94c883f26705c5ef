"""Roles as data (the ``role`` table a pack fills) and the few capabilities the code knows."""
from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import RoleDefinition


class Capability(enum.StrEnum):
    """What the code lets a role's holders do; packs grant these to their roles."""

    START = "start"  # start cases from the seat's unit and follow those started there
    SUPERVISE = "supervise"  # follow every case of the overseen subtree, urge, rank
    DESIGN = "design"  # draw, validate and deploy processes and policies; see incidents
    ADMINISTER = "administer"  # users, seats, units; repair and migrate cases
    PUBLIC = "public"  # act as a member of the public


@dataclass(frozen=True)
class Role:
    """One role as the organisation data declares it."""

    code: str
    label: str
    label_en: str = ""
    unit_kinds: frozenset[str] = frozenset()
    head: str | None = None
    capabilities: frozenset[str] = frozenset()
    distributes: frozenset[str] = frozenset()
    oversees: tuple[str, ...] = ()
    assign: str | None = None
    active: bool = True

    @classmethod
    def of(cls, row: RoleDefinition) -> Role:
        """The role a ``role`` row declares."""
        return cls(row.code, row.label, row.label_en or "", frozenset(row.unit_kinds or ()), row.head,
                   frozenset(row.capabilities or ()), frozenset(row.distributes or ()), tuple(row.oversees or ()),
                   row.assign, row.active)


_TRAILING_CODE = re.compile(r"[(（]\s*([a-z][a-z0-9_]*)\s*[)）]\s*$")


class RoleBook:
    """Every declared role by code, with the lookups pages and the engine need."""

    def __init__(self, roles: Iterable[Role]) -> None:
        self._by_code: dict[str, Role] = {r.code: r for r in roles}
        self._by_label = {r.label: r for r in self._by_code.values()}

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_code.values(), key=lambda r: r.code))

    def get(self, code: str | None) -> Role | None:
        """The role with ``code``, or None."""
        return self._by_code.get(code) if code else None

    def label(self, code: str | None) -> str:
        """A role's Chinese label (its code when the role is unknown)."""
        role = self.get(code)
        return role.label if role else (code or "")

    def head_of(self, code: str | None) -> str | None:
        """The code of the role that heads ``code``."""
        role = self.get(code)
        return role.head if role else None

    def with_capability(self, capability: Capability) -> list[str]:
        """Codes of the active roles granted ``capability``."""
        return [r.code for r in self if r.active and capability in r.capabilities]

    def headed_by(self, codes: Iterable[str]) -> dict[str, frozenset[str]]:
        """For each of ``codes``: the roles it heads."""
        wanted = set(codes)
        found: dict[str, set[str]] = {c: set() for c in wanted}
        for role in self._by_code.values():
            if role.head in wanted:
                found[role.head].add(role.code)
        return {c: frozenset(v) for c, v in found.items()}

    def for_lane(self, lane_name: str | None) -> Role | None:
        """The role a lane names: its code, its Chinese label, or a name ending in ``(code)``."""
        if not lane_name:
            return None
        name = lane_name.strip()
        found = self._by_code.get(name) or self._by_label.get(name)
        if found is not None:
            return found
        match = _TRAILING_CODE.search(name)
        return self._by_code.get(match.group(1)) if match else None

    def labels(self) -> Mapping[str, str]:
        """Code → Chinese label of every role."""
        return {r.code: r.label for r in self._by_code.values()}


_SESSION_KEY = "whistle.role_book"


_COLUMNS = (RoleDefinition.code, RoleDefinition.label, RoleDefinition.label_en, RoleDefinition.unit_kinds,
            RoleDefinition.head, RoleDefinition.capabilities, RoleDefinition.distributes, RoleDefinition.oversees,
            RoleDefinition.assign, RoleDefinition.active)


def role_book(session: Session) -> RoleBook:
    """The declared roles, read once per session (a sync or an admin edit shows from the next one)."""
    found = session.info.get(_SESSION_KEY)
    if found is None:
        # Plain rows, not ORM objects: every transaction reads the roles, and loading entities cost
        # a tenth of a task completion. The book is shared while the rows stay the same.
        rows = session.execute(select(*_COLUMNS).order_by(RoleDefinition.code)).all()
        found = _book(tuple(tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows))
        session.info[_SESSION_KEY] = found
    return found


@functools.lru_cache(maxsize=16)
def _book(rows: tuple[tuple[Any, ...], ...]) -> RoleBook:
    """The book of these role rows (code, label, label_en, unit_kinds, head, capabilities, … active)."""
    return RoleBook(Role(code, label, label_en or "", frozenset(kinds or ()), head, frozenset(capabilities or ()),
                         frozenset(distributes or ()), tuple(oversees or ()), assign, bool(active))
                    for code, label, label_en, kinds, head, capabilities, distributes, oversees, assign, active
                    in rows)


def forget_roles(session: Session) -> None:
    """Drop the session's role book after roles changed in it."""
    session.info.pop(_SESSION_KEY, None)
