"""The task query of the API: inbox lines narrowed by any combination of filters, sorted, counted.

Only tasks the caller may see are ever matched: their departments' tasks (``scope=department``)
or their own (``scope=mine``), exactly as the inboxes decide. Deadlines belong to a layer the
engine does not know, so the caller passes a function that, given the query's scope as a
condition on ``human_task``, returns a subquery of ``(task_id, due_at)``: each task's current
deadline (the earliest of its running clocks), to filter, sort by and show. Asking only for
the scope's tasks keeps a department's listing from reading the whole district's deadlines.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.access import task_visible
from engine.actors import Actor
from engine.inbox import Scope, TaskRow, row_columns
from engine.models import Department, HumanTask, ProcessInstance, TaskStatus, User

MAX_TEXT_WORDS = 5


class Sort(enum.StrEnum):
    """The orders a client may ask for; ``-`` means descending. Ties go by task id."""

    CREATED = "created"
    CREATED_DESC = "-created"
    DUE = "due"
    DUE_DESC = "-due"
    COMPLETED = "completed"
    COMPLETED_DESC = "-completed"


@dataclass(frozen=True)
class TaskQuery:
    """What to match; empty fields match everything."""

    scope: Scope = Scope.DEPARTMENT
    statuses: tuple[TaskStatus, ...] = (TaskStatus.OPEN,)
    instance_id: int | None = None
    process: str | None = None
    element: str | None = None
    business_key: str | None = None
    department: str | None = None
    assignee: str | None = None
    role: str | None = None
    text: str = ""
    due_before: datetime | None = None  # current deadline at or before
    due_after: datetime | None = None  # current deadline after
    # Overdue at ``now``: a current deadline at or before ``now`` (some running clock is late), or not.
    overdue: bool | None = None
    now: datetime | None = None
    sort: Sort = Sort.CREATED
    # From the layer that owns deadlines: the scope's ``(task_id, due_at)`` per task with a running clock.
    deadlines: Callable[[ColumnElement[bool]], Subquery] | None = None


@dataclass(frozen=True)
class QueryRow(TaskRow):
    """An inbox line with the task's current deadline, if a clock of it runs."""

    due_at: datetime | None


@dataclass(frozen=True)
class TaskPage:
    """One page of matches, whether more follow, and how many match in all."""

    rows: list[QueryRow]
    more: bool
    total: int


def page(session: Session, actor: Actor, query: TaskQuery, *, limit: int, offset: int) -> TaskPage:
    """One page of the tasks ``query`` matches among those ``actor`` may see (one statement, counted by a window)."""
    scope = _scope(actor, query.scope, query.statuses)
    deadlines = query.deadlines(scope) if query.deadlines is not None else None
    due = deadlines.c.due_at if deadlines is not None else literal(None)
    total = func.count().over().label("total")
    statement = (_joined(row_columns(), deadlines).add_columns(due.label("due_at"), total)
                 .where(scope, *_conditions(query, due)).order_by(*_order(query.sort, due), HumanTask.id))
    rows = session.execute(statement.limit(limit + 1).offset(offset)).all()
    if rows:
        count = int(rows[0].total)
    elif offset:  # past the last row: the window had no row to ride on
        matched = _joined(select(func.count()).select_from(HumanTask)
                          .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id), deadlines)
        count = int(session.execute(matched.where(scope, *_conditions(query, due))).scalar_one())
    else:
        count = 0
    return TaskPage([QueryRow(*row[:-1]) for row in rows[:limit]], len(rows) > limit, count)


def _joined(statement: Select[Any], deadlines: Subquery | None) -> Select[Any]:
    """``statement`` with the deadlines joined (a task without a running clock keeps its row)."""
    if deadlines is None:
        return statement
    return statement.outerjoin(deadlines, deadlines.c.task_id == HumanTask.id)


def _conditions(query: TaskQuery, due: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    found = [HumanTask.status.in_(query.statuses)]
    if query.instance_id is not None:
        found.append(HumanTask.instance_id == query.instance_id)
    if query.process:
        found.append(ProcessInstance.process_key == query.process)
    if query.element:
        found.append(HumanTask.element_id == query.element)
    if query.business_key:
        found.append(ProcessInstance.business_key == query.business_key)
    if query.department:
        found.append(HumanTask.department_id ==
                     select(Department.id).where(Department.code == query.department).scalar_subquery())
    if query.assignee:
        found.append(HumanTask.assignee_id ==
                     select(User.id).where(User.username == query.assignee).scalar_subquery())
    if query.role is not None:
        found.append(HumanTask.role == query.role)
    if query.due_before is not None:
        found.append(due <= query.due_before)
    if query.due_after is not None:
        found.append(due > query.due_after)
    if query.overdue is not None and query.now is not None:
        found.append(due <= query.now if query.overdue else or_(due.is_(None), due > query.now))
    for word in query.text.split()[:MAX_TEXT_WORDS]:  # every word, in the case title or the task name
        found.append(or_(ProcessInstance.title.icontains(word, autoescape=True),
                         HumanTask.name.icontains(word, autoescape=True)))
    return found


def _scope(actor: Actor, scope: Scope, statuses: tuple[TaskStatus, ...]) -> ColumnElement[bool]:
    """The inboxes' rule: their departments' tasks, or their own (held by them, or done by them)."""
    if scope == Scope.DEPARTMENT:
        return task_visible(actor)
    done = and_(HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_by_id == actor.user_id)
    held = and_(HumanTask.status != TaskStatus.COMPLETED, HumanTask.assignee_id == actor.user_id)
    if statuses == (TaskStatus.COMPLETED,):
        return done
    return or_(done, held) if TaskStatus.COMPLETED in statuses else held


def _order(sort: Sort, due: ColumnElement[Any]) -> list[ColumnElement[object]]:
    column: ColumnElement[object] = {
        Sort.CREATED: HumanTask.created_at, Sort.DUE: due, Sort.COMPLETED: HumanTask.completed_at,
    }[Sort(sort.removeprefix("-"))]
    descending = sort.startswith("-")
    # Tasks without the value (no running clock, not completed) come last either way.
    return [column.is_(None), column.desc() if descending else column.asc()]
