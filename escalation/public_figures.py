"""Figures for the public site (网上监督): overdue tasks per unit, cases per start value, the latest cases.

Nothing here names a form, a field or a value: the caller passes the start field to count by, the
fields a case line may show, and the ``confidential`` rule (``{field: [values]}``) whose cases are
left out of every count and list. A case line carries the named fields alone, never the whole start
data, so no one's name, phone number or words can reach a public page by way of this module.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from engine.models import Department, HumanTask, ProcessInstance
from engine.models.instances import InstanceStatus
from escalation.json_match import Scalar, json_one_of
from escalation.models import TaskDeadline
from escalation.overdue import overdue_clock

# A start field's name as forms spell it (json_one_of builds a JSON path from it: no quote may occur).
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
Confidential = Mapping[str, Sequence[Scalar]]


@dataclass(frozen=True)
class UnitCount:
    """How many of something one unit has."""

    code: str
    name: str
    count: int


@dataclass(frozen=True)
class PublicCase:
    """A case as the public list shows it: its number, when it started, its state, and the named start fields."""

    id: int
    started_at: datetime
    status: InstanceStatus
    values: Mapping[str, str | None]


def checked(name: str) -> str:
    """``name`` when it is spelled like a form field; ValueError otherwise."""
    if not FIELD_NAME.fullmatch(name):
        raise ValueError(f"not a field name: {name!r}")
    return name


def open_to_all(session: Session, confidential: Confidential | None) -> ColumnElement[bool]:
    """SQL condition on ``process_instance``: the start data holds none of the confidential values."""
    if not confidential:
        return true()
    dialect = session.get_bind().dialect.name
    secret = [func.coalesce(json_one_of(dialect, ProcessInstance.case_data,  # type: ignore[arg-type]
                                        (checked(name),), list(values)), false())
              for name, values in confidential.items() if values]
    return not_(or_(*secret)) if secret else true()


def overdue_by_unit(session: Session, process: str, now: datetime) -> list[UnitCount]:
    """Tasks of ``process`` overdue at ``now`` per unit their clocks run for, most first (a task once per unit)."""
    rows = session.execute(
        select(Department.code, Department.name, func.count(func.distinct(TaskDeadline.task_id)))
        .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
        .join(ProcessInstance, ProcessInstance.id == TaskDeadline.instance_id)
        .join(Department, Department.id == TaskDeadline.department_id)
        .where(overdue_clock(now), ProcessInstance.process_key == process)
        .group_by(Department.code, Department.name))
    return sorted((UnitCount(code, name, int(n)) for code, name, n in rows), key=lambda c: (-c.count, c.code))


def counts_by_field(session: Session, process: str, field: str, since: datetime, until: datetime, *,
                    confidential: Confidential | None = None) -> dict[str | None, int]:
    """Cases of ``process`` started in [since, until) per value of the start field ``field`` (None: not given)."""
    value = ProcessInstance.case_data[checked(field)].as_string()
    rows = session.execute(
        select(value, func.count())
        .where(ProcessInstance.process_key == process, ProcessInstance.created_at >= since,
               ProcessInstance.created_at < until, open_to_all(session, confidential))
        .group_by(value))
    found: dict[str | None, int] = {}
    for key, n in rows:
        name = None if key in (None, "") else str(key)
        found[name] = found.get(name, 0) + int(n)
    return found


def latest_cases(session: Session, process: str, fields: Sequence[str], *, limit: int = 50,
                 confidential: Confidential | None = None) -> list[PublicCase]:
    """The newest ``limit`` cases of ``process`` but confidential ones, each with ``fields`` of its start data alone."""
    names = [checked(name) for name in dict.fromkeys(fields)]
    values = [ProcessInstance.case_data[name].as_string().label(f"v{i}") for i, name in enumerate(names)]
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.created_at, ProcessInstance.status, *values)
        .where(ProcessInstance.process_key == process, open_to_all(session, confidential))
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
        .limit(limit))
    return [PublicCase(case_id, started, InstanceStatus(status),
                       {name: None if v in (None, "") else str(v) for name, v in zip(names, found, strict=True)})
            for case_id, started, status, *found in rows]
