"""Named inbox queries: each returns a ``Select`` the caller pages and renders.

Inbox pages read only ``human_task`` and small joined rows; they never load a workflow.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import Session, aliased

from engine.access import task_visible
from engine.actors import Actor
from engine.models import Department, HumanTask, ProcessInstance, TaskStatus, User
from engine.roles import Role


class Scope(enum.StrEnum):
    """Whose tasks: the actor's own, or their departments' queues."""

    MINE = "mine"
    DEPARTMENT = "department"


@dataclass(frozen=True)
class TaskRow:
    """One line of an inbox."""

    id: int
    instance_id: int
    name: str
    element_id: str
    status: TaskStatus
    role: Role | None
    context: dict[str, Any]
    department_code: str | None
    department_name: str | None
    assignee: str | None
    assignee_name: str | None
    case_title: str
    process_key: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None


def tasks(actor: Actor, scope: Scope, status: TaskStatus, *, window: int | None = None) -> Select[tuple[object, ...]]:
    """The actor's tasks (``mine``) or their departments' tasks, with one status, oldest first.

    ``window`` (the rows a page needs, offset included) lets a member of several departments
    read each department's queue in index order and merge, instead of sorting them all.
    """
    departments = sorted(actor.department_ids)
    if scope == Scope.DEPARTMENT and window is not None and len(departments) > 1:
        return _merged_queues(departments, status, window)
    return _one_queue(actor, scope, status)


def _merged_queues(departments: list[int], status: TaskStatus, window: int) -> Select[tuple[object, ...]]:
    # Each part is wrapped in its own subquery: SQLite allows no LIMIT inside a bare UNION part.
    parts = [select(*_ordered(_columns().where(HumanTask.status == status, HumanTask.department_id == d), status)
                    .limit(window).subquery().c) for d in departments]
    merged = union_all(*parts).subquery()
    order = merged.c.completed_at.desc() if status == TaskStatus.COMPLETED else merged.c.created_at
    return select(*merged.c).order_by(order, merged.c.id)


def _ordered(query: Select[tuple[object, ...]], status: TaskStatus) -> Select[tuple[object, ...]]:
    order = HumanTask.completed_at.desc() if status == TaskStatus.COMPLETED else HumanTask.created_at
    return query.order_by(order, HumanTask.id)


def _one_queue(actor: Actor, scope: Scope, status: TaskStatus) -> Select[tuple[object, ...]]:
    query = _columns().where(HumanTask.status == status)
    if scope == Scope.MINE:
        if status == TaskStatus.COMPLETED:
            query = query.where(HumanTask.completed_by_id == actor.user_id)
        else:
            query = query.where(HumanTask.assignee_id == actor.user_id)
    else:
        query = query.where(task_visible(actor))
    return _ordered(query, status)


def _columns() -> Select[tuple[object, ...]]:
    """The columns of an inbox line, with the joins they need."""
    assignee = aliased(User)
    return (
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.name,
            HumanTask.element_id,
            HumanTask.status,
            HumanTask.role,
            HumanTask.context,
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            assignee.username.label("assignee"),
            assignee.display_name.label("assignee_name"),
            ProcessInstance.title.label("case_title"),
            ProcessInstance.process_key,
            HumanTask.created_at,
            HumanTask.claimed_at,
            HumanTask.completed_at,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .outerjoin(assignee, assignee.id == HumanTask.assignee_id)
    )


def page(session: Session, query: Select[tuple[object, ...]], *, limit: int, offset: int) -> tuple[list[TaskRow], bool]:
    """One page of rows and whether more follow (fetches one extra row instead of counting)."""
    rows = session.execute(query.limit(limit + 1).offset(offset)).all()
    return [TaskRow(*row) for row in rows[:limit]], len(rows) > limit


def inbox_page(session: Session, actor: Actor, scope: Scope, status: TaskStatus, *, limit: int,
               offset: int) -> tuple[list[TaskRow], bool]:
    """One page of an inbox, read the cheapest way for the actor's departments."""
    return page(session, tasks(actor, scope, status, window=offset + limit + 1), limit=limit, offset=offset)
