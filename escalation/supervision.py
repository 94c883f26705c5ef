"""What supervisors read: the overdue board, escalation history, department scores."""
from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.actors import Actor
from engine.errors import NotFound
from engine.models import Department, HumanTask, ProcessInstance, TaskStatus, User
from engine.models.tasks import ACTIVE_STATUSES
from escalation.models import EscalationRecord, SlaPolicy, TaskDeadline
from escalation.overdue import clock_overdue, is_active, overdue_clock, overdue_task, running_clock
from escalation.policies import read_policy


@dataclass(frozen=True)
class OverdueRow:
    """A task past a deadline: whose, which clock, how late, how far up the ladder."""

    task_id: int
    instance_id: int
    case_title: str
    task_name: str
    department: str | None
    department_name: str | None
    street: str | None
    category: str | None
    clock: str
    rule: str
    deadline_at: datetime
    lateness_seconds: float
    level: int
    assignee: str | None
    missing_years: list[int]


@dataclass(frozen=True)
class ClockView:
    """One rung of a task's clock, for badges and countdowns."""

    clock: str
    rule: str
    level: int
    action: str
    is_due_level: bool
    limit: str
    started_at: datetime
    deadline_at: datetime
    due_at: datetime
    fired_at: datetime | None
    stopped_at: datetime | None
    missing_years: list[int]
    task_active: bool  # the task is open or claimed (a clock of an ended task is never overdue)


def task_clocks(session: Session, task_id: int) -> list[ClockView]:
    """Every rung of a task's clocks, by clock and level."""
    return clocks_for_tasks(session, [task_id]).get(task_id, [])


def clocks_for_badges(session: Session, task_ids: list[int]) -> dict[int, list[ClockView]]:
    """Just the rungs a due badge needs (running deadlines and rungs already fired), as plain rows.

    Inbox lists draw a badge per row; loading every rung of every task as ORM objects cost
    more than the rest of the page (see docs/performance.md, HTTP load).
    """
    found: dict[int, list[ClockView]] = {}
    if not task_ids:
        return found
    d = TaskDeadline
    rows = session.execute(
        select(d.task_id, d.clock, d.rule, d.level, d.action, d.is_due_level, d.limit, d.started_at, d.deadline_at,
               d.due_at, d.fired_at, d.stopped_at, HumanTask.status)
        .join(HumanTask, HumanTask.id == d.task_id)
        .where(d.task_id.in_(task_ids), d.stopped_at.is_(None), d.is_due_level.is_(True) | d.fired_at.is_not(None))
    )
    for r in rows:
        found.setdefault(r.task_id, []).append(ClockView(
            r.clock, r.rule, r.level, r.action, r.is_due_level, r.limit, r.started_at, r.deadline_at, r.due_at,
            r.fired_at, r.stopped_at, [], is_active(r.status)))
    return found


def clocks_for_tasks(session: Session, task_ids: list[int]) -> dict[int, list[ClockView]]:
    """The rungs of many tasks in one query (for inbox pages), by task id."""
    found: dict[int, list[ClockView]] = {}
    if not task_ids:
        return found
    rows = session.execute(select(TaskDeadline, HumanTask.status).join(HumanTask, HumanTask.id == TaskDeadline.task_id)
                           .where(TaskDeadline.task_id.in_(task_ids))
                           .order_by(TaskDeadline.task_id, TaskDeadline.clock, TaskDeadline.level))
    for r, status in rows:
        found.setdefault(r.task_id, []).append(ClockView(
            r.clock, r.rule, r.level, r.action, r.is_due_level, r.limit, r.started_at, r.deadline_at, r.due_at,
            r.fired_at, r.stopped_at, list(r.missing_years or []), is_active(status)))
    return found


def deadline_between(after: datetime | None, until: datetime) -> ColumnElement[bool]:
    """SQL condition on ``human_task``: a running clock of the task is due after ``after``, at or before ``until``.

    Without ``after`` this is "overdue at ``until``", exactly as :mod:`escalation.overdue` says.
    """
    if after is None:
        return overdue_task(until)
    return exists().where(TaskDeadline.task_id == HumanTask.id, running_clock(), TaskDeadline.deadline_at > after,
                          TaskDeadline.deadline_at <= until)


