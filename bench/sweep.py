"""The escalation sweep on PostgreSQL: does its cost follow due work, and how late does the worker fire?

``--mode sweep`` (part 1) builds two databases, each in a temporary schema dropped
afterwards, with the production wiring (``web.services.engine_context`` + ``wire``, the
calendars of ``processes/demo-city/calendars``, the whistle policy deployed):

* A: ``--a-tasks`` (100,000) open sign tasks on as many running instances, each task with
  the ten deadline rungs the policy arms for it (two clocks x five levels);
* B: ``--b-tasks`` (1,000) of the same.

In both, exactly ``--due`` (100) rungs are due at the sweep's instant: levels 1 and 2 of
both clocks of the signing tasks of ``--due / 20`` whistles started through the engine
(five summoned departments each), whose rows the engine's hooks armed. Every other task,
instance and rung is built with set-based SQL, shaped like the engine's rows (same policy
version, calendar, offsets), rungs in the future, instance timers NULL or in the future.
Then ``VACUUM ANALYZE``. Repetitions of ``escalation.sweep.sweep(db, ctx, esc, now)`` run
interleaved A/B (the first of each pair alternating); between repetitions the 100 fired
rungs are reset (``fired_at`` NULL, their escalation_record, notification and task_event
rows deleted, then ``VACUUM`` of those tables), so every repetition fires the same 100.
Prints medians, where the time goes, the ratio A/B (requirement: < 2) and EXPLAIN
(ANALYZE, BUFFERS) of the sweep's own two selection queries on A, captured as it ran them.

``--mode lateness`` (part 2) runs the real worker loop,
``escalation.scheduler.start_in_background(job, interval=--interval)`` with ``job`` sweeping
at the system clock's now, for ``--lateness-seconds``, over ``--lateness-tasks`` open tasks
with future rungs, while a feeder inserts ``--lateness-rungs`` rungs, each ``--lead`` seconds
before the instant it becomes due (instants evenly spread over the run). Prints lateness of
every fired rung, ``escalation_record.fired_at - due_at`` (fired_at is the sweep's now), and
the time its sweep committed minus ``due_at``: p50/p95/max.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, create_engine, event, func, select, text
from sqlalchemy.orm import Session

import escalation.ladder
import escalation.sweep
from engine import accounts, definitions, instances, organisation_files, schema
from engine.actors import actor_of
from engine.clock import SystemClock
from engine.context import EngineContext
from engine.database import Database
from engine.models import Department, DepartmentKind, HumanTask, ProcessInstance, TaskEvent, TaskStatus
from escalation.config import Escalation
from escalation.models import EscalationRecord, TaskDeadline
from escalation.policy_store import deploy_policy
from escalation.scheduler import start_in_background
from escalation.sweep import SweepReport, sweep
from web.services import calendars_of, engine_context, wire
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
WHISTLE_PACK = PROCESSES / "whistle"
DEMO_CITY = PROCESSES / "demo-city"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "whistle-demo"
SHANGHAI = timezone(timedelta(hours=8))
# Engine cases start Monday 09:00; their sign rungs (2 working hours) fall due at 10:00 (level 1,
# 50 %) and 10:36 (level 2, 80 %), the next at 11:00. Sweeping at 10:40 finds levels 1 and 2 due.
CASES_START = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
SWEEP_NOW = datetime(2026, 9, 28, 10, 40, tzinfo=SHANGHAI)
STREET = "HP"
SUMMONED = ["CGW", "ZJW", "GHZY", "SJJ", "STHJ"]
DUE_PER_CASE = len(SUMMONED) * 2 * 2  # tasks x clocks x due levels
WHISTLE_DATA: dict[str, Any] = {
    "whistle_type": "enforcement",
    "category": "WFJS",
    "community": "和平里社区",
    "address": "和平里七区 5 号楼楼顶",
    "description": "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。",
    "departments": SUMMONED,
}

# --------------------------------------------------------------------------- set-based SQL

INSTANCES_SQL = """
INSERT INTO process_instance (id, definition_id, process_key, business_key, title, status, state, revision,
    next_timer_at, origin_department_id, started_by_id, case_data, created_at, updated_at, completed_at)
