"""Inbox latency on PostgreSQL with a large human_task table, as the JSON API queries it.

Builds (set-based SQL, in a temporary schema dropped afterwards) ``--tasks`` human_task
rows of which ``--active`` are open or claimed, spread over the 13 district departments
and 12 streets of the demo district, with one process_instance row per ``--per-instance``
tasks; ANALYZEs; then times ``engine.inbox.inbox_page(session, actor, scope, status,
limit=50, offset=0)``, the call the JSON API makes (it merges the per-department queues
with UNION ALL for an actor with several departments), for demo users of different
departments, scenarios interleaved; prints p50/p95/p99, where the time goes (building the
Select, the driver, the server's own planning and execution) and EXPLAIN (ANALYZE, BUFFERS)
of each scenario.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.orm import Session

from engine import accounts, definitions, inbox, organisation_files, schema
from engine.actors import Actor, actor_of
from engine.context import EngineContext
from engine.database import Database
from engine.inbox import Scope
from engine.models import Department, ProcessDefinition, TaskStatus

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
WHISTLE_PACK = PROCESSES / "whistle"
DEMO_CITY = PROCESSES / "demo-city"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "whistle-demo"
BASE = datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=8)))
TARGET_P95_MS = 15.0
PAGE_SIZE = 50

# Department-scope actors: district departments and streets, several roles.
DEPARTMENT_USERS = ["CGW.staff", "ZJW.dispatcher", "GHZY.staff", "SJJ.head", "GAFJ.staff", "YJJ.dispatcher",
                    "HP.officer", "XH.officer", "JHH.leader", "TP.grid"]
# "Mine"-scope actors: users who hold claimed tasks in the generated data.
MINE_USERS = ["CGW.staff", "ZJW.dispatcher", "GHZY.staff", "SWJ.staff", "HP.officer", "XH.leader", "CQ.officer"]

# One summoned department's five user tasks: element, name, lane role, form, clock property.
ELEMENTS = [
    ("Task_sign", "签收", "dept_dispatcher", "whistle_sign", "sign"),
    ("Task_report_in", "到场报到", "dept_staff", "whistle_report_in", "arrive"),
    ("Task_handle", "处置反馈", "dept_staff", "whistle_handle", "complete"),
    ("Task_verify", "核验", "street_officer", "whistle_verify", None),
    ("Task_rate", "评价", "street_leader", "whistle_rate", None),
]

INSTANCES_SQL = """
INSERT INTO process_instance (id, definition_id, process_key, business_key, title, status, state, revision,
    next_timer_at, origin_department_id, started_by_id, case_data, created_at, updated_at, completed_at)
SELECT i + 1, :definition_id, 'whistle', NULL, '和平里七区违法建设 第' || i || '号', 'running', '{}', 1,
       NULL, (CAST(:street_ids AS int[]))[1 + i % :streets], (CAST(:officer_ids AS int[]))[1 + i % :streets],
       jsonb_build_object('street', (CAST(:street_codes AS text[]))[1 + i % :streets], 'category', 'WFJS'),
       CAST(:base AS timestamptz) + i * interval '1 minute', CAST(:base AS timestamptz) + i * interval '1 minute',
       NULL
FROM generate_series(0, :instances - 1) AS i
"""

# Task g belongs to instance g / per; position k = g % per cycles through ELEMENTS, the
# first five for one summoned department, the next five for another. A task is active when
# (g + instance) % stride = 0, which puts the active task at a different position per case.
TASKS_SQL = """
INSERT INTO human_task (instance_id, spiff_task_id, process_id, element_id, name, role, department_id,
    assignee_id, status, form_key, properties, context, created_at, claimed_at, completed_at, completed_by_id)