def covered_units(session: Session, actor: Actor) -> list[Department]:
    """The active units a reader's supervision covers: the subtrees they oversee and their own units, by code."""
    roots = list(actor.overseen)
    condition = Department.id.in_(sorted(actor.department_ids))
    if roots:
        condition = or_(condition, *(Department.path.startswith(r, autoescape=True) for r in roots))
    return list(session.execute(select(Department).where(Department.active, condition)
                                .order_by(Department.code)).scalars())


def covers_everything(session: Session, covered: Collection[Department]) -> bool:
    """Whether ``covered`` (from covered_units) is every active unit: such a reader may see what names no unit."""
    total = session.scalar(select(func.count()).select_from(Department).where(Department.active))
    return len(covered) == total


def scope_departments(covered: Iterable[str], requested: str | None) -> list[str]:
    """Which units a supervision query may cover: the requested one when covered, else every covered one."""
    codes = list(covered)
    if requested:
        return [requested] if requested in codes else []
    return codes


@dataclass(frozen=True)
class DepartmentStats:
    """A department's scores (考评) over the given period."""

    department: str
    open: int
    overdue: int
    completed: int
    on_time_rate: float | None  # completed within the completion limit / (completed + open and overdue)
    median_sign_seconds: float | None  # claim (sign) time after the task arrived
    report_in_rate: float | None  # 报到率: 签收/到场 steps done in time / (done + open and overdue)


def overdue(session: Session, now: datetime, *, departments: list[str] | None = None, street: str | None = None,
            category: str | None = None, level: int | None = None, limit: int = 50,
            offset: int = 0) -> tuple[list[OverdueRow], bool]:
    """Overdue tasks, each once, the latest first (``departments``: only these).

    A task late on both clocks is one row: its clock with the earliest deadline.
    """
    query = _overdue_query(now, departments, street, category, level)
    rows = session.execute(query.limit(limit + 1).offset(offset))
    found = [
        OverdueRow(r.task_id, r.instance_id, r.case_title, r.task_name, r.department, r.department_name, r.street,
                   r.category, r.clock, r.rule, r.deadline_at, (now - r.deadline_at).total_seconds(), r.level or 0,
                   r.assignee, list(r.missing_years or []))
        for r in rows
    ]
    return found[:limit], len(found) > limit


def _overdue_query(now: datetime, departments: list[str] | None, street: str | None, category: str | None,
                   level: int | None) -> Select[tuple[object, ...]]:
    task_department, origin = aliased(Department), aliased(Department)
    fired, other = aliased(TaskDeadline), aliased(TaskDeadline)
    # The highest rung fired on the task, whichever clock fired it (twin rungs fire once: escalation.ladder).
    reached = (select(func.max(fired.level)).where(fired.task_id == TaskDeadline.task_id, fired.fired_at.is_not(None))
               .correlate(TaskDeadline).scalar_subquery())
    # One row per task: the overdue clock with the earliest deadline (the lower id on a tie) speaks for it.
    earlier = exists().where(
        other.task_id == TaskDeadline.task_id, other.id != TaskDeadline.id, other.is_due_level.is_(True),
        other.stopped_at.is_(None), other.deadline_at <= now,
        (other.deadline_at < TaskDeadline.deadline_at)
        | ((other.deadline_at == TaskDeadline.deadline_at) & (other.id < TaskDeadline.id)),
    ).correlate(TaskDeadline)
    category_of = ProcessInstance.case_data["category"].as_string()
    query = (
        select(
            TaskDeadline.task_id, TaskDeadline.instance_id, ProcessInstance.title.label("case_title"),
            HumanTask.name.label("task_name"), task_department.code.label("department"),
            task_department.name.label("department_name"), origin.code.label("street"),
            category_of.label("category"), TaskDeadline.clock, TaskDeadline.rule, TaskDeadline.deadline_at,
            reached.label("level"), User.username.label("assignee"), TaskDeadline.missing_years,
        )
        .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
        .join(ProcessInstance, ProcessInstance.id == TaskDeadline.instance_id)
        .outerjoin(task_department, task_department.id == TaskDeadline.department_id)
        .outerjoin(origin, origin.id == ProcessInstance.origin_department_id)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(overdue_clock(now), ~earlier)
        .order_by(TaskDeadline.deadline_at, TaskDeadline.task_id)
    )
    if departments is not None:
        query = query.where(task_department.code.in_(departments))
    if street:
        query = query.where(origin.code == street)
    if category:
        query = query.where(category_of == category)
    if level is not None:
        query = query.where(reached >= level)
    return query


