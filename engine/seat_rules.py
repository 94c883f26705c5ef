"""Which roles may sit in which units: a role lists the unit kinds it may be held in (organisation data)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Text
from engine.models import Department, UnitKind
from engine.roles import Role, role_book


def seat_choices(session: Session) -> list[tuple[Department, list[Role]]]:
    """Every active unit with the active roles that fit it (for a seat form)."""
    roles = [r for r in role_book(session) if r.active]
    units = session.execute(select(Department).where(Department.active)
                            .order_by(Department.path, Department.code)).scalars().all()
    return [(u, [r for r in roles if u.kind in r.unit_kinds]) for u in units]


def misfit(session: Session, department: Department, role: Role) -> Text | None:
    """Why ``role`` cannot sit in ``department``, or None when it can."""
    if not role.active:
        return Text("The role {role} is no longer in use.", {"role": role.label})
    if not department.active:
        return Text("{unit} is no longer in use.", {"unit": department.name})
    if department.kind not in role.unit_kinds:
        kind = session.get(UnitKind, department.kind)
        return Text("A {role} cannot sit in {unit}, a {kind}.",
                    {"role": role.label, "unit": department.name, "kind": kind.label if kind else department.kind})
    return None