WITH raw AS (
    SELECT g, g / :per AS i, g % :per AS k FROM generate_series(0, :tasks - 1) AS g
), placed AS (
    SELECT g, i, k, 1 + k % 5 AS e,
           1 + (i * 7 + (k / 5) * 5) % :departments AS d,
           1 + i % :streets AS s,
           CAST(:base AS timestamptz) + i * interval '1 minute' + k * interval '1 hour' AS created_at,
           CASE WHEN (g + i) % :stride = 0
                THEN CASE WHEN (i / 7) % 10 < :claimed_tenths THEN 'claimed' ELSE 'open' END
                WHEN g % 50 = 0 THEN 'cancelled' ELSE 'completed' END AS status
    FROM raw
), shaped AS (
    SELECT p.*, (CAST(:roles AS text[]))[e] AS role,
           CASE WHEN e <= 3 THEN (CAST(:department_ids AS int[]))[d]
                ELSE (CAST(:street_ids AS int[]))[s] END AS department_id
    FROM placed p
), seat AS (
    SELECT DISTINCT ON (department_id, role) department_id, role, user_id
    FROM membership ORDER BY department_id, role, user_id
)
SELECT t.i + 1, gen_random_uuid()::text, 'whistle_department', (CAST(:elements AS text[]))[t.e],
       (CAST(:names AS text[]))[t.e], t.role, t.department_id,
       CASE WHEN t.status IN ('claimed', 'completed') THEN seat.user_id END, t.status,
       (CAST(:forms AS text[]))[t.e],
       CASE WHEN (CAST(:clocks AS text[]))[t.e] IS NULL THEN '{}'::jsonb
            ELSE jsonb_build_object('clock', (CAST(:clocks AS text[]))[t.e]) END,
       jsonb_build_object('street', (CAST(:street_codes AS text[]))[t.s],
                          'department', (CAST(:department_codes AS text[]))[t.d]),
       t.created_at,
       CASE WHEN t.status IN ('claimed', 'completed') THEN t.created_at + interval '10 minutes' END,
       CASE WHEN t.status IN ('completed', 'cancelled') THEN t.created_at + interval '50 minutes' END,
       CASE WHEN t.status = 'completed' THEN seat.user_id END
FROM shaped t LEFT JOIN seat ON seat.department_id = t.department_id AND seat.role = t.role
"""


@dataclass(frozen=True)
class Scenario:
    """One inbox query shape: scope, status and the actors that take turns running it."""

    label: str
    scope: Scope
    status: TaskStatus
    actors: list[Actor]
    target: bool = True
    # A proposed replacement query (SQL for an actor) instead of engine.inbox.tasks, or None.
    proposal: Callable[[Actor], str] | None = None


@dataclass
class Timings:
    """Latencies of one scenario in milliseconds: the whole call, building the Select, the driver."""

    total: list[float] = field(default_factory=list)
    build: list[float] = field(default_factory=list)
    driver: list[float] = field(default_factory=list)
    ping: list[float] = field(default_factory=list)  # an empty round trip just before: the host's noise floor
    rows: list[int] = field(default_factory=list)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


class DriverClock:
    """Milliseconds spent inside the driver (send, server, receive) since the last reset."""

    def __init__(self) -> None:
        self.ms = 0.0
        self._begin = 0.0

    def reset(self) -> None:
        """Start counting from zero."""
        self.ms = 0.0

    def before(self, *_: Any) -> None:
        """SQLAlchemy ``before_cursor_execute`` listener."""
        self._begin = time.perf_counter()

    def after(self, *_: Any) -> None:
        """SQLAlchemy ``after_cursor_execute`` listener."""
        self.ms += (time.perf_counter() - self._begin) * 1000


# --------------------------------------------------------------------------- setup


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """A migrated, seeded database in a PostgreSQL schema of its own, dropped afterwards."""
    name = f"whistle_inbox_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    db = Database(f"{url}?options=-csearch_path%3D{name}")
    try:
        schema.upgrade(db)
        with db.transaction() as session:
            organisation_files.seed_demo(session, [DEMO_CITY, DEMO_CITY.parent / "rxjb"], password=DEMO_PASSWORD,
                                         now=BASE)
        with db.transaction() as session:
            definitions.deploy(session, EngineContext(), definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"),
                               now=BASE)
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def organisation(session: Session) -> dict[str, Any]:
    """Ids and codes of the district departments and streets, and each street's officer."""
    rows = session.execute(select(Department.id, Department.code, Department.kind).order_by(Department.id)).all()
    # The demo city's kinds: its district departments are summoned, its streets and towns blow whistles.
    departments = [r for r in rows if r.kind == "department" and r.code.isalpha()]  # SFQ's, not 临河区's (LHQ-…)
    streets = [r for r in rows if r.kind in ("street", "town") and r.code.isalpha()]
    officers = [accounts.user_by_name(session, f"{r.code}.officer").id for r in streets]
    return {
        "department_ids": [r.id for r in departments], "department_codes": [r.code for r in departments],
        "street_ids": [r.id for r in streets], "street_codes": [r.code for r in streets],
        "officer_ids": officers, "departments": len(departments), "streets": len(streets),
    }