@dataclass(frozen=True)
class EscalationRow:
    """One fired rung, for the history."""

    id: int
    instance_id: int
    task_id: int
    task_name: str
    department: str | None
    clock: str
    level: int
    action: str
    due_at: datetime
    fired_at: datetime
    targets: list[str]


def escalations(session: Session, *, departments: list[str] | None = None, instance_id: int | None = None,
                level: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[EscalationRow], bool]:
    """Fired rungs, newest first."""
    query = (
        select(EscalationRecord, HumanTask.name, Department.code)
        .join(HumanTask, HumanTask.id == EscalationRecord.task_id)
        .outerjoin(Department, Department.id == EscalationRecord.department_id)
        .order_by(EscalationRecord.fired_at.desc(), EscalationRecord.id.desc())
    )
    if departments is not None:
        query = query.where(Department.code.in_(departments))
    if instance_id is not None:
        query = query.where(EscalationRecord.instance_id == instance_id)
    if level is not None:
        query = query.where(EscalationRecord.level == level)
    rows = session.execute(query.limit(limit + 1).offset(offset)).all()
    found = [EscalationRow(e.id, e.instance_id, e.task_id, name, code, e.clock, e.level, e.action, e.due_at,
                           e.fired_at, list(e.targets)) for e, name, code in rows]
    return found[:limit], len(found) > limit


# Which clocks count as 报到, by policy content (a stored version never changes): read once per text.
_REPORT_IN_BY_SHA: dict[str, frozenset[str]] = {}


def report_in_rules(session: Session) -> dict[str, frozenset[str]]:
    """The clocks whose steps count as 报到 (报到率), per process, as its newest policy's ``report_in_rules`` says.

    The newest version speaks for the process's whole history: which steps are 报到 is how the
    practice reads its record, not part of the rule a task was timed by.
    """
    newest = (select(SlaPolicy.process_key, func.max(SlaPolicy.version).label("version"))
              .group_by(SlaPolicy.process_key).subquery())
    rows = session.execute(select(SlaPolicy.id, SlaPolicy.process_key, SlaPolicy.sha256).join(
        newest, and_(newest.c.process_key == SlaPolicy.process_key, newest.c.version == SlaPolicy.version))).all()
    found = {}
    for policy_id, process, sha in rows:
        if sha not in _REPORT_IN_BY_SHA:
            source, filename = session.execute(select(SlaPolicy.source, SlaPolicy.filename)
                                               .where(SlaPolicy.id == policy_id)).one()
            policy, _ = read_policy(source, filename, stored=True)
            _REPORT_IN_BY_SHA[sha] = policy.report_in_rules if policy is not None else frozenset()
        found[process] = _REPORT_IN_BY_SHA[sha]
    return found


@dataclass(frozen=True)
class _Clock:
    """A due-level clock row of one task, as the rates read it."""

    task_id: int
    clock: str
    rule: str
    deadline_at: datetime
    stopped_at: datetime | None
    started_at: datetime
    status: TaskStatus
    process: str  # the process key of the clock's policy


