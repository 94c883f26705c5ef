"""Task completions per second through the engine, beside SpiffWorkflow in memory and bare writes.

Seven variants run the whistle process with three summoned departments (15 completions per
case), interleaved round-robin so machine noise hits all of them alike:

* ``in-memory``: SpiffWorkflow alone (its own ``BpmnParser``, no persistence);
* ``engine sqlite`` / ``engine postgresql``: ``engine.tasks.complete`` in one write
  transaction per completion, exactly as ``tests/support.py`` ``Flow`` does, with a bare
  ``EngineContext()`` (no listeners);
* ``engine+escalation sqlite`` / ``engine+escalation postgresql``: the same completions with
  the production wiring (``web.services.engine_context`` + ``wire``, calendars from
  ``processes/demo-city/calendars``, the whistle policy deployed), so every new task arms its deadline
  rows and every claim and completion stops them;
* ``bare sqlite`` / ``bare postgresql``: one transaction per step that UPDATEs a row with
  the instance state the engine stored at that step and INSERTs that step's audit payload.

Only the completions are timed; starting a case and finding the next task id (a read
transaction, as a client reading its inbox would) are not.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select, text

from engine import accounts, definitions, instances, organisation_files, schema, tasks
from engine.actors import Actor, actor_of
from engine.context import EngineContext
from engine.database import Database
from engine.models import HumanTask, ProcessInstance, TaskEvent, TaskStatus
from escalation.policy_store import deploy_policy
from web.services import calendars_of, engine_context, wire
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
WHISTLE_PACK = PROCESSES / "whistle"
DEMO_CITY = PROCESSES / "demo-city"
WHISTLE_BPMN = WHISTLE_PACK / "whistle.bpmn"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "whistle-demo"
NOW = datetime(2026, 9, 28, 9, 0, tzinfo=timezone(timedelta(hours=8)))
STREET = "HP"
DEPARTMENTS = ("GHZY", "ZJW", "CGW")

# The workload of tests/support.py, held fixed here so the benchmark does not drift with tests.
WHISTLE_DATA: dict[str, Any] = {
    "whistle_type": "enforcement",
    "category": "WFJS",
    "community": "和平里社区",
    "address": "和平里七区 5 号楼楼顶",
    "description": "居民反映 5 号楼楼顶有人正在搭建违章建筑，街道无法单独处置。",
    "departments": list(DEPARTMENTS),
}
ANSWERS: dict[str, dict[str, Any]] = {
    "Task_sign": {"decision": "sign", "contact": "王科长 13800000000"},  # the 签收 button (not 退单)
    "Task_report_in": {"on_site_staff": "执法队 3 人", "note": "已到现场"},
    "Task_handle": {"result": "已责令停工并拆除违建部分", "measures": "下达限期拆除通知"},
    "Task_verify": {"satisfied": True},
    "Task_rate": {"speed": 5, "cooperation": 4, "fulfilment": 5},
}


@dataclass(frozen=True)
class Step:
    """One completion: which element, for which summoned department, by whom."""

    element: str
    department: str
    username: str


def whistle_steps() -> list[Step]:
    """The 15 completions of one case, in the order tests/support.py drives them."""
    steps = []
    for code in DEPARTMENTS:
        steps += [Step("Task_sign", code, f"{code}.dispatcher"), Step("Task_report_in", code, f"{code}.staff"),
                  Step("Task_handle", code, f"{code}.staff"), Step("Task_verify", code, f"{STREET}.officer")]
    steps += [Step("Task_rate", code, f"{STREET}.leader") for code in DEPARTMENTS]
    return steps


STEPS = whistle_steps()


# --------------------------------------------------------------------------- variants


class Variant:
    """Something that runs cases and returns the seconds spent in completions."""

    name: str = ""

    def run_case(self) -> float:
        """Run one case; return the timed seconds of its completions."""
        raise NotImplementedError


class InMemory(Variant):
    """SpiffWorkflow alone: parse the BPMN file directly, run the same data, store nothing."""

    name = "in-memory"

    def __init__(self) -> None:
        import logging

        from SpiffWorkflow.bpmn.parser import BpmnParser

        for name in ("spiff", "spiff.task", "spiff.workflow", "spiff.data"):  # as the engine sets them
            logging.getLogger(name).setLevel(logging.WARNING)
        parser = BpmnParser()
        parser.add_bpmn_file(str(WHISTLE_BPMN))
        self.spec = parser.get_spec("whistle")
        self.subprocess_specs = parser.get_subprocess_specs("whistle")

    def run_case(self) -> float:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.get_next_task(state=TaskState.READY).data.update({**WHISTLE_DATA, "street": STREET})
        workflow.do_engine_steps()
        elapsed = 0.0
        for step in STEPS:
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.bpmn_id == step.element and t.data.get("department") == step.department)
            begin = time.perf_counter()
            task.data.update(ANSWERS[step.element])
            task.run()
            workflow.do_engine_steps()
            elapsed += time.perf_counter() - begin
        assert workflow.completed, "in-memory case did not finish"
        return elapsed


@dataclass
class StepRecord:
    """What the engine stored at one step: the instance state and that step's audit payload."""

    state: str
    audit_payload: str


