"""Numbers behind the supervisors' pages: overdue counts, the weekly trend, street ratings, the scoreboard.

Every query here is plain SQL that SQLite and PostgreSQL both run; grouping by ISO week and
averaging JSON ratings happen in Python, where both backends agree.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from engine import work_units
from engine.errors import NotFound
from engine.models import Department, HumanTask, ProcessInstance, TaskEvent, TaskStatus, User
from engine.models.definitions import ProcessDefinition
from engine.models.tasks import ACTIVE_STATUSES
from escalation.models import EscalationRecord, TaskDeadline
from escalation.overdue import overdue_clock
from escalation.supervision import DepartmentStats, department_stats, report_in_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A form marked with this (true) is a rating form: its integer fields are the marks (docs/escalation.md).
RATING_MARKER = "x-rating"


@dataclass(frozen=True)
class DepartmentCount:
    """How many tasks of one department are overdue."""

    code: str
    name: str
    short_name: str | None
    tasks: int


@dataclass(frozen=True)
class LevelCount:
    """How many overdue tasks have reached one rung of the ladder (0: none fired yet)."""

    level: int
    tasks: int


@dataclass(frozen=True)
class WeekCount:
    """Overdue events (due-level rungs fired) in one ISO week."""

    week: str  # e.g. 2026-W40
    starts: datetime  # Monday 00:00 local time
    events: int


@dataclass(frozen=True)
class Mark:
    """One mark of a rating form: its field, and its title in Chinese and English (as the form writes them)."""

    name: str
    title: str
    title_en: str | None


@dataclass(frozen=True)
class RatingForms:
    """The deployed forms marked ``x-rating`` and their marks, in the order the forms declare them."""

    keys: frozenset[str]
    marks: tuple[Mark, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The marks' field names."""
        return tuple(m.name for m in self.marks)


@dataclass(frozen=True)
class Ratings:
    """The average marks one department was given over completed rating tasks, by mark name."""

    department: str
    count: int
    means: dict[str, float | None] = field(default_factory=dict)

    def mean(self, name: str) -> float | None:
        """The average of mark ``name`` (None when never given)."""
        return self.means.get(name)

    def __getattr__(self, name: str) -> float | None:
        # A mark read by its field name (ratings.speed), as templates and callers write it.
        means = self.__dict__.get("means")
        if means is None or name not in means:
            raise AttributeError(name)
        return means[name]

    @property
    def overall(self) -> float | None:
        """The mean of the marks' averages."""
        marks = [m for m in self.means.values() if m is not None]
        return round(statistics.fmean(marks), 2) if marks else None


@dataclass(frozen=True)
class ScoreRow:
    """One line of the department scoreboard."""

    code: str
    name: str
    stats: DepartmentStats
    ratings: Ratings


@dataclass(frozen=True)
class DepartmentTask:
    """A task of one department for the drill-down, with how late it runs."""

    task_id: int
    instance_id: int
    case_title: str
    task_name: str
    status: TaskStatus
    assignee: str | None
    created_at: datetime
    completed_at: datetime | None
    overdue_since: datetime | None  # the earliest deadline of an overdue clock (escalation.overdue)
    level: int  # the highest rung fired on the task

    def lateness_seconds(self, now: datetime) -> float | None:
        """How late the task runs at ``now`` (None when it is not overdue)."""
        return (now - self.overdue_since).total_seconds() if self.overdue_since else None


def _reached_level() -> Any:
    """The highest fired rung of the clock of the outer TaskDeadline row."""
    fired = aliased(TaskDeadline)
    return (select(func.max(fired.level)).where(fired.task_id == TaskDeadline.task_id,
                                                fired.clock == TaskDeadline.clock, fired.fired_at.is_not(None))
            .correlate(TaskDeadline).scalar_subquery())


def _overdue_clocks(now: datetime, departments: list[str] | None, street: str | None,
                    category: str | None) -> Select[Any]:
    """Running due-level clocks past their deadline: task, department and level reached."""
    origin = aliased(Department)
    query = (
        select(TaskDeadline.task_id, Department.code, Department.name, Department.short_name,
               _reached_level().label("level"))
        .join(HumanTask, HumanTask.id == TaskDeadline.task_id)
        .join(ProcessInstance, ProcessInstance.id == TaskDeadline.instance_id)
        .join(Department, Department.id == TaskDeadline.department_id)
        .where(overdue_clock(now))
    )
    return _scoped(query, origin, departments, street, category)