SELECT :first_id + i, :definition_id, :process_key, NULL, :title || ' 第' || i || '号', 'running', '{}', 1,
       CASE WHEN i % 2 = 0 THEN NULL ELSE CAST(:timers_from AS timestamptz) + i * interval '1 second' END,
       :origin_id, :officer_id, CAST(:case_data AS jsonb), CAST(:created AS timestamptz),
       CAST(:created AS timestamptz), NULL
FROM generate_series(0, :instances - 1) AS i
"""

TASKS_SQL = """
INSERT INTO human_task (instance_id, spiff_task_id, process_id, element_id, name, role, department_id,
    assignee_id, status, form_key, properties, context, created_at, claimed_at, completed_at, completed_by_id)
SELECT :first_instance + k % :instances, gen_random_uuid()::text, :process_id, :element_id, :name, :role,
       (CAST(:department_ids AS int[]))[1 + k % :departments], NULL, 'open', :form_key,
       CAST(:properties AS jsonb),
       jsonb_build_object('street', CAST(:street AS text),
                          'department', (CAST(:department_codes AS text[]))[1 + k % :departments]),
       CAST(:created AS timestamptz), NULL, NULL, NULL
FROM generate_series(0, :tasks - 1) AS k
"""

# Every task after :after_task gets the engine template's rungs, its clocks started at a base
# instant spread over two weeks from :base_from, so each rung keeps the template's offsets.
RUNGS_SQL = """
INSERT INTO task_deadline (task_id, instance_id, department_id, policy_id, clock, rule, level, action,
    is_due_level, "limit", calendar, started_at, deadline_at, due_at, fired_at, stopped_at, attempts,
    last_error, missing_years)
SELECT t.id, t.instance_id, t.department_id, :policy_id, r.clock, r.rule, r.level, r.action, r.is_due_level,
       r.lim, r.calendar, b.base, b.base + r.to_deadline, b.base + r.to_due, NULL, NULL, 0, NULL, '[]'::jsonb
FROM human_task t
CROSS JOIN LATERAL (SELECT CAST(:base_from AS timestamptz) + (t.id % :spread) * interval '1 minute' AS base) b
CROSS JOIN unnest(CAST(:clocks AS text[]), CAST(:rules AS text[]), CAST(:levels AS int[]),
                  CAST(:actions AS text[]), CAST(:due_levels AS boolean[]), CAST(:limits AS text[]),
                  CAST(:calendars AS text[]), CAST(:to_deadline AS interval[]), CAST(:to_due AS interval[]))
     AS r(clock, rule, level, action, is_due_level, lim, calendar, to_deadline, to_due)