class EngineVariant(Variant):
    """The engine service layer with persistence, one write transaction per completion."""

    def __init__(self, name: str, db: Database, claim_first: bool, ctx: EngineContext | None = None) -> None:
        self.name = name
        self.db = db
        self.ctx = ctx or EngineContext()
        self.claim_first = claim_first
        self.watch: Stopwatch | None = None  # set by --breakdown
        self._actors: dict[str, Actor] = {}

    def actor(self, username: str) -> Actor:
        """A demo user as an actor (loaded once)."""
        if username not in self._actors:
            with self.db.transaction(write=False) as session:
                self._actors[username] = actor_of(accounts.user_by_name(session, username))
        return self._actors[username]

    def start(self) -> int:
        """Blow the whistle as the street officer (not timed)."""
        with self.db.transaction() as session:
            return instances.start(session, self.ctx, self.actor(f"{STREET}.officer"), "whistle",
                                   dict(WHISTLE_DATA), now=NOW, confirmed=True).id  # the same whistle, on purpose

    def task_id(self, instance_id: int, step: Step) -> int:
        """The open task of a step, read as a client would read its inbox (not timed)."""
        with self.db.transaction(write=False) as session:
            rows = session.execute(select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == step.element,
                HumanTask.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))).scalars()
            found = [r.id for r in rows if r.context.get("department") == step.department]
        assert len(found) == 1, f"expected one open {step.element} for {step.department}, found {found}"
        return found[0]

    def complete(self, task_id: int, step: Step) -> None:
        """Claim (optionally) and complete, one transaction per action, as Flow does."""
        if self.watch is None:
            self._complete(task_id, step)
            return
        with self.watch.counting():
            self._complete(task_id, step)

    def _complete(self, task_id: int, step: Step) -> None:
        """The transactions of one completion (and the commit time, under --breakdown)."""
        actor = self.actor(step.username)
        if self.claim_first:
            with self.db.transaction() as session:
                tasks.claim(session, self.ctx, actor, task_id, now=NOW)
        with self.db.transaction() as session:
            tasks.complete(session, self.ctx, actor, task_id, ANSWERS[step.element], now=NOW)
            returned = time.perf_counter()
        if self.watch is not None:
            self.watch.add("commit (incl. the last flush)", time.perf_counter() - returned)

    def run_case(self) -> float:
        instance_id = self.start()
        elapsed = 0.0
        for step in STEPS:
            task_id = self.task_id(instance_id, step)
            begin = time.perf_counter()
            self.complete(task_id, step)
            elapsed += time.perf_counter() - begin
        return elapsed

    def record_case(self) -> list[StepRecord]:
        """Run one case untimed and keep what each step stored (the bytes bare writes replay)."""
        instance_id = self.start()
        records = []
        for step in STEPS:
            last_event = self._last_event_id()
            self.complete(self.task_id(instance_id, step), step)
            records.append(self._stored(instance_id, last_event))
        return records

    def _last_event_id(self) -> int:
        """The newest audit row's id."""
        with self.db.transaction(write=False) as session:
            return session.execute(select(TaskEvent.id).order_by(TaskEvent.id.desc()).limit(1)).scalar() or 0

    def _stored(self, instance_id: int, after_event: int) -> StepRecord:
        """The stored state and the "completed" audit payload written after ``after_event``."""
        with self.db.transaction(write=False) as session:
            state = session.execute(select(ProcessInstance.state).where(ProcessInstance.id == instance_id)).scalar_one()
            payloads = session.execute(select(TaskEvent.action, TaskEvent.payload).where(
                TaskEvent.id > after_event).order_by(TaskEvent.id)).all()
        completed = [p for action, p in payloads if action == "completed"]
        return StepRecord(state, json.dumps(completed[0], ensure_ascii=False))