def _scoped(query: Select[Any], origin: Any, departments: list[str] | None, street: str | None,
            category: str | None) -> Select[Any]:
    """Narrow a query joined to Department and ProcessInstance by department, street and category."""
    if departments is not None:
        query = query.where(Department.code.in_(departments))
    if street:
        query = query.join(origin, origin.id == ProcessInstance.origin_department_id).where(origin.code == street)
    if category:
        query = query.where(ProcessInstance.case_data["category"].as_string() == category)
    return query


def _overdue_tasks(session: Session, now: datetime, departments: list[str] | None, street: str | None,
                   category: str | None) -> dict[int, tuple[tuple[str, str, str | None], int]]:
    """Each overdue task once: its department (code, name, short name) and highest level over overdue clocks."""
    found: dict[int, tuple[tuple[str, str, str | None], int]] = {}
    for task_id, code, name, short, level in session.execute(_overdue_clocks(now, departments, street, category)):
        known = found.get(task_id)
        found[task_id] = ((code, name, short), max(level or 0, known[1] if known else 0))
    return found


def overdue_by_department(session: Session, now: datetime, *, departments: list[str] | None = None,
                          street: str | None = None, category: str | None = None) -> list[DepartmentCount]:
    """Overdue tasks per department, most first (each task once, however many clocks ran out)."""
    counts = Counter(department for department, _ in _overdue_tasks(session, now, departments, street,
                                                                     category).values())
    return sorted((DepartmentCount(code, name, short, n) for (code, name, short), n in counts.items()),
                  key=lambda c: (-c.tasks, c.code))


def overdue_by_level(session: Session, now: datetime, *, departments: list[str] | None = None,
                     street: str | None = None, category: str | None = None) -> list[LevelCount]:
    """Overdue tasks per highest ladder level reached, lowest level first."""
    counts = Counter(level for _, level in _overdue_tasks(session, now, departments, street, category).values())
    return [LevelCount(level, counts[level]) for level in sorted(counts)]