WHERE t.id > :after_task
"""

SPREAD_MINUTES = 14 * 24 * 60
BUILT_TABLES = "process_instance, human_task, task_deadline, escalation_record, notification, task_event"
FIRED_TABLES = "task_deadline, escalation_record, notification, task_event"  # what firing and reset touch


# --------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Wiring:
    """The production wiring of one database: engine context and escalation."""

    ctx: EngineContext
    esc: Escalation


@dataclass(frozen=True)
class Template:
    """What the engine stored for one of its sign tasks: the rows bulk tasks copy."""

    instance: dict[str, Any]
    task: dict[str, Any]
    rungs: list[dict[str, Any]]
    policy_id: int


def production_wiring() -> Wiring:
    """``engine_context`` + ``wire`` with the shipped calendars, as ``web.services`` builds them."""
    settings = Settings(processes_dir=PROCESSES)
    calendars = calendars_of(settings)
    ctx = engine_context(settings, calendars)
    return Wiring(ctx, wire(ctx, calendars))


@contextmanager
def postgres_database(url: str, label: str) -> Iterator[Database]:
    """A database in a PostgreSQL schema of its own, dropped afterwards."""
    name = f"whistle_sweep_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    db = Database(f"{url}?options=-csearch_path%3D{name}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def prepare(db: Database, wiring: Wiring, at: datetime) -> None:
    """Migrate, seed the demo district, deploy the whistle process and its policy."""
    schema.upgrade(db)
    with db.transaction() as session:
        organisation_files.seed_demo(session, [DEMO_CITY, DEMO_CITY.parent / "rxjb"], password=DEMO_PASSWORD, now=at)
    with db.transaction() as session:
        definitions.deploy(session, wiring.ctx, definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"), now=at)
    with db.transaction() as session:
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=at)


def start_cases(db: Database, wiring: Wiring, count: int, at: datetime) -> None:
    """Blow ``count`` whistles through the engine as the street officer (hooks arm the rungs)."""
    with db.transaction(write=False) as session:
        officer = actor_of(accounts.user_by_name(session, f"{STREET}.officer"))
    for _ in range(count):
        with db.transaction() as session:
            instances.start(session, wiring.ctx, officer, "whistle", dict(WHISTLE_DATA), now=at)


def template(db: Database) -> Template:
    """The first engine sign task, its instance and its rungs (offsets from the clock start)."""
    with db.transaction(write=False) as session:
        task = session.execute(select(HumanTask).order_by(HumanTask.id).limit(1)).scalar_one()
        instance = session.get(ProcessInstance, task.instance_id)
        assert instance is not None
        rungs = session.execute(select(TaskDeadline).where(TaskDeadline.task_id == task.id)
                                .order_by(TaskDeadline.clock, TaskDeadline.level)).scalars().all()
        return Template(
            instance={"definition_id": instance.definition_id, "process_key": instance.process_key,
                      "title": instance.title, "origin_id": instance.origin_department_id,
                      "officer_id": instance.started_by_id, "case_data": instance.case_data},
            task={"process_id": task.process_id, "element_id": task.element_id, "name": task.name,
                  "role": task.role.value if task.role else None, "form_key": task.form_key,
                  "properties": task.properties, "street": task.context.get("street")},
            rungs=[{"clock": r.clock, "rule": r.rule, "level": r.level, "action": r.action,
                    "is_due_level": r.is_due_level, "limit": r.limit, "calendar": r.calendar,
                    "to_deadline": r.deadline_at - r.started_at, "to_due": r.due_at - r.started_at}
                   for r in rungs],
            policy_id=rungs[0].policy_id,
        )


def district_departments(db: Database) -> tuple[list[int], list[str]]:
    """Ids and codes of the district departments, the ones summoned to sign."""
    with db.transaction(write=False) as session:
        rows = session.execute(select(Department.id, Department.code)
                               .where(Department.kind == DepartmentKind.DISTRICT_DEPARTMENT)
                               .order_by(Department.id)).all()
    return [r.id for r in rows], [r.code for r in rows]


def bulk(db: Database, tpl: Template, *, tasks: int, instances: int, created: datetime, timers_from: datetime,
         rungs_from: datetime | None) -> None:
    """Insert ``instances`` running instances and ``tasks`` open sign tasks; rungs unless ``rungs_from`` is None."""
    ids, codes = district_departments(db)
    with db.transaction() as session:
        connection = session.connection()
        first_id = (connection.execute(text("SELECT coalesce(max(id), 0) FROM process_instance")).scalar_one()) + 1
        after_task = connection.execute(text("SELECT coalesce(max(id), 0) FROM human_task")).scalar_one()
        connection.execute(text(INSTANCES_SQL), {
            **tpl.instance, "case_data": json.dumps(tpl.instance["case_data"], ensure_ascii=False),
            "first_id": first_id, "instances": instances, "timers_from": timers_from, "created": created})
        connection.execute(text("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                                "(SELECT max(id) FROM process_instance))"))
        connection.execute(text(TASKS_SQL), {
            **tpl.task, "properties": json.dumps(tpl.task["properties"]), "first_instance": first_id,
            "instances": instances, "tasks": tasks, "department_ids": ids, "department_codes": codes,
            "departments": len(ids), "created": created})
        if rungs_from is not None:
            connection.execute(text(RUNGS_SQL), {**_rung_arrays(tpl), "after_task": after_task,
                                                 "base_from": rungs_from, "spread": SPREAD_MINUTES})


def _rung_arrays(tpl: Template) -> dict[str, Any]:
    """The template's rungs as parallel arrays for ``RUNGS_SQL``."""
    column = {"clocks": "clock", "rules": "rule", "levels": "level", "actions": "action",
              "due_levels": "is_due_level", "limits": "limit", "calendars": "calendar",
              "to_deadline": "to_deadline", "to_due": "to_due"}
    return {"policy_id": tpl.policy_id, **{key: [r[name] for r in tpl.rungs] for key, name in column.items()}}