class BareWrite(Variant):
    """One transaction per step: UPDATE a state row, INSERT an audit row, the same bytes as the engine."""

    def __init__(self, name: str, db: Database, records: list[StepRecord]) -> None:
        self.name = name
        self.records = records
        self.writer: Engine = db.engine.execution_options(whistle_write=True)  # BEGIN IMMEDIATE on SQLite
        self.postgres = db.is_postgres
        with self.writer.begin() as connection:
            _create_bare_tables(connection, self.postgres)
        cast = "CAST(:payload AS jsonb)" if self.postgres else ":payload"
        self.update = text("UPDATE bench_state SET state = :state, revision = revision + 1, updated_at = :now "
                           "WHERE id = :id")
        self.insert = text("INSERT INTO bench_event (instance_id, action, at, payload) "
                           f"VALUES (:id, 'completed', :now, {cast})")

    def run_case(self) -> float:
        with self.writer.begin() as connection:
            row_id = connection.execute(text(
                "INSERT INTO bench_state (state, revision, updated_at) VALUES (:state, 1, :now) RETURNING id"),
                {"state": self.records[0].state, "now": NOW}).scalar_one()
        elapsed = 0.0
        for record in self.records:
            begin = time.perf_counter()
            with self.writer.begin() as connection:
                connection.execute(self.update, {"state": record.state, "now": NOW, "id": row_id})
                connection.execute(self.insert, {"id": row_id, "now": NOW, "payload": record.audit_payload})
            elapsed += time.perf_counter() - begin
        return elapsed


def _create_bare_tables(connection: Connection, postgres: bool) -> None:
    """The two tables of the bare-write variant, typed like process_instance and task_event."""
    key = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
    stamp = "TIMESTAMPTZ" if postgres else "DATETIME"
    payload = "JSONB" if postgres else "JSON"
    connection.execute(text(f"CREATE TABLE bench_state (id {key}, state TEXT NOT NULL, revision INTEGER NOT NULL, "
                            f"updated_at {stamp} NOT NULL)"))
    connection.execute(text(f"CREATE TABLE bench_event (id {key}, instance_id INTEGER NOT NULL, "
                            f"action VARCHAR(32) NOT NULL, at {stamp} NOT NULL, payload {payload} NOT NULL)"))


# --------------------------------------------------------------------------- databases


def prepare(db: Database) -> None:
    """Migrate, seed the demo district, deploy the whistle process and its SLA policy."""
    schema.upgrade(db)
    ctx = EngineContext()
    with db.transaction() as session:
        organisation_files.seed_demo(session, [DEMO_CITY, DEMO_CITY.parent / "rxjb"], password=DEMO_PASSWORD, now=NOW)
    with db.transaction() as session:
        definitions.deploy(session, ctx, definitions.bundle_from_path(WHISTLE_BPMN), now=NOW)
    with db.transaction() as session:  # only the escalation variant has listeners that read it
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=NOW)


