"""The case query of the API: cases the caller may see, narrowed by filters, newest first, counted."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased, defer

from engine.access import instance_visible
from engine.actors import Actor
from engine.models import Department, InstanceDepartment, InstanceStatus, ProcessInstance

MAX_TEXT_WORDS = 5


class Sort(enum.StrEnum):
    """The orders a client may ask for; ``-`` means descending. Ties go by case id."""

    CREATED = "created"
    CREATED_DESC = "-created"
    UPDATED = "updated"
    UPDATED_DESC = "-updated"


@dataclass(frozen=True)
class CaseQuery:
    """What to match; empty fields match everything."""

    statuses: tuple[InstanceStatus, ...] = ()
    process: str | None = None
    business_key: str | None = None
    department: str | None = None  # a department taking part
    street: str | None = None  # the unit the case was started for
    started_after: datetime | None = None  # inclusive
    started_before: datetime | None = None  # exclusive
    text: str = ""
    sort: Sort = Sort.CREATED_DESC


@dataclass(frozen=True)
class CaseRow:
    """A line of the case list."""

    instance: ProcessInstance
    street: str | None


@dataclass(frozen=True)
class CasePage:
    """One page of matches, whether more follow, and how many match in all."""

    rows: list[CaseRow]
    more: bool
    total: int


def page(session: Session, actor: Actor, query: CaseQuery, *, limit: int, offset: int) -> CasePage:
    """One page of the cases ``query`` matches among those ``actor`` may see (counted by a window)."""
    origin = aliased(Department)
    statement = (select(ProcessInstance, origin.code, func.count().over())
                 .options(defer(ProcessInstance.state), defer(ProcessInstance.case_data))  # lists need neither
                 .outerjoin(origin, origin.id == ProcessInstance.origin_department_id)
                 .where(*_conditions(actor, query)).order_by(*_order(query.sort)))
    rows = session.execute(statement.limit(limit + 1).offset(offset)).all()
    if rows:
        total = int(rows[0][2])
    elif offset:  # past the last row: the window had no row to ride on
        matched = select(func.count()).select_from(ProcessInstance).where(*_conditions(actor, query))
        total = int(session.execute(matched).scalar_one())
    else:
        total = 0
    return CasePage([CaseRow(i, street) for i, street, _ in rows[:limit]], len(rows) > limit, total)


def _code(code: str) -> ColumnElement[int]:
    return select(Department.id).where(Department.code == code).scalar_subquery()


def _conditions(actor: Actor, query: CaseQuery) -> list[ColumnElement[bool]]:
    found = [instance_visible(actor)]
    if query.statuses:
        found.append(ProcessInstance.status.in_(query.statuses))
    if query.process:
        found.append(ProcessInstance.process_key == query.process)
    if query.business_key:
        found.append(ProcessInstance.business_key == query.business_key)
    if query.department:
        found.append(exists().where(InstanceDepartment.instance_id == ProcessInstance.id,
                                    InstanceDepartment.department_id == _code(query.department)))
    if query.street:
        found.append(ProcessInstance.origin_department_id == _code(query.street))
    if query.started_after is not None:
        found.append(ProcessInstance.created_at >= query.started_after)
    if query.started_before is not None:
        found.append(ProcessInstance.created_at < query.started_before)
    for word in query.text.split()[:MAX_TEXT_WORDS]:  # every word must appear in the title or the business key
        found.append(ProcessInstance.title.icontains(word, autoescape=True)
                     | ProcessInstance.business_key.icontains(word, autoescape=True))
    return found


def _order(sort: Sort) -> list[ColumnElement[object]]:
    column = ProcessInstance.updated_at if sort.removeprefix("-") == "updated" else ProcessInstance.created_at
    if sort.startswith("-"):
        return [column.desc(), ProcessInstance.id.desc()]
    return [column.asc(), ProcessInstance.id.asc()]
