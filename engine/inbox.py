"""Named inbox queries: each returns a ``Select`` the caller pages and renders.

Inbox pages read only ``human_task`` and small joined rows; they never load a workflow.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
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


def tasks(actor: Actor, scope: Scope, status: TaskStatus) -> Select[tuple[object, ...]]:
    """The actor's tasks (``mine``) or their departments' tasks, with one status, oldest first."""
    assignee = aliased(User)
    query = (
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
        .where(HumanTask.status == status)
    )
    if scope == Scope.MINE:
        if status == TaskStatus.COMPLETED:
            query = query.where(HumanTask.completed_by_id == actor.user_id)
        else:
            query = query.where(HumanTask.assignee_id == actor.user_id)
    else:
        query = query.where(task_visible(actor))
    order = HumanTask.completed_at.desc() if status == TaskStatus.COMPLETED else HumanTask.created_at
    return query.order_by(order, HumanTask.id)


def page(session: Session, query: Select[tuple[object, ...]], *, limit: int, offset: int) -> tuple[list[TaskRow], bool]:
    """One page of rows and whether more follow (fetches one extra row instead of counting)."""
    rows = session.execute(query.limit(limit + 1).offset(offset)).all()
    return [TaskRow(*row) for row in rows[:limit]], len(rows) > limit