def production_context() -> EngineContext:
    """An engine context wired like the web app: timer functions, escalation listeners."""
    settings = Settings(processes_dir=PROCESSES)
    calendars = calendars_of(settings)
    ctx = engine_context(settings, calendars)
    wire(ctx, calendars)
    return ctx


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """A prepared database in a temporary SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="whistle-bench-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            prepare(db)
            yield db
        finally:
            db.dispose()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """A prepared database in a PostgreSQL schema of its own, dropped afterwards."""
    name = f"whistle_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    db = Database(f"{url}?options=-csearch_path%3D{name}")
    try:
        prepare(db)
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- measuring


@dataclass
class Samples:
    """Completions per second of one variant, one figure per round."""

    rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median completions per second over the rounds."""
        return statistics.median(self.rates)


def measure(variants: list[Variant], rounds: int, cases: int) -> dict[str, Samples]:
    """Run every variant ``cases`` cases per round, round-robin, rotating who goes first."""
    results = {v.name: Samples() for v in variants}
    for round_no in range(rounds):
        shift = round_no % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            seconds = sum(variant.run_case() for _ in range(cases))
            results[variant.name].rates.append(cases * len(STEPS) / seconds)
        print(f"  round {round_no + 1}/{rounds}: "
              + ", ".join(f"{name} {s.rates[-1]:,.0f}/s" for name, s in results.items()), file=sys.stderr)
    return results


def report(results: Mapping[str, Samples], backends: list[str], records: list[StepRecord]) -> None:
    """Print medians side by side and the ratios engine/in-memory and engine/bare-write."""
    width = max(len(name) for name in results)
    print(f"\n{'variant':<{width}} {'median completions/s':>21} {'ms/completion':>14} {'min/s':>9} {'max/s':>9}")
    for name, samples in results.items():
        print(f"{name:<{width}} {samples.median:>21,.0f} {1000 / samples.median:>14.3f} "
              f"{min(samples.rates):>9,.0f} {max(samples.rates):>9,.0f}")
    print(f"\n{'backend':<12} {'engine/in-memory':>17} {'engine/bare-write':>18} {'+escalation/engine':>19}   "
          "(ratio of medians; median of per-round ratios in brackets)")
    for backend in backends:
        engine = results[f"engine {backend}"]
        cells = [_ratio(engine, results[other]) for other in ("in-memory", f"bare {backend}")]
        cells.append(_ratio(results[f"engine+escalation {backend}"], engine))
        print(f"{backend:<12} {cells[0]:>17} {cells[1]:>18} {cells[2]:>19}")
    for backend in backends:
        added = 1000 / results[f"engine+escalation {backend}"].median - 1000 / results[f"engine {backend}"].median
        print(f"escalation wiring adds {added:.2f} ms per completion on {backend} (difference of the medians)")
    states = [len(r.state.encode()) for r in records]
    audits = [len(r.audit_payload.encode()) for r in records]
    print(f"\nbytes per step replayed by bare writes: state {min(states):,}-{max(states):,} "
          f"(mean {statistics.mean(states):,.0f}), audit payload {min(audits)}-{max(audits)}")


def _ratio(engine: Samples, other: Samples) -> str:
    """``engine / other`` as ratio of medians, then the median of the rounds' own ratios."""
    paired = statistics.median(e / o for e, o in zip(engine.rates, other.rates, strict=True))
    return f"{engine.median / other.median:.3f} [{paired:.3f}]"


def profile(variant: Variant, cases: int) -> None:
    """cProfile the variant over ``cases`` cases; print top 20 of whistle's code by cumulative, and by own time."""
    import re

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cases):
        variant.run_case()
    profiler.disable()
    print(f"\n--- cProfile: {variant.name}, {cases} cases, whistle's engine/ and escalation/ functions, "
          "top 20 by cumulative ---")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    folders = "|".join(re.escape(str(ROOT / name)) for name in ("engine", "escalation"))
    stats.sort_stats("cumulative").print_stats(f"({folders})/", 20)
    print(f"\n--- cProfile: {variant.name}, {cases} cases, all functions, top 20 by own time ---")
    stats.strip_dirs().sort_stats("tottime").print_stats(20)