def vacuum(db: Database, *, analyze: bool) -> None:
    """VACUUM ANALYZE everything built (``analyze``), else VACUUM what firing touched; outside a transaction."""
    statement = f"VACUUM (ANALYZE) {BUILT_TABLES}" if analyze else f"VACUUM {FIRED_TABLES}"
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run ``action`` and say how long it took (on stderr)."""
    begin = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - begin:.1f} s", file=sys.stderr)
    return result


# --------------------------------------------------------------------------- part 1: one sweep, A beside B


@dataclass
class Phases:
    """Inclusive wall time of the sweep's parts and the driver, one repetition."""

    seconds: dict[str, float] = field(default_factory=dict)
    statements: int = 0

    def add(self, label: str, seconds: float) -> None:
        """Add ``seconds`` to ``label``."""
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds


@dataclass
class Config:
    """One database under test, the rungs that are due in it, and its measurements."""

    label: str
    db: Database
    wiring: Wiring
    due_ids: list[int] = field(default_factory=list)
    event_watermark: int = 0
    sizes: dict[str, int] = field(default_factory=dict)
    totals: list[float] = field(default_factory=list)
    phases: list[Phases] = field(default_factory=list)


def build_config(config: Config, open_tasks: int, tasks_per_instance: int, due: int) -> None:
    """Engine cases with due rungs, the bulk around them, VACUUM ANALYZE; remember the due rungs."""
    db, cases = config.db, due // DUE_PER_CASE
    prepare(db, config.wiring, CASES_START)
    start_cases(db, config.wiring, cases, CASES_START)
    tpl = template(db)
    bulk_tasks = open_tasks - cases * len(SUMMONED)
    bulk(db, tpl, tasks=bulk_tasks, instances=-(-open_tasks // tasks_per_instance) - cases,
         created=CASES_START, timers_from=SWEEP_NOW + timedelta(minutes=1),
         rungs_from=SWEEP_NOW + timedelta(minutes=1) - min(r["to_due"] for r in tpl.rungs))
    vacuum(db, analyze=True)
    with db.transaction(write=False) as session:
        config.due_ids = list(session.execute(select(TaskDeadline.id).where(_live_due()).order_by(TaskDeadline.id))
                              .scalars())
        config.event_watermark = session.execute(select(func.max(TaskEvent.id))).scalar_one()
        config.sizes = sizes(session)
    if len(config.due_ids) != due:
        raise RuntimeError(f"{config.label}: {len(config.due_ids)} rungs due at {SWEEP_NOW}, expected {due}")


def _live_due() -> ColumnElement[bool]:
    """The sweep's condition for a due rung, at SWEEP_NOW."""
    return (TaskDeadline.due_at <= SWEEP_NOW) & TaskDeadline.fired_at.is_(None) & TaskDeadline.stopped_at.is_(None)


def sizes(session: Session) -> dict[str, int]:
    """Row counts that describe a configuration."""
    def count(query: Any) -> int:
        return session.execute(query).scalar_one()

    live = TaskDeadline.fired_at.is_(None) & TaskDeadline.stopped_at.is_(None)
    return {
        "open tasks": count(select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN)),
        "instances": count(select(func.count()).select_from(ProcessInstance)),
        "timer NULL": count(select(func.count()).select_from(ProcessInstance)
                            .where(ProcessInstance.next_timer_at.is_(None))),
        "timer future": count(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.next_timer_at > SWEEP_NOW)),
        "live rungs": count(select(func.count()).select_from(TaskDeadline).where(live)),
        "due rungs": count(select(func.count()).select_from(TaskDeadline).where(_live_due())),
    }


def reset(config: Config) -> None:
    """Un-fire the due rungs: delete what firing wrote, clear fired_at, VACUUM those tables."""
    ids = config.due_ids
    with config.db.transaction() as session:
        connection = session.connection()
        connection.execute(text("DELETE FROM notification WHERE escalation_id IN "
                                "(SELECT id FROM escalation_record WHERE deadline_id = ANY(:ids))"), {"ids": ids})
        connection.execute(text("DELETE FROM escalation_record WHERE deadline_id = ANY(:ids)"), {"ids": ids})
        connection.execute(text("DELETE FROM task_event WHERE id > :mark"), {"mark": config.event_watermark})
        connection.execute(text("UPDATE task_deadline SET fired_at = NULL WHERE id = ANY(:ids)"), {"ids": ids})
    vacuum(config.db, analyze=False)