def build(db: Database, tasks: int, active: int, per_instance: int, claimed_share: float,
          extra_sql: list[str]) -> dict[str, int]:
    """Insert the instances and tasks set-based, run ``extra_sql``, ANALYZE; return counts by status."""
    with db.transaction() as session:
        org = organisation(session)
        definition_id = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.key == "whistle")
                                        ).scalar_one()
        connection = session.connection()
        instances = -(-tasks // per_instance)
        connection.execute(text(INSTANCES_SQL), {**org, "definition_id": definition_id, "instances": instances,
                                                 "base": BASE})
        columns = list(zip(*ELEMENTS, strict=True))
        connection.execute(text(TASKS_SQL), {
            **org, "tasks": tasks, "per": per_instance, "stride": max(1, tasks // active), "base": BASE,
            "claimed_tenths": round(claimed_share * 10), "elements": list(columns[0]), "names": list(columns[1]),
            "roles": list(columns[2]), "forms": list(columns[3]), "clocks": list(columns[4]),
        })
        _reset_sequence(connection, "process_instance")
        for statement in extra_sql:
            connection.execute(text(statement))
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE process_instance, human_task, department, user_account, membership"))
        counts = connection.execute(text("SELECT status, count(*) FROM human_task GROUP BY status")).all()
    return {status: n for status, n in counts}


def _reset_sequence(connection: Connection, table: str) -> None:
    """Move the id sequence past the explicit ids just inserted."""
    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def load_actors(db: Database, usernames: list[str]) -> list[Actor]:
    """Demo users as actors, the way the API builds them."""
    with db.transaction(write=False) as session:
        return [actor_of(accounts.user_by_name(session, name)) for name in usernames]


# --------------------------------------------------------------------------- timing


def api_query(actor: Actor, scenario: Scenario) -> Any:
    """The Select ``inbox.inbox_page`` builds for the first page (the same ``window``)."""
    return inbox.tasks(actor, scenario.scope, scenario.status, window=PAGE_SIZE + 1)


def run_query(db: Database, clock: DriverClock, scenario: Scenario, actor: Actor, timings: Timings | None) -> None:
    """One inbox page as the API runs it (a read session, ``inbox.inbox_page``); record times.

    Building the Select is timed once more on its own just before (not included in the total):
    ``inbox_page`` builds and runs it in one call.
    """
    with db.session() as session:
        session.execute(text("SELECT 1"))  # the API's session already ran the token lookup
        probe = time.perf_counter()
        session.execute(text("SELECT 1"))
        pinged = time.perf_counter()
        if scenario.proposal is None:
            api_query(actor, scenario)
        clock.reset()
        begin = time.perf_counter()
        if scenario.proposal is not None:
            statement = text(scenario.proposal(actor))
            count = len(session.execute(statement).all()[:PAGE_SIZE])
        else:
            rows, _more = inbox.inbox_page(session, actor, scenario.scope, scenario.status, limit=PAGE_SIZE, offset=0)
            count = len(rows)
        done = time.perf_counter()
        session.rollback()
    if timings is not None:
        timings.total.append((done - begin) * 1000)
        timings.build.append((begin - pinged) * 1000)
        timings.driver.append(clock.ms)
        timings.ping.append((pinged - probe) * 1000)
        timings.rows.append(count)


def measure(db: Database, scenarios: list[Scenario], warmup: int, queries: int) -> dict[str, Timings]:
    """Warm up, then run the scenarios interleaved, each actor in turn."""
    from sqlalchemy import event

    clock = DriverClock()
    event.listen(db.engine, "before_cursor_execute", clock.before)
    event.listen(db.engine, "after_cursor_execute", clock.after)
    results = {s.label: Timings() for s in scenarios}
    try:
        for n in range(warmup + queries):
            for scenario in scenarios:
                timings = results[scenario.label] if n >= warmup else None
                run_query(db, clock, scenario, scenario.actors[n % len(scenario.actors)], timings)
    finally:
        event.remove(db.engine, "before_cursor_execute", clock.before)
        event.remove(db.engine, "after_cursor_execute", clock.after)
    return results


def literal_sql(db: Database, scenario: Scenario, actor: Actor) -> str:
    """The scenario's page query for ``actor`` with its values inlined."""
    if scenario.proposal is not None:
        return scenario.proposal(actor)
    query = api_query(actor, scenario).limit(PAGE_SIZE + 1).offset(0)
    return str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def server_times(db: Database, scenario: Scenario, runs: int) -> tuple[list[float], list[float]]:
    """Planning and execution ms as the server reports them (EXPLAIN ANALYZE, timing off), actors in turn."""
    planning, execution = [], []
    with db.session() as session:
        for n in range(runs):
            sql = literal_sql(db, scenario, scenario.actors[n % len(scenario.actors)])
            plan = session.execute(text(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}")).scalar_one()[0]
            planning.append(plan["Planning Time"])
            execution.append(plan["Execution Time"])
    return planning, execution


def explain(db: Database, scenario: Scenario) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the scenario's query for its first actor, with literal values."""
    with db.session() as session:
        sql = literal_sql(db, scenario, scenario.actors[0])
        return [row[0] for row in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))]


# --------------------------------------------------------------------------- main


def report(results: dict[str, Timings], scenarios: list[Scenario]) -> None:
    """Print p50/p95/p99 per scenario, where the time goes, and whether the target holds."""
    print(f"\n{'scenario':<32} {'queries':>7} {'rows':>4} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7}   {'build p50':>9} {'driver p50':>10} {'driver p95':>10} {'ping p50':>8} {'ping p95':>8}")
    for scenario in scenarios:
        t = results[scenario.label]
        verdict = ("ok" if percentile(t.total, 95) <= TARGET_P95_MS else "MISSED") if scenario.target else "-"
        print(f"{scenario.label:<32} {len(t.total):>7} {round(sum(t.rows) / len(t.rows)):>4} "
              f"{percentile(t.total, 50):>7.2f} {percentile(t.total, 95):>7.2f} {percentile(t.total, 99):>7.2f} "
              f"{max(t.total):>7.2f}   {percentile(t.build, 50):>9.2f} {percentile(t.driver, 50):>10.2f} "
              f"{percentile(t.driver, 95):>10.2f} {percentile(t.ping, 50):>8.2f} {percentile(t.ping, 95):>8.2f}  "
              f"{verdict}")
    print(f"target: p95 <= {TARGET_P95_MS:.0f} ms for the department and mine inboxes. 'build' = inbox.tasks() "
          "building the Select, timed separately just before (inside the total as part of inbox_page); "
          "'driver' = inside psycopg (send, server, receive); the rest is SQLAlchemy "
          "compiling, fetching and TaskRow building; 'ping' = an empty SELECT 1 round trip just before "
          "each query (not included), the host's noise floor")


def report_server(db: Database, scenarios: list[Scenario], runs: int) -> None:
    """Print the server's own planning and execution times per scenario."""
    print(f"\n{'server side (EXPLAIN ANALYZE)':<32} {'runs':>7} {'plan p50':>9} {'exec p50':>9} {'exec p95':>9}")
    for scenario in scenarios:
        count = runs if scenario.target else max(1, runs // 10)
        planning, execution = server_times(db, scenario, count)
        print(f"{scenario.label:<32} {count:>7} {percentile(planning, 50):>9.2f} "
              f"{percentile(execution, 50):>9.2f} {percentile(execution, 95):>9.2f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server; a temporary schema is used")
    parser.add_argument("--tasks", type=int, default=1_000_000, help="human_task rows (1,000,000)")
    parser.add_argument("--active", type=int, default=100_000, help="of which open or claimed (100,000)")
    parser.add_argument("--per-instance", type=int, default=10, help="tasks per process instance (10)")
    parser.add_argument("--claimed-share", type=float, default=0.3, help="share of active tasks claimed (0.3)")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per scenario (1000)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed queries per scenario first (100)")
    parser.add_argument("--server-runs", type=int, default=100,
                        help="EXPLAIN ANALYZE runs per scenario for the server-side times (100)")
    parser.add_argument("--extra-queries", type=int, default=100,
                        help="timed queries of each extra scenario without a target; 0 skips them (100)")
    parser.add_argument("--proposals", action="store_true",
                        help="also time the LATERAL form of the 3-seat department query (engine.inbox merges "
                             "with UNION ALL since 9cbabd7), for comparison")
    parser.add_argument("--extra-sql", action="append", default=[], metavar="SQL",
                        help="run this SQL after the build, before ANALYZE (e.g. a proposed index); repeatable")
    args = parser.parse_args(argv)
    if not 0 < args.active <= args.tasks or args.per_instance < 1 or args.queries < 1:
        parser.error("need 0 < --active <= --tasks, --per-instance >= 1, --queries >= 1")
    return args


def scenarios_for(db: Database) -> list[Scenario]:
    """The two inboxes with a target: the department queue (open) and my claimed tasks."""
    return [
        Scenario("department, open", Scope.DEPARTMENT, TaskStatus.OPEN, load_actors(db, DEPARTMENT_USERS)),
        Scenario("mine, claimed", Scope.MINE, TaskStatus.CLAIMED, load_actors(db, MINE_USERS)),
    ]


MULTI_SEAT_USER = "bench.multi_head"
MULTI_SEATS = [("CGW", "dept_head"), ("ZJW", "dept_head"), ("GHZY", "dept_head")]


def extra_scenarios(db: Database, mine_actors: list[Actor]) -> list[Scenario]:
    """Inboxes the API also serves, without a target: a user with three seats, and the history tab."""
    with db.transaction() as session:
        accounts.create_user(session, MULTI_SEAT_USER, "三部门负责人", password=None, now=BASE, seats=MULTI_SEATS)
    return [
        Scenario("department, open, 3-seat user", Scope.DEPARTMENT, TaskStatus.OPEN,
                 load_actors(db, [MULTI_SEAT_USER]), target=False),
        Scenario("mine, completed (history tab)", Scope.MINE, TaskStatus.COMPLETED, mine_actors, target=False),
    ]


def lateral_department_sql(status: TaskStatus, offset: int = 0) -> Callable[[Actor], str]:
    """The department inbox as one index-ordered top-N per department in a LATERAL join, merged.

    The form proposed before 9cbabd7; engine.inbox now merges the same per-department top-N
    with UNION ALL. Kept to compare the two: each reads at most ``limit + offset + 1`` index
    entries per department instead of sorting every open task of those departments.
    """
    take = PAGE_SIZE + offset + 1

    def sql(actor: Actor) -> str:
        ids = ",".join(str(i) for i in sorted(actor.department_ids)) or "NULL"
        return f"""
SELECT t.id, t.instance_id, t.name, t.element_id, t.status, t.role, department.code AS department_code,
       department.name AS department_name, assignee.username AS assignee, assignee.display_name AS assignee_name,
       process_instance.title AS case_title, process_instance.process_key, t.created_at, t.claimed_at,
       t.completed_at
FROM unnest(ARRAY[{ids}]::int[]) AS d(id)
CROSS JOIN LATERAL (
    SELECT * FROM human_task WHERE human_task.department_id = d.id AND human_task.status = '{status.value}'
    ORDER BY human_task.created_at, human_task.id LIMIT {take}
) AS t
JOIN process_instance ON process_instance.id = t.instance_id
LEFT JOIN department ON department.id = t.department_id
LEFT JOIN user_account AS assignee ON assignee.id = t.assignee_id
ORDER BY t.created_at, t.id LIMIT {PAGE_SIZE + 1} OFFSET {offset}"""

    return sql


def proposal_scenarios(multi_seat: list[Actor]) -> list[Scenario]:
    """The LATERAL form for the 3-seat user, to compare with what engine.inbox runs."""
    return [Scenario("3-seat user, LATERAL form", Scope.DEPARTMENT, TaskStatus.OPEN, multi_seat,
                     target=False, proposal=lateral_department_sql(TaskStatus.OPEN))]


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run ``action`` and say how long it took (on stderr)."""
    begin = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - begin:.1f} s", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> None:
    """Build, analyze, measure, report, explain."""
    args = parse_args(argv)
    with postgres_database(args.postgres_url) as db:
        counts = timed("build + ANALYZE", lambda: build(db, args.tasks, args.active, args.per_instance,
                                                        args.claimed_share, args.extra_sql))
        print("human_task rows by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
        scenarios = scenarios_for(db)
        results = timed("timed queries", lambda: measure(db, scenarios, args.warmup, args.queries))
        if args.extra_queries:
            extras = extra_scenarios(db, scenarios[1].actors)
            if args.proposals:
                extras += proposal_scenarios(extras[0].actors)
            results.update(timed("extra queries", lambda: measure(db, extras, min(args.warmup, 10),
                                                                  args.extra_queries)))
            scenarios += extras
        report(results, scenarios)
        report_server(db, scenarios, args.server_runs)
        for scenario in scenarios:
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {scenario.label}, as {scenario.actors[0].username}:")
            print("\n".join(explain(db, scenario)))


if __name__ == "__main__":
    main()