# --------------------------------------------------------------------------- breakdown

# Engine functions timed by --breakdown (inclusive wall time; patched in this process only).
BREAKDOWN_TARGETS: list[tuple[str, str, str]] = [
    ("engine.tasks", "visible_task", "tasks.visible_task (lock the task row)"),
    ("engine.instances", "lock", "instances.lock (SELECT ... FOR UPDATE of the instance)"),
    ("engine.spiff:WorkflowRun", "load", "spiff: load (JSON -> workflow)"),
    ("engine.spiff:WorkflowRun", "refresh", "spiff: refresh timers + 2 engine passes"),
    ("engine.instances", "sync_human_tasks", "sync_human_tasks"),
    ("engine.tasks", "validate_data", "forms.validate_data"),
    ("engine.spiff:WorkflowRun", "complete", "spiff: complete task + engine steps"),
    ("engine.instances", "save", "instances.save (dump, sync, flush)"),
    ("engine.spiff:WorkflowRun", "dump", "spiff: dump (workflow -> JSON)"),
    ("engine.spiff:WorkflowRun", "ready_human_tasks", "spiff: ready_human_tasks (inside sync)"),
    ("escalation.deadlines", "arm", "escalation: deadlines.arm (rungs of a new task)"),
    ("escalation.config:Escalation", "policy_for", "escalation: policy_for (inside arm; incl. autoflush)"),
    ("escalation.deadlines", "_rungs", "escalation: _rungs (inside arm; working-time instants)"),
    ("escalation.deadlines", "stop", "escalation: deadlines.stop (claim, complete)"),
]
SAVE_LABEL = "instances.save (dump, sync, flush)"
SYNC_LABEL = "sync_human_tasks"


