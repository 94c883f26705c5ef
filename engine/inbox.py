"""Named inbox queries: each returns a ``Select`` the caller pages and renders.

Inbox pages read only ``human_task`` and small joined rows; they never load a workflow.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, union_all
from sqlalchemy.orm import Session, aliased

from engine.access import task_visible
from engine.actors import Actor
from engine.models import Department, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User


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
    role: str | None  # the role code
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
    return _ordered(_columns().where(*_scoped(actor, scope, status)), status)


def _scoped(actor: Actor, scope: Scope, status: TaskStatus) -> list[ColumnElement[bool]]:
    """The conditions of one inbox: a status, and the actor's own tasks or their departments'."""
    conditions = [HumanTask.status == status]
    if scope == Scope.MINE:
        if status == TaskStatus.COMPLETED:
            conditions.append(HumanTask.completed_by_id == actor.user_id)
        else:
            conditions.append(HumanTask.assignee_id == actor.user_id)
    else:
        conditions.append(task_visible(actor))
    return conditions


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


def row_columns() -> Select[tuple[object, ...]]:
    """The columns of :class:`TaskRow` with their joins, for queries that filter further (engine.task_query)."""
    return _columns()


def page(session: Session, query: Select[tuple[object, ...]], *, limit: int, offset: int) -> tuple[list[TaskRow], bool]:
    """One page of rows and whether more follow (fetches one extra row instead of counting)."""
    rows = session.execute(query.limit(limit + 1).offset(offset)).all()
    return [TaskRow(*row) for row in rows[:limit]], len(rows) > limit


def inbox_page(session: Session, actor: Actor, scope: Scope, status: TaskStatus, *, limit: int,
               offset: int) -> tuple[list[TaskRow], bool]:
    """One page of an inbox, read the cheapest way for the actor's departments."""
    return page(session, tasks(actor, scope, status, window=offset + limit + 1), limit=limit, offset=offset)


# Inbox pages: the same inboxes narrowed by filters, with where each case comes from.

MAX_SEARCH_WORDS = 5
_CATEGORY = ProcessInstance.case_data["category"].as_string()


@dataclass(frozen=True)
class Filters:
    """What a page narrows an inbox to; empty values narrow nothing."""

    category: str | None = None
    street: str | None = None
    search: str = ""
    # Conditions on ``human_task`` from layers the engine does not know (escalation's deadlines).
    conditions: tuple[ColumnElement[bool], ...] = ()


@dataclass(frozen=True)
class PageRow(TaskRow):
    """An inbox line for the pages: also the street that blew the whistle and the case category."""

    department_id: int | None
    assignee_id: int | None
    street: str | None
    street_name: str | None
    category: str | None
    case_status: InstanceStatus  # a suspended case's tasks wait: the row says so instead of offering a claim

    @property
    def about(self) -> str | None:
        """The department a street task is about (whose work 核验 and 评价 judge), if any."""
        found = self.context.get("department") if isinstance(self.context, dict) else None
        return str(found) if found else None


def filtered(actor: Actor, scope: Scope, status: TaskStatus, filters: Filters) -> Select[tuple[object, ...]]:
    """The inbox of :func:`tasks`, narrowed by ``filters``, with the columns of :class:`PageRow`."""
    query = _page_columns().where(*_scoped(actor, scope, status), *filters.conditions)
    if filters.category:
        query = query.where(_CATEGORY == filters.category)
    if filters.street:
        street_id = select(Department.id).where(Department.code == filters.street).scalar_subquery()
        query = query.where(ProcessInstance.origin_department_id == street_id)
    words = filters.search.split()
    for word in words[:MAX_SEARCH_WORDS]:  # every word must appear in the title, in any order
        query = query.where(ProcessInstance.title.icontains(word, autoescape=True))
    return _ordered(query, status)


def _page_columns() -> Select[tuple[object, ...]]:
    """The columns of :class:`PageRow`: an inbox line plus ids, street and category."""
    origin = aliased(Department)
    return (
        _columns()
        .add_columns(HumanTask.department_id, HumanTask.assignee_id, origin.code.label("street"),
                     origin.name.label("street_name"), _CATEGORY.label("category"),
                     ProcessInstance.status.label("case_status"))
        .outerjoin(origin, origin.id == ProcessInstance.origin_department_id)
    )


def page_rows(session: Session, query: Select[tuple[object, ...]], *, limit: int,
              offset: int) -> tuple[list[PageRow], bool]:
    """One page of :func:`filtered` rows and whether more follow."""
    rows = session.execute(query.limit(limit + 1).offset(offset)).all()
    return [PageRow(*row) for row in rows[:limit]], len(rows) > limit


def count_rows(session: Session, query: Select[tuple[object, ...]], *, cap: int) -> int:
    """How many rows ``query`` holds, counting no further than ``cap`` (tab badges say "99+", not 12,345)."""
    capped = query.order_by(None).limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(capped)).scalar_one())


def page_row(session: Session, actor: Actor, task_id: int) -> PageRow | None:
    """One task of the actor's departments as an inbox line (after a claim, to redraw its row)."""
    found = session.execute(_page_columns().where(HumanTask.id == task_id, task_visible(actor))).first()
    return PageRow(*found) if found is not None else None


@dataclass(frozen=True)
class TaskForm:
    """Which form a task of a case was done with, and which department its work is about."""

    form_key: str | None
    about: str | None


def task_forms(session: Session, instance_id: int) -> dict[int, TaskForm]:
    """The form and subject department of every task of a case, by task id (to label its reports)."""
    rows = session.execute(
        select(HumanTask.id, HumanTask.form_key, HumanTask.context, Department.code)
        .outerjoin(Department, Department.id == HumanTask.department_id)
        .where(HumanTask.instance_id == instance_id)
    ).all()
    found: dict[int, TaskForm] = {}
    for task_id, form_key, context, code in rows:
        about = context.get("department") if isinstance(context, dict) else None
        found[task_id] = TaskForm(form_key, str(about) if about else code)
    return found


def display_names(session: Session, user_ids: list[int]) -> dict[int, str]:
    """Display names of users by id (who asked, who decided)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(sorted(set(user_ids))))).all()
    return {user_id: name for user_id, name in rows}
