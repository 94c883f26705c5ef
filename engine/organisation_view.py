"""What a deploy checks a diagram against: the declared roles, unit kinds and unit codes."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Department, UnitKind
from engine.organisation_data import Organisation
from engine.roles import Role, RoleBook, role_book


@dataclass(frozen=True)
class OrganisationView:
    """Roles, kinds, unit codes and how many active units each kind has."""

    roles: RoleBook = field(default_factory=lambda: RoleBook(()))
    kinds: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    kind_counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session) -> OrganisationView:
        """The organisation as the database holds it."""
        kinds = frozenset(session.execute(select(UnitKind.code).where(UnitKind.active)).scalars())
        rows = session.execute(select(Department.code, Department.kind, Department.active)).all()
        return cls(role_book(session), kinds, frozenset(r.code for r in rows),
                   Counter(r.kind for r in rows if r.active))

    @classmethod
    def of(cls, organisation: Organisation) -> OrganisationView:
        """The organisation as files declare it (checking a diagram without a database)."""
        return cls(RoleBook(organisation.roles.values()), frozenset(organisation.kinds),
                   frozenset(organisation.units), Counter(u.kind for u in organisation.units.values()))

    def merged(self, newer: OrganisationView) -> OrganisationView:
        """This organisation with ``newer``'s roles, kinds and units added (``newer`` wins where both declare)."""
        roles = {r.code: r for r in self.roles} | {r.code: r for r in newer.roles}
        return OrganisationView(RoleBook(roles.values()), self.kinds | newer.kinds, self.units | newer.units,
                                Counter(self.kind_counts) | Counter(newer.kind_counts))

    def units_for(self, role: Role) -> int:
        """How many active units the role can sit in."""
        return sum(self.kind_counts.get(kind, 0) for kind in role.unit_kinds)