def week_start(instant: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Monday 00:00 (local time) of the ISO week holding ``instant``."""
    local = instant.astimezone(tz)
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=tz)


def weekly_trend(session: Session, now: datetime, *, weeks: int = 12, departments: list[str] | None = None,
                 street: str | None = None, category: str | None = None,
                 tz: ZoneInfo = SHANGHAI) -> list[WeekCount]:
    """Overdue events per ISO week for the last ``weeks`` weeks (this one included), oldest first.

    An overdue event is a task whose due-level rung (100%) fired that week: a task counts once a
    week however many of its clocks ran out, as on every other board.
    """
    starts = [week_start(now, tz) - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    origin = aliased(Department)
    query = (
        select(EscalationRecord.task_id, EscalationRecord.fired_at)
        .join(TaskDeadline, TaskDeadline.id == EscalationRecord.deadline_id)
        .join(ProcessInstance, ProcessInstance.id == EscalationRecord.instance_id)
        .outerjoin(Department, Department.id == EscalationRecord.department_id)
        .where(TaskDeadline.is_due_level.is_(True), EscalationRecord.fired_at >= starts[0],
               EscalationRecord.fired_at <= now)
    )
    weeks = {(task_id, week_start(fired, tz))
             for task_id, fired in session.execute(_scoped(query, origin, departments, street, category))}
    counts = Counter(week for _, week in weeks)
    return [WeekCount(_iso_week(start), start, counts[start]) for start in starts]


def _iso_week(start: datetime) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def rating_forms(session: Session) -> RatingForms:
    """The rating forms of the newest version of every process, and their marks (integer fields).

    A form is a rating form when it says so (``"x-rating": true``); no task or field is named here.
    """
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    rows = session.execute(select(ProcessDefinition.forms).join(newest, and_(
        newest.c.key == ProcessDefinition.key, newest.c.version == ProcessDefinition.version))
        .order_by(ProcessDefinition.key)).scalars()
    keys: set[str] = set()
    marks: dict[str, Mark] = {}
    for forms in rows:
        for key, schema in sorted((forms or {}).items()):
            if not isinstance(schema, dict) or schema.get(RATING_MARKER) is not True:
                continue
            keys.add(key)
            properties = schema.get("properties") or {}
            required = [n for n in schema.get("required") or [] if isinstance(n, str)]
            # Stored as JSON, a form's properties may come back in any key order (PostgreSQL's
            # JSONB sorts them); the required list is an array and keeps the form's order.
            for name in sorted(properties, key=lambda n: (required.index(n) if n in required else len(required), n)):
                spec = properties[name]
                if isinstance(spec, dict) and spec.get("type") == "integer" and name not in marks:
                    marks[name] = Mark(name, str(spec.get("title") or name), spec.get("x-title-en"))
    return RatingForms(frozenset(keys), tuple(marks.values()))


def department_ratings(session: Session, *, departments: list[str] | None = None, since: datetime | None = None,
                       until: datetime | None = None, forms: RatingForms | None = None) -> dict[str, Ratings]:
    """Average ratings per rated department, from rating-form tasks completed in [since, until)."""
    forms = rating_forms(session) if forms is None else forms
    if not forms.keys:
        return {}
    query = (
        select(TaskEvent.payload, HumanTask.context)
        .join(HumanTask, HumanTask.id == TaskEvent.task_id)
        .where(TaskEvent.action == "completed", HumanTask.form_key.in_(sorted(forms.keys)))
    )
    if since is not None:
        query = query.where(TaskEvent.at >= since)
    if until is not None:
        query = query.where(TaskEvent.at < until)
    if departments is not None:
        query = query.where(HumanTask.context["department"].as_string().in_(departments))
    marks: dict[str, dict[str, list[float]]] = {}
    counts: Counter[str] = Counter()
    for payload, context in session.execute(query):
        code = (context or {}).get("department")
        data = (payload or {}).get("data") or {}
        if not isinstance(code, str):
            continue
        counts[code] += 1
        for name in forms.names:
            value = data.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                marks.setdefault(code, {}).setdefault(name, []).append(float(value))
    return {code: _ratings(code, counts[code], forms, marks.get(code, {})) for code in counts}


def _ratings(code: str, count: int, forms: RatingForms, marks: dict[str, list[float]]) -> Ratings:
    def mean(name: str) -> float | None:
        values = marks.get(name)
        return round(statistics.fmean(values), 2) if values else None

    return Ratings(code, count, {name: mean(name) for name in forms.names})


def scoreboard(session: Session, now: datetime, *, departments: list[str] | None = None,
               since: datetime | None = None, until: datetime | None = None) -> list[ScoreRow]:
    """Scores of the summoned units (or of ``departments``) over [since, until), most overdue first.

    Without a list, the units scored are those of the kinds the deployed processes summon.
    """
    query = select(Department.code, Department.name).order_by(Department.code)
    if departments is None:
        query = query.where(Department.kind.in_(sorted(work_units.summoned_kinds(session))), Department.active)
    else:
        query = query.where(Department.code.in_(departments))
    rows = session.execute(query).all()
    forms = rating_forms(session)
    ratings = department_ratings(session, departments=[code for code, _ in rows], since=since, until=until,
                                 forms=forms)
    report_in = report_in_rules(session)  # read once for the whole board
    board = [ScoreRow(code, name, department_stats(session, code, now, since=since, until=until, report_in=report_in),
                      ratings.get(code) or Ratings(code, 0, dict.fromkeys(forms.names))) for code, name in rows]
    return sorted(board, key=lambda r: (-r.stats.overdue, -r.stats.open, r.code))


def department_name(session: Session, code: str) -> str:
    """The name of department ``code``; NotFound when there is none."""
    name = session.execute(select(Department.name).where(Department.code == code)).scalar_one_or_none()
    if name is None:
        raise NotFound("Department {code} does not exist.", code=code)
    return name


def department_tasks(session: Session, code: str, now: datetime, *, limit: int = 200) -> list[DepartmentTask]:
    """A department's tasks: overdue first (latest deadline last), then running, then done, newest first."""
    department_id = session.execute(select(Department.id).where(Department.code == code)).scalar_one_or_none()
    if department_id is None:
        raise NotFound("Department {code} does not exist.", code=code)
    overdue_since = (
        select(func.min(TaskDeadline.deadline_at))
        .where(TaskDeadline.task_id == HumanTask.id, overdue_clock(now))
        .correlate(HumanTask).scalar_subquery()
    )
    level = (select(func.max(TaskDeadline.level))
             .where(TaskDeadline.task_id == HumanTask.id, TaskDeadline.fired_at.is_not(None))
             .correlate(HumanTask).scalar_subquery())
    active = HumanTask.status.in_(ACTIVE_STATUSES)
    late = overdue_since.label("overdue_since")
    query = (
        select(HumanTask.id, HumanTask.instance_id, ProcessInstance.title, HumanTask.name, HumanTask.status,
               User.username, HumanTask.created_at, HumanTask.completed_at, late, level.label("level"))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.department_id == department_id, HumanTask.status != TaskStatus.CANCELLED)
        # Portable "NULLS LAST" via CASE: overdue first, then running, then done.
        .order_by(case((late.is_not(None), 0), (active, 1), else_=2), late,
                  HumanTask.created_at.desc(), HumanTask.id.desc())
        .limit(limit)
    )
    return [DepartmentTask(r.id, r.instance_id, r.title, r.name, r.status, r.username, r.created_at, r.completed_at,
                           r.overdue_since, r.level or 0)
            for r in session.execute(query)]
