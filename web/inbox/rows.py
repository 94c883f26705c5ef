"""What the inbox row template needs besides the rows: names of departments and categories, and who may do what."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import catalog
from engine.access import is_candidate, may_release
from engine.actors import Actor
from engine.inbox import PageRow
from engine.models import Department, TaskStatus


def department_names(session: Session, departments: list[Department] | None = None) -> dict[str, str]:
    """Short names of every department by code (a district has a few dozen)."""
    return {d.code: d.short_name or d.name for d in departments or catalog.departments(session)}


def row_context(session: Session, actor: Actor, departments: list[Department] | None = None) -> dict[str, Any]:
    """Template variables for :file:`inbox/_row.html` (``departments``: the list, if the caller has it)."""
    return {
        "department_names": department_names(session, departments),
        "category_names": {c.code: c.name for c in catalog.categories(session)},
        "may_claim": lambda row: may_claim(actor, row),
        "may_release": lambda row: may_unclaim_row(actor, row),
    }


def may_claim(actor: Actor, row: PageRow) -> bool:
    """An open task the actor is a candidate for."""
    return row.status == TaskStatus.OPEN and is_candidate(actor, row.department_id, row.role)


def may_unclaim_row(actor: Actor, row: PageRow) -> bool:
    """A claimed task the actor holds, or holds authority over (the department head)."""
    return row.status == TaskStatus.CLAIMED and may_release(actor, row.department_id, row.role, row.assignee_id)