def department_stats(session: Session, code: str, now: datetime, *, since: datetime | None = None,
                     until: datetime | None = None,
                     report_in: dict[str, frozenset[str]] | None = None) -> DepartmentStats:
    """Open and overdue work now; rates and medians over tasks whose clocks started in [since, until).

    ``report_in``: :func:`report_in_rules`, when the caller already read it (a board of many departments).

    A task counts in a rate once it is decided: completed, or overdue at ``now`` by the one rule
    of :mod:`escalation.overdue` (an open task past its deadline is late, not "not yet counted").
    """
    department_id = session.execute(select(Department.id).where(Department.code == code)).scalar_one_or_none()
    if department_id is None:
        raise NotFound("Department {code} does not exist.", code=code)
    open_count = session.execute(select(func.count()).select_from(HumanTask).where(
        HumanTask.department_id == department_id, HumanTask.status.in_(ACTIVE_STATUSES))).scalar_one()
    overdue_count = session.execute(select(func.count(func.distinct(TaskDeadline.task_id))).join(
        HumanTask, HumanTask.id == TaskDeadline.task_id).where(
        TaskDeadline.department_id == department_id, overdue_clock(now))).scalar_one()
    due_rungs = and_(TaskDeadline.department_id == department_id, TaskDeadline.is_due_level.is_(True),
                     HumanTask.status != TaskStatus.CANCELLED)
    if since is not None:
        due_rungs = and_(due_rungs, TaskDeadline.started_at >= since)
    if until is not None:
        due_rungs = and_(due_rungs, TaskDeadline.started_at < until)
    clocks = [_Clock(*row) for row in session.execute(
        select(TaskDeadline.task_id, TaskDeadline.clock, TaskDeadline.rule, TaskDeadline.deadline_at,
               TaskDeadline.stopped_at, TaskDeadline.started_at, HumanTask.status, SlaPolicy.process_key)
        .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
        .join(SlaPolicy, SlaPolicy.id == TaskDeadline.policy_id).where(due_rungs)).all()]
    rules = report_in_rules(session) if report_in is None else report_in
    completed_count = session.execute(select(func.count()).select_from(HumanTask).where(
        HumanTask.department_id == department_id, HumanTask.status == TaskStatus.COMPLETED,
        *([HumanTask.created_at >= since] if since else []),
        *([HumanTask.created_at < until] if until else []))).scalar_one()
    by_task: dict[int, list[_Clock]] = {}
    for c in clocks:
        by_task.setdefault(c.task_id, []).append(c)
    sign_seconds = [(c.stopped_at - c.started_at).total_seconds() for c in clocks
                    if c.clock == "report_in" and c.stopped_at is not None]
    return DepartmentStats(
        department=code,
        open=open_count,
        overdue=overdue_count,
        completed=completed_count,
        on_time_rate=_rate(_on_time(by_task.values(), now)),
        median_sign_seconds=statistics.median(sign_seconds) if sign_seconds else None,
        report_in_rate=_rate(_on_time([t for t in by_task.values()
                                        if t[0].rule in rules.get(t[0].process, frozenset())], now)),
    )


def _on_time(tasks: Iterable[list[_Clock]], now: datetime) -> list[bool]:
    """One flag per decided task: completed within its completion limit (True), or late (False).

    A completed task is judged by its completion clock (by its only clock when it has no
    completion clock); an open task is late once any of its clocks is overdue at ``now``;
    open tasks not yet overdue are undecided and left out.
    """
    flags = []
    for task in tasks:
        if task[0].status == TaskStatus.COMPLETED:
            judged = [c for c in task if c.clock == "complete"] or task
            flags.append(all(c.stopped_at is not None and c.stopped_at <= c.deadline_at for c in judged))
        elif any(clock_overdue(is_due_level=True, stopped_at=c.stopped_at, deadline_at=c.deadline_at,
                               task_active=is_active(c.status), now=now) for c in task):
            flags.append(False)
    return flags


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


@dataclass(frozen=True)
class CalendarWarning:
    """Running deadlines counted without holiday data for a year (weekends only were assumed)."""

    year: int
    tasks: int
    earliest_deadline: datetime


def calendar_warnings(session: Session) -> list[CalendarWarning]:
    """Years without holiday data that running deadlines reach into, with how many tasks."""
    rows = session.execute(
        select(TaskDeadline.task_id, TaskDeadline.missing_years, TaskDeadline.deadline_at)
        .where(TaskDeadline.is_due_level.is_(True), TaskDeadline.stopped_at.is_(None),
               TaskDeadline.missing_years != [])
    ).all()
    by_year: dict[int, tuple[set[int], datetime]] = {}
    for task_id, years, deadline in rows:
        for year in years or []:
            tasks, earliest = by_year.get(year, (set(), deadline))
            tasks.add(task_id)
            by_year[year] = (tasks, min(earliest, deadline))
    return [CalendarWarning(year, len(tasks), earliest) for year, (tasks, earliest) in sorted(by_year.items())]