@contextmanager
def instrumented(config: Config, phases: Phases, capture: list[tuple[str, Any]] | None) -> Iterator[None]:
    """Time the sweep's batches, ladder.fire and the driver; optionally capture the SQL it runs."""
    originals = [(escalation.sweep, "_timer_batch", "timer batch (select due instances, fire)"),
                 (escalation.sweep, "_deadline_batch", "deadline batch (select, lock, fire)"),
                 (escalation.ladder, "fire", "ladder.fire")]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in originals]
    for owner, name, label in originals:
        setattr(owner, name, _timed(phases, label, getattr(owner, name)))
    started: list[float] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        started.append(time.perf_counter())
        if capture is not None and "SKIP LOCKED" in statement:
            capture.append((statement, parameters))

    def after(*_: Any) -> None:
        phases.add("driver (all statements)", time.perf_counter() - started.pop())
        phases.statements += 1

    event.listen(config.db.engine, "before_cursor_execute", before)
    event.listen(config.db.engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(config.db.engine, "before_cursor_execute", before)
        event.remove(config.db.engine, "after_cursor_execute", after)
        for owner, name, function in saved:
            setattr(owner, name, function)


def _timed(phases: Phases, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its calls' wall time added to ``phases[label]``."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases.add(label, time.perf_counter() - begin)

    return wrapper


def sweep_once(config: Config, record: bool, capture: list[tuple[str, Any]] | None = None) -> None:
    """One timed sweep at SWEEP_NOW, checked, then reset."""
    phases = Phases()
    with instrumented(config, phases, capture):
        begin = time.perf_counter()
        report = sweep(config.db, config.wiring.ctx, config.wiring.esc, SWEEP_NOW)
        elapsed = time.perf_counter() - begin
    check(config, report)
    if record:
        config.totals.append(elapsed)
        config.phases.append(phases)
    reset(config)


def check(config: Config, report: SweepReport) -> None:
    """The sweep fired exactly the due rungs, no timer, nothing failed."""
    expected = (0, len(config.due_ids), 0)
    found = (report.timers, report.deadlines, report.failed)
    if found != expected:
        raise RuntimeError(f"{config.label}: sweep did (timers, rungs, failed) = {found}, expected {expected}")


def compare(configs: list[Config], repetitions: int) -> list[tuple[str, Any]]:
    """One warm-up sweep each (capturing A's SQL), then ``repetitions`` pairs, the first of a pair alternating."""
    capture: list[tuple[str, Any]] = []
    for config in configs:
        sweep_once(config, record=False, capture=capture if config is configs[0] else None)
    for n in range(repetitions):
        order = configs if n % 2 == 0 else configs[::-1]
        for config in order:
            sweep_once(config, record=True)
        print(f"  repetition {n + 1}/{repetitions}: "
              + ", ".join(f"{c.label} {1000 * c.totals[-1]:.1f} ms" for c in configs), file=sys.stderr)
    return capture


def report_compare(configs: list[Config]) -> None:
    """Sizes, medians, where the time goes, and the ratio A/B."""
    print(f"\nsweep at {SWEEP_NOW.isoformat()}, {len(configs[0].totals)} repetitions each, interleaved")
    keys = list(configs[0].sizes)
    print(f"{'config':<4} " + " ".join(f"{k:>13}" for k in keys))
    for c in configs:
        print(f"{c.label:<4} " + " ".join(f"{c.sizes[k]:>13,}" for k in keys))
    print(f"\n{'ms per sweep (medians)':<44} " + " ".join(f"{c.label:>9}" for c in configs))
    _row("whole sweep() call", [statistics.median(c.totals) * 1000 for c in configs])
    _row("  min", [min(c.totals) * 1000 for c in configs])
    _row("  max", [max(c.totals) * 1000 for c in configs])
    for label in configs[0].phases[0].seconds:
        _row(f"  {label}", [statistics.median(p.seconds.get(label, 0.0) for p in c.phases) * 1000 for c in configs])
    _row("  statements", [statistics.median(p.statements for p in c.phases) for c in configs], digits=0)
    a, b = configs
    ratio = statistics.median(a.totals) / statistics.median(b.totals)
    paired = statistics.median(x / y for x, y in zip(a.totals, b.totals, strict=True))
    verdict = "ok" if ratio < 2 else "MISSED"
    print(f"\nratio A/B of medians: {ratio:.2f} (median of paired ratios {paired:.2f}); requirement < 2: {verdict}")


def _row(label: str, values: list[float], digits: int = 2) -> None:
    """One line of the comparison table."""
    print(f"{label:<44} " + " ".join(f"{v:>9.{digits}f}" for v in values))


def explain(config: Config, captured: list[tuple[str, Any]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's captured selection queries, in a rolled-back transaction."""
    seen: set[str] = set()
    for statement, parameters in captured:
        if statement in seen:
            continue
        seen.add(statement)
        table = "task_deadline" if "FROM task_deadline" in statement else "process_instance"
        with config.db.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).scalars().all()
            connection.rollback()
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) on {config.label}, the sweep's selection from {table}, "
              f"as it ran it (parameters {_short(parameters)}):")
        print(statement.strip())
        print("\n".join(plan))
    with config.db.engine.connect() as connection:
        size = connection.execute(text("SELECT pg_size_pretty(pg_relation_size('ix_task_deadline_live_due')), "
                                       "pg_size_pretty(pg_relation_size('task_deadline'))")).one()
    print(f"\nix_task_deadline_live_due {size[0]}, table task_deadline {size[1]}")


def _short(parameters: Any) -> str:
    """Bind parameters, printable."""
    return ", ".join(f"{k}={v}" for k, v in dict(parameters).items())


def run_compare(args: argparse.Namespace) -> None:
    """Part 1: build A and B, sweep them interleaved, report, explain A's selection."""
    with postgres_database(args.postgres_url, "a") as db_a, postgres_database(args.postgres_url, "b") as db_b:
        configs = [Config("A", db_a, production_wiring()), Config("B", db_b, production_wiring())]
        for config, tasks in zip(configs, (args.a_tasks, args.b_tasks), strict=True):
            timed(f"build {config.label} ({tasks:,} open tasks) + VACUUM ANALYZE",
                  partial(build_config, config, tasks, args.tasks_per_instance, args.due))
        captured = timed("sweeps", lambda: compare(configs, args.repetitions))
        report_compare(configs)
        explain(configs[0], captured)


# --------------------------------------------------------------------------- part 2: lateness on the real clock


@dataclass
class WorkerRun:
    """One sweep the scheduler ran: the now it swept at, when it returned, what it fired."""

    now: datetime
    seconds: float
    committed: datetime
    fired: int


@dataclass
class Feeder:
    """Inserts rungs for pool tasks, each ``lead`` seconds before its due instant."""

    db: Database
    tpl: Template
    pool: list[tuple[int, int, int | None]]  # (task id, instance id, department id)
    schedule: list[datetime]
    inserted: int = 0

    def feed(self, now: datetime, lead: timedelta) -> None:
        """Insert every scheduled rung due by ``now + lead`` that is not in yet."""
        rows = []
        while self.inserted < len(self.schedule) and self.schedule[self.inserted] <= now + lead:
            rows.append(self._rung(self.inserted, self.schedule[self.inserted]))
            self.inserted += 1
        if rows:
            with self.db.transaction() as session:
                session.add_all(rows)

    def _rung(self, n: int, due: datetime) -> TaskDeadline:
        """Rung ``n``: pool task n // rungs-per-task, the template's rung n % rungs-per-task, due at ``due``."""
        task_id, instance_id, department_id = self.pool[n // len(self.tpl.rungs)]
        r = self.tpl.rungs[n % len(self.tpl.rungs)]
        started = due - r["to_due"]
        return TaskDeadline(task_id=task_id, instance_id=instance_id, department_id=department_id,
                            policy_id=self.tpl.policy_id, clock=r["clock"], rule=r["rule"], level=r["level"],
                            action=r["action"], is_due_level=r["is_due_level"], limit=r["limit"],
                            calendar=r["calendar"], started_at=started, deadline_at=started + r["to_deadline"],
                            due_at=due, missing_years=[])

    @property
    def done(self) -> bool:
        """Every scheduled rung is in."""
        return self.inserted == len(self.schedule)


def build_lateness(db: Database, wiring: Wiring, open_tasks: int, rungs: int) -> Feeder:
    """A district with ``open_tasks`` open tasks whose rungs are a day away or more, and a feeder pool."""
    now = SystemClock().now()
    prepare(db, wiring, now)
    start_cases(db, wiring, 1, now)  # a real task to copy; its own rungs are >= 1 working hour away
    tpl = template(db)
    bulk(db, tpl, tasks=open_tasks, instances=open_tasks, created=now, timers_from=now + timedelta(days=1),
         rungs_from=now + timedelta(days=1))
    with db.transaction(write=False) as session:
        mark = session.execute(select(func.max(HumanTask.id))).scalar_one()
    pool_tasks = -(-rungs // len(tpl.rungs))
    bulk(db, tpl, tasks=pool_tasks, instances=pool_tasks, created=now, timers_from=now + timedelta(days=1),
         rungs_from=None)
    vacuum(db, analyze=True)
    with db.transaction(write=False) as session:
        pool = session.execute(select(HumanTask.id, HumanTask.instance_id, HumanTask.department_id)
                               .where(HumanTask.id > mark).order_by(HumanTask.id)).all()
    return Feeder(db, tpl, [(p.id, p.instance_id, p.department_id) for p in pool], [])


def worker_job(db: Database, wiring: Wiring, runs: list[WorkerRun]) -> Callable[[], None]:
    """What the worker runs every interval: one sweep at the system clock's now, remembered."""
    clock = SystemClock()

    def job() -> None:
        now = clock.now()
        begin = time.perf_counter()
        report = sweep(db, wiring.ctx, wiring.esc, now)
        runs.append(WorkerRun(now, time.perf_counter() - begin, clock.now(), report.deadlines))

    return job


def run_worker(feeder: Feeder, wiring: Wiring, args: argparse.Namespace) -> list[WorkerRun]:
    """Start the scheduler, feed rungs on schedule, wait (bounded) until the worker fired them all."""
    clock, runs = SystemClock(), list[WorkerRun]()
    first = clock.now() + timedelta(seconds=args.lead)
    step = args.lateness_seconds / args.lateness_rungs
    feeder.schedule = [first + timedelta(seconds=n * step) for n in range(args.lateness_rungs)]
    give_up = feeder.schedule[-1] + timedelta(seconds=3 * args.interval + 30)
    scheduler = start_in_background(worker_job(feeder.db, wiring, runs), interval=args.interval)
    pause = threading.Event()
    try:
        while clock.now() < give_up:
            feeder.feed(clock.now(), timedelta(seconds=args.lead))
            if feeder.done and fired(feeder.db) >= len(feeder.schedule):
                break
            pause.wait(0.2)  # the only wait: wall-clock by nature, bounded by give_up
    finally:
        scheduler.shutdown(wait=True)
    return runs


def fired(db: Database) -> int:
    """How many rungs fired so far."""
    with db.transaction(write=False) as session:
        return session.execute(select(func.count()).select_from(EscalationRecord)).scalar_one()


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


def report_lateness(db: Database, runs: list[WorkerRun], args: argparse.Namespace, scheduled: int) -> None:
    """Lateness of every fired rung (recorded and committed), and what the worker's sweeps cost."""
    with db.transaction(write=False) as session:
        records = session.execute(select(EscalationRecord.due_at, EscalationRecord.fired_at)).all()
    committed = {r.now: r.committed for r in runs}
    recorded = [(f - d).total_seconds() for d, f in records]
    visible = [(committed[f] - d).total_seconds() for d, f in records if f in committed]
    print(f"\nworker: interval {args.interval:g} s, {len(runs)} sweeps in the run; {len(records)} of {scheduled} "
          f"scheduled rungs fired ({args.lateness_rungs} due over {args.lateness_seconds:g} s, each inserted "
          f"{args.lead:g} s before due), {args.lateness_tasks:,} other open tasks with future rungs")
    print(f"{'lateness, s':<46} {'p50':>7} {'p95':>7} {'max':>7} {'min':>7}")
    for label, values in (("recorded: escalation_record.fired_at - due_at", recorded),
                          ("committed: sweep returned - due_at", visible)):
        if values:
            print(f"{label:<46} {percentile(values, 50):>7.2f} {percentile(values, 95):>7.2f} "
                  f"{max(values):>7.2f} {min(values):>7.2f}")
    busy = [r.seconds * 1000 for r in runs if r.fired]
    idle = [r.seconds * 1000 for r in runs if not r.fired]
    for label, values in (("sweeps that fired rungs", busy), ("sweeps with nothing due", idle)):
        if values:
            print(f"{label}: {len(values)}, ms p50 {statistics.median(values):.1f}, max {max(values):.1f}")
    if runs:
        gaps = [(b.now - a.now).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]
        if gaps:
            print(f"gap between sweep starts, s: median {statistics.median(gaps):.2f}, max {max(gaps):.2f}")
        bound = args.interval + max(r.seconds for r in runs)
        verdict = "ok" if recorded and max(visible or recorded) <= bound else "EXCEEDED"
        print(f"bound: interval + slowest sweep = {bound:.2f} s; max committed lateness within it: {verdict}")


def run_lateness(args: argparse.Namespace) -> None:
    """Part 2: the APScheduler worker on the real clock while a feeder adds rungs."""
    with postgres_database(args.postgres_url, "late") as db:
        wiring = production_wiring()
        feeder = timed(f"build lateness database ({args.lateness_tasks:,} open tasks) + VACUUM ANALYZE",
                       lambda: build_lateness(db, wiring, args.lateness_tasks, args.lateness_rungs))
        runs = timed("worker run", lambda: run_worker(feeder, wiring, args))
        report_lateness(db, runs, args, len(feeder.schedule))


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["both", "sweep", "lateness"], default="both",
                        help="part 1 (sweep cost A beside B), part 2 (worker lateness), or both (default)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server; temporary schemas are used")
    parser.add_argument("--a-tasks", type=int, default=100_000, help="open tasks in configuration A (100,000)")
    parser.add_argument("--b-tasks", type=int, default=1_000, help="open tasks in configuration B (1,000)")
    parser.add_argument("--tasks-per-instance", type=int, default=1,
                        help="open tasks per running instance; instances = tasks / this (1)")
    parser.add_argument("--due", type=int, default=100,
                        help=f"rungs due at the sweep's instant, a multiple of {DUE_PER_CASE} (100)")
    parser.add_argument("--repetitions", type=int, default=7, help="timed sweeps per configuration (7)")
    parser.add_argument("--interval", type=float, default=5.0, help="worker interval, seconds (5)")
    parser.add_argument("--lateness-seconds", type=float, default=40.0,
                        help="seconds over which fed rungs fall due (40)")
    parser.add_argument("--lateness-rungs", type=int, default=200, help="rungs the feeder inserts (200)")
    parser.add_argument("--lateness-tasks", type=int, default=100_000,
                        help="open tasks with future rungs around them in the lateness run (100,000)")
    parser.add_argument("--lead", type=float, default=2.0, help="seconds before its due instant a rung is inserted (2)")
    args = parser.parse_args(argv)
    if args.due < DUE_PER_CASE or args.due % DUE_PER_CASE:
        parser.error(f"--due must be a positive multiple of {DUE_PER_CASE}")
    if min(args.a_tasks, args.b_tasks) < args.due // DUE_PER_CASE * len(SUMMONED) + 1:
        parser.error("--a-tasks and --b-tasks must exceed the engine-created tasks (--due / 4)")
    if args.repetitions < 5 and args.mode != "lateness":
        parser.error("--repetitions must be at least 5")
    if args.lateness_rungs < 1 or args.lateness_seconds <= 0 or args.interval <= 0 or args.lead < 0:
        parser.error("--lateness-rungs, --lateness-seconds and --interval must be positive, --lead >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the parts ``--mode`` asks for."""
    args = parse_args(argv)
    if args.mode in ("both", "sweep"):
        run_compare(args)
    if args.mode in ("both", "lateness"):
        run_lateness(args)


if __name__ == "__main__":
    main()
