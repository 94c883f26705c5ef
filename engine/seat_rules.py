"""Which roles may sit in which units: a role's scope must fit the unit's kind (see engine.roles)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Text
from engine.models import Department, DepartmentKind
from engine.roles import Role, Scope

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


def seat_choices(session: Session) -> list[tuple[Department, list[Role]]]:
    """Every unit with the roles that fit it (for a seat form)."""
    departments = session.execute(select(Department).order_by(Department.kind, Department.code)).scalars().all()
    return [(d, [r for r in Role if misfit(d, r) is None]) for d in departments]


def misfit(department: Department, role: Role) -> Text | None:
    """Why ``role`` cannot sit in ``department``, or None when it can."""
    if department.kind not in FITTING_KINDS[role.scope]:
        return Text("A {role} cannot sit in {unit}, a {kind}.",
                    {"role": role.label, "unit": department.name, "kind": KIND_NAMES[department.kind]})
    # District roles get their tasks in the unit that serves them (engine.assignment.unit_for).
    if role.scope == Scope.DISTRICT and department.serves_role != role:
        return Text("{unit} does not serve the role {role}; give the seat in the unit that does.",
                    {"role": role.label, "unit": department.name})
    return None