class Stopwatch:
    """Accumulates inclusive wall time and calls per label, while counting is on."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.running: set[str] = set()
        self.enabled = False  # only completions count, not starting a case or finding tasks

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Count what happens inside the block."""
        self.enabled = True
        try:
            yield
        finally:
            self.enabled = False

    def add(self, label: str, seconds: float) -> None:
        """Count one call of ``label`` that took ``seconds``."""
        if not self.enabled:
            return
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds
        self.calls[label] = self.calls.get(label, 0) + 1

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` wrapped so its calls are added to ``label``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = self._phase(label)
            self.running.add(label)
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - begin)
                self.running.discard(label)

        return wrapper

    def _phase(self, label: str) -> str:
        """Tell the sync_human_tasks calls apart: before the action (timers fired), and inside save."""
        if label != SYNC_LABEL:
            return label
        if SAVE_LABEL in self.running:
            return f"{label} in save (incl. its SQL, autoflush)"
        return f"{label} before the action (incl. its SQL)"


def _owner(path: str) -> Any:
    """The module (``pkg.mod``) or class (``pkg.mod:Class``) a target lives on."""
    import importlib

    module, _, attribute = path.partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


def _lookup(path: str, name: str) -> tuple[Any, Any] | None:
    """(owner, function) of a breakdown target, or None when the engine no longer has it."""
    try:
        owner = _owner(path)
    except (ImportError, AttributeError):
        return None
    function = getattr(owner, name, None)
    return (owner, function) if function is not None else None


@contextmanager
def patched(watch: Stopwatch) -> Iterator[None]:
    """Wrap every breakdown target with ``watch`` for the duration of the block."""
    originals = []
    for path, name, label in BREAKDOWN_TARGETS:
        found = _lookup(path, name)
        if found is None:
            print(f"(breakdown: {path}.{name} not found, skipped)", file=sys.stderr)
            continue
        owner, function = found
        originals.append((owner, name, function))
        setattr(owner, name, watch.timed(label, function))
    try:
        yield
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


@contextmanager
def sql_timer(engine: Engine, watch: Stopwatch) -> Iterator[None]:
    """Add the driver time of every statement to ``watch`` (SQLAlchemy cursor events)."""
    from sqlalchemy import event

    def before(connection: Any, *_: Any) -> None:
        connection.info["bench_t0"] = time.perf_counter()

    def after(connection: Any, *_: Any) -> None:
        watch.add("SQL statements, time in the driver", time.perf_counter() - connection.info.pop("bench_t0"))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def breakdown(variant: EngineVariant, cases: int) -> None:
    """Print where a completion's wall time goes, in ms per completion (inclusive, overlapping)."""
    watch = Stopwatch()
    with patched(watch), sql_timer(variant.db.engine, watch):
        variant.watch = watch
        seconds = sum(variant.run_case() for _ in range(cases))
        variant.watch = None
    completions = cases * len(STEPS)
    print(f"\n--- breakdown: {variant.name}, {cases} cases, ms per completion (inclusive; lines overlap) ---")
    print(f"{'completion, whole transaction':<58} {1000 * seconds / completions:>8.2f}")
    for label, spent in watch.seconds.items():
        calls = watch.calls[label] / completions
        print(f"{label:<58} {1000 * spent / completions:>8.2f}   ({calls:.1f} calls)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; medians are over rounds (7)")
    parser.add_argument("--cases", type=int, default=10, help="cases per variant per round, 15 completions each (10)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server; a temporary schema is used")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--claim-first", action="store_true",
                        help="claim each task in its own transaction before completing it (both timed)")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, cProfile the SQLite engine and engine+escalation variants")
    parser.add_argument("--breakdown", action="store_true",
                        help="afterwards, time the engine's parts per completion on each backend")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.backends or set(args.backends) - {"sqlite", "postgresql"}:
        parser.error("--backends takes sqlite and/or postgresql")
    if args.rounds < 1 or args.cases < 1:
        parser.error("--rounds and --cases must be at least 1")
    return args


def open_databases(stack: ExitStack, backends: list[str], url: str) -> dict[str, Database]:
    """Prepared databases by backend name, closed when ``stack`` closes."""
    opened: dict[str, Callable[[], Any]] = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database(url)}
    return {backend: stack.enter_context(opened[backend]()) for backend in backends}


def main(argv: list[str] | None = None) -> None:
    """Set up, warm up, measure round-robin, report, optionally break down and profile."""
    args = parse_args(argv)
    with ExitStack() as stack:
        databases = open_databases(stack, args.backends, args.postgres_url)
        variants: list[Variant] = [InMemory()]
        engines = {b: EngineVariant(f"engine {b}", db, args.claim_first) for b, db in databases.items()}
        escalating = {b: EngineVariant(f"engine+escalation {b}", db, args.claim_first, production_context())
                      for b, db in databases.items()}
        records = engines[args.backends[0]].record_case()  # also warms up that engine
        for backend, db in databases.items():
            variants += [engines[backend], escalating[backend], BareWrite(f"bare {backend}", db, records)]
        for variant in variants:  # warm-up: caches, connection pools, first-time imports
            variant.run_case()
        print(f"whistle, {len(DEPARTMENTS)} departments, {len(STEPS)} completions per case; "
              f"{args.rounds} rounds x {args.cases} cases per variant"
              + (" (claim, then complete)" if args.claim_first else ""), file=sys.stderr)
        results = measure(variants, args.rounds, args.cases)
        report(results, args.backends, records)
        if args.breakdown:
            for variant in [*engines.values(), *escalating.values()]:
                breakdown(variant, args.cases)
        if args.profile and "sqlite" in engines:
            profile(engines["sqlite"], args.cases)
            profile(escalating["sqlite"], args.cases)


if __name__ == "__main__":
    main()
