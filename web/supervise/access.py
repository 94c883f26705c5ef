"""Who may open the supervision pages, and which departments each reader covers."""
from __future__ import annotations

from flask import abort
from sqlalchemy.orm import Session

from engine import catalog
from engine.actors import Actor
from engine.models import DepartmentKind
from engine.roles import Role
from escalation.supervision import scope_departments
from web.auth.session import current_actor, roles_required

# District supervision, leadership, dispatch and admins see every department; a head only their own.
SUPERVISION_ROLES = (Role.SUPERVISOR, Role.DISTRICT_LEADER, Role.DISPATCH_CENTER, Role.ADMIN, Role.DEPT_HEAD)
supervision_page = roles_required(*SUPERVISION_ROLES)


def own_departments(actor: Actor) -> list[str]:
    """The departments ``actor`` heads."""
    return sorted({s.department_code for s in actor.seats_with(Role.DEPT_HEAD)})


def scope(requested: str | None) -> list[str] | None:
    """The departments a query of the current reader may cover (None: all of them)."""
    actor = current_actor()
    return scope_departments(actor.sees_all_cases, own_departments(actor), requested or None)


def department_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the departments the reader may pick in a filter."""
    actor = current_actor()
    found = catalog.departments(session, DepartmentKind.DISTRICT_DEPARTMENT)
    if not actor.sees_all_cases:
        own = set(own_departments(actor))
        found = [d for d in catalog.departments(session) if d.code in own]
    return [(d.code, d.name) for d in found]


def street_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every street and township."""
    return [(d.code, d.name) for kind in (DepartmentKind.STREET, DepartmentKind.TOWN)
            for d in catalog.departments(session, kind)]


def require_department(code: str) -> None:
    """404 unless the reader covers department ``code`` (others may not learn what it holds)."""
    if scope(code) == []:
        abort(404)
