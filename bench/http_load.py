"""HTTP load on ``whistle serve`` (gunicorn, 2 workers) over a PostgreSQL inbox of 1,000,000 tasks.

Builds, in a PostgreSQL schema of its own: the schema (``engine.schema.upgrade``), the demo
district (``engine.district``, password ``whistle-demo``), the whistle process and its SLA
policy; then ``--rows`` human_task rows, ``--open`` of them open, with their process_instance
rows, using the set-based builder of ``bench/inbox_latency.py``; then what the pages read
besides: a whistle type per case, an ``instance_department`` row per department taking part,
and the deadline rungs (``task_deadline``) of every open task with a clock, computed with the
real policy and working-time calendars (clocks started over the last ten days, rungs already
due marked fired), so the due badges are real: some running, some overdue. ANALYZE.

Then it starts ``whistle serve --fd N --workers 2`` (threads: the CLI default) on that schema
and runs ``--users`` concurrent closed-loop users (no think time, one keep-alive connection
each) for ``--duration`` seconds per scenario, one scenario after the other:

* ``page``: the department queue page ``GET /tasks?tab=department`` as signed-in staff and
  dispatchers of ten district departments (session cookie from a real sign-in with CSRF token);
* ``api``: ``GET /api/v1/tasks?scope=department&status=open`` with a bearer token per user.

Each scenario starts with ``--warmup`` seconds of the same load, not counted. Reports
requests/s, p50/p95/p99/max latency and errors (any status but 200, a page without task
rows, or a connection error), and CPU seconds per request of the gunicorn processes, of all
``postgres`` processes and of this load generator (from /proc). ``--profile`` afterwards
profiles requests in this process (Flask test client, same database) with cProfile and counts
their SQL statements. The server is stopped and the schema dropped at the end, also on Ctrl-C
(``--keep`` keeps the schema for ``--skip-build --schema NAME``).
"""
from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inbox_latency import DEMO_CITY, DEMO_PASSWORD, PROCESSES, WHISTLE_PACK, build, percentile  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402

from engine import (  # noqa: E402
    accounts,
    definitions,
    organisation_files,  # noqa: E402
    schema,
)
from engine.database import Database  # noqa: E402
from engine.models import Department  # noqa: E402
from escalation import deadlines  # noqa: E402
from escalation.config import Escalation  # noqa: E402
from escalation.policy_store import deploy_policy  # noqa: E402
from web.services import calendars_of, engine_context, wire  # noqa: E402
from web.settings import Settings  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WHISTLE = str(Path(sys.executable).with_name("whistle"))
SCHEMA_PREFIX = "whistle_http_"
PAGE_PATH = "/tasks?tab=department"
API_PATH = "/api/v1/tasks?scope=department&status=open"
# Load users: the staff and the dispatcher of ten district departments (user i is USERS[i % 20]).
DEPARTMENTS = ["CGW", "ZJW", "GHZY", "SJJ", "STHJ", "SWJ", "YLLH", "JTW", "GAFJ", "RSJ"]
USERS = [f"{code}.{role}" for code in DEPARTMENTS for role in ("staff", "dispatcher")]
# Whistle type by case id % 10: mostly enforcement, some of every other kind.
WHISTLE_TYPES = ["emergency", "enforcement", "enforcement", "enforcement", "enforcement", "enforcement",
                 "enforcement", "difficult", "difficult", "joint"]
CLOCK_RULES = ["sign", "arrive", "complete"]  # the `clock` properties of the builder's tasks
CLOCK_SLOTS = 40  # distinct clock starts, task id % 40 picks one
SLOT_STEP = timedelta(hours=6)  # starts 0, 6, 12, ... hours before the build: ten days
TOKEN_LABEL = "http_load"
CLK_TCK = os.sysconf("SC_CLK_TCK")

INSTANCE_DEPARTMENTS_SQL = """
INSERT INTO instance_department (instance_id, department_id)
SELECT DISTINCT instance_id, department_id FROM human_task WHERE department_id IS NOT NULL
UNION
SELECT id, origin_department_id FROM process_instance WHERE origin_department_id IS NOT NULL
"""

WHISTLE_TYPE_SQL = """
UPDATE process_instance
SET case_data = case_data || jsonb_build_object('whistle_type', (CAST(:types AS text[]))[1 + id % 10])
"""

# Each open task with a clock gets the rungs its (calendar, whistle type, rule) would get had
# its clock started at slot (task id % slots); rungs due before the build count as fired on time.
RUNGS_SQL = """
INSERT INTO task_deadline (task_id, instance_id, department_id, policy_id, clock, rule, level, action,
    is_due_level, "limit", calendar, started_at, deadline_at, due_at, fired_at, stopped_at, attempts,
    last_error, missing_years)
SELECT t.id, t.instance_id, t.department_id, :policy_id, r.clock, r.rule, r.level, r.action, r.is_due_level,
       r.lim, r.calendar, r.started_at, r.deadline_at, r.due_at,
       CASE WHEN r.due_at <= CAST(:now AS timestamptz) THEN r.due_at END, NULL, 0, NULL, '[]'::jsonb
FROM human_task t
JOIN process_instance p ON p.id = t.instance_id
JOIN unnest(CAST(:department_ids AS int[]), CAST(:department_calendars AS text[])) AS dc(id, calendar)
  ON dc.id = t.department_id
JOIN unnest(CAST(:calendars AS text[]), CAST(:types AS text[]), CAST(:rules AS text[]), CAST(:slots AS int[]),
            CAST(:clocks AS text[]), CAST(:levels AS int[]), CAST(:actions AS text[]),
            CAST(:due_levels AS boolean[]), CAST(:limits AS text[]), CAST(:started AS timestamptz[]),
            CAST(:deadline AS timestamptz[]), CAST(:due AS timestamptz[]))
     AS r(calendar, whistle_type, rule, slot, clock, level, action, is_due_level, lim, started_at, deadline_at,
          due_at)
  ON r.calendar = dc.calendar AND r.whistle_type = p.case_data ->> 'whistle_type'
 AND r.rule = t.properties ->> 'clock' AND r.slot = t.id % :slot_count
WHERE t.status = 'open'
"""


# --------------------------------------------------------------------------- the database


def schema_url(url: str, name: str) -> str:
    """The URL of ``name``: the server's search_path set at connect time."""
    return f"{url}?options=-csearch_path%3D{name}"


def create_schema(url: str, name: str) -> None:
    """An empty PostgreSQL schema."""
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()


def drop_schema(url: str, name: str) -> None:
    """Drop the schema and everything in it."""
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def production_escalation() -> Escalation:
    """Escalation wired with the shipped calendars, as ``web.services`` builds it."""
    settings = Settings(processes_dir=PROCESSES)
    calendars = calendars_of(settings)
    return wire(engine_context(settings, calendars), calendars)


def prepare(db: Database, at: datetime) -> None:
    """Migrate, seed the demo district, deploy the whistle process and its policy."""
    schema.upgrade(db)
    with db.transaction() as session:
        organisation_files.seed_demo(session, [DEMO_CITY, DEMO_CITY.parent / "rxjb"], password=DEMO_PASSWORD, now=at)
    with db.transaction() as session:
        definitions.deploy(session, engine_context(Settings(processes_dir=PROCESSES)),
                           definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn"), now=at)
    with db.transaction() as session:
        deploy_policy(session, WHISTLE_PACK / "policies" / "whistle.yaml", now=at)


def rung_templates(esc: Escalation, policy_id: int, policy: Any, at: datetime) -> dict[str, list[Any]]:
    """Rungs per (calendar, whistle type, rule, slot), computed by ``escalation.deadlines``, as parallel arrays."""
    columns: dict[str, list[Any]] = {key: [] for key in ("calendars", "types", "rules", "slots", "clocks", "levels",
                                                         "actions", "due_levels", "limits", "started", "deadline",
                                                         "due")}
    stub: Any = SimpleNamespace(id=0, instance_id=0, department_id=None)  # _rungs reads only these
    calendars = {c.name: c for c in [esc.calendars.default, *esc.calendars.by_department.values()]}
    for calendar in calendars.values():
        for kind_of_whistle in sorted(set(WHISTLE_TYPES)):
            case = {"whistle_type": kind_of_whistle, "category": "WFJS"}
            for rule in CLOCK_RULES:
                for slot in range(CLOCK_SLOTS):
                    start = at - slot * SLOT_STEP
                    for kind, limit in policy.clock_limits(rule, case):
                        for row in deadlines._rungs(policy, policy_id, stub, rule, kind, limit, start, calendar):
                            _add_rung(columns, calendar.name, kind_of_whistle, slot, row)
    return columns


def _add_rung(columns: dict[str, list[Any]], calendar: str, kind_of_whistle: str, slot: int,
              row: dict[str, Any]) -> None:
    """Append one computed rung to the parallel arrays."""
    values = {"calendars": calendar, "types": kind_of_whistle, "rules": row["rule"], "slots": slot,
              "clocks": row["clock"], "levels": row["level"], "actions": row["action"],
              "due_levels": row["is_due_level"], "limits": row["limit"], "started": row["started_at"],
              "deadline": row["deadline_at"], "due": row["due_at"]}
    for key, value in values.items():
        columns[key].append(value)


def enrich(db: Database, at: datetime) -> None:
    """Whistle types, instance_department rows and the open tasks' deadline rungs."""
    esc = production_escalation()
    with db.transaction() as session:
        policy_id, policy = esc.policy_for(session, "whistle") or (None, None)
        assert policy_id is not None, "the whistle policy is deployed"
        departments = session.execute(select(Department.id, Department.code)).all()
        connection = session.connection()
        connection.execute(text(WHISTLE_TYPE_SQL), {"types": WHISTLE_TYPES})
        connection.execute(text(INSTANCE_DEPARTMENTS_SQL))
        templates = rung_templates(esc, policy_id, policy, at)
        connection.execute(text(RUNGS_SQL), {
            **templates, "policy_id": policy_id, "now": at, "slot_count": CLOCK_SLOTS,
            "department_ids": [d.id for d in departments],
            "department_calendars": [esc.calendars.for_department(d.code).name for d in departments]})
    vacuum_analyze(db)


def vacuum_analyze(db: Database) -> None:
    """VACUUM (ANALYZE) what the build wrote, outside a transaction."""
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(
            "VACUUM (ANALYZE) process_instance, human_task, instance_department, task_deadline, department, "
            "user_account, membership"))


def counts(db: Database) -> dict[str, int]:
    """Row counts of what the pages read."""
    queries = {
        "human_task": "SELECT count(*) FROM human_task",
        "open tasks": "SELECT count(*) FROM human_task WHERE status = 'open'",
        "process_instance": "SELECT count(*) FROM process_instance",
        "instance_department": "SELECT count(*) FROM instance_department",
        "task_deadline": "SELECT count(*) FROM task_deadline",
        "open tasks of the load users' departments": (
            "SELECT count(*) FROM human_task JOIN department ON department.id = human_task.department_id "
            f"WHERE status = 'open' AND department.code IN ({', '.join(repr(c) for c in DEPARTMENTS)})"),
    }
    with db.session() as session:
        return {label: session.execute(text(sql)).scalar_one() for label, sql in queries.items()}


def issue_tokens(db: Database, usernames: list[str], at: datetime) -> dict[str, str]:
    """A fresh API token per user (older tokens of this benchmark removed)."""
    found: dict[str, str] = {}
    with db.transaction() as session:
        session.execute(text("DELETE FROM api_token WHERE label = :label"), {"label": TOKEN_LABEL})
        for name in sorted(set(usernames)):
            found[name] = accounts.issue_token(session, accounts.user_by_name(session, name), label=TOKEN_LABEL,
                                               now=at)
    return found


# --------------------------------------------------------------------------- the server


class Server:
    """``whistle serve --fd N --workers 2`` on a socket this process bound, in a session of its own."""

    def __init__(self, env: dict[str, str], log: Path, workers: int, threads: int | None) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(1024)
        self.port = int(self._socket.getsockname()[1])
        self._log = log.open("w")
        fd = self._socket.fileno()
        # A session of its own: Ctrl-C reaches this process only, which then stops the server in order.
        command = [WHISTLE, "serve", "--fd", str(fd), "--workers", str(workers)]
        command += ["--threads", str(threads)] if threads is not None else []
        self.process = subprocess.Popen(command,
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(fd,),
                                        start_new_session=True)
        try:
            status, _body, _headers = fetch(self.port, "GET", "/api/v1/health", {})
            if status != 200:
                raise RuntimeError(f"server unhealthy: {status}; see {log}")
        except BaseException:
            self.stop()
            raise

    def pids(self) -> set[int]:
        """The gunicorn master and its workers."""
        return {self.process.pid} | {p.pid for p in proc_stats().values() if p.ppid == self.process.pid}

    def stop(self) -> None:
        """Terminate the server (gunicorn stops gracefully on SIGTERM) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._socket.close()


def server_env(database_url: str, instance: Path) -> dict[str, str]:
    """The environment of ``whistle serve`` against the benchmark schema."""
    env = dict(os.environ)
    env.update(WHISTLE_DATABASE_URL=database_url, WHISTLE_INSTANCE_PATH=str(instance),
               WHISTLE_SECRET_KEY=secrets.token_hex(16))
    return env


def fetch(port: int, method: str, path: str, headers: dict[str, str],
          body: bytes | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
    """One request on a fresh connection (setup only, not timed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response.headers
    finally:
        connection.close()


def session_cookie(headers: http.client.HTTPMessage) -> str:
    """The ``session`` cookie a response sets."""
    for value in headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie(value)
        if "session" in cookie:
            return f"session={cookie['session'].value}"
    raise RuntimeError("no session cookie in the response")


def sign_in(port: int, username: str) -> str:
    """Sign in through the login form (CSRF token included); the session cookie header."""
    status, page, headers = fetch(port, "GET", "/login", {})
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or token is None:
        raise RuntimeError(f"/login answered {status} without a CSRF token")
    form = urlencode({"csrf_token": token.group(1).decode(), "next": "", "username": username,
                      "password": DEMO_PASSWORD}).encode()
    status, _body, signed = fetch(port, "POST", "/login", {
        "Cookie": session_cookie(headers), "Content-Type": "application/x-www-form-urlencoded"}, form)
    if status != 302:
        raise RuntimeError(f"signing in as {username} answered {status}")
    return session_cookie(signed)


# --------------------------------------------------------------------------- the load


@dataclass(frozen=True)
class Scenario:
    """One request shape: a path, per-user headers, and what a good body looks like."""

    name: str
    path: str
    headers: list[dict[str, str]]  # one per user
    good: Callable[[bytes], bool]


@dataclass
class Outcome:
    """What the users of one scenario saw in the measured window."""

    latencies: list[float] = field(default_factory=list)  # ms, successful requests
    user_medians: list[float] = field(default_factory=list)  # each user's p50, ms
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process group

    @property
    def requests(self) -> int:
        """Requests answered well."""
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        """Requests that failed in any way."""
        return sum(self.errors.values())

    def error(self, kind: str) -> None:
        """Count one failure."""
        self.errors[kind] = self.errors.get(kind, 0) + 1


def page_good(body: bytes) -> bool:
    """A department queue page with task rows on it."""
    return b'class="task-row' in body


def api_good(body: bytes) -> bool:
    """A task list with items in it."""
    return body.startswith(b'{"items":[{')


def user_loop(port: int, scenario: Scenario, user: int, stop: threading.Event, record: threading.Event,
              outcome: Outcome, lock: threading.Lock) -> None:
    """One closed-loop user: request, read, check, repeat; record only while ``record`` is set."""
    headers = {**scenario.headers[user], "Connection": "keep-alive"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    errors: list[str] = []
    while not stop.is_set():
        counting = record.is_set()
        begin = time.perf_counter()
        try:
            connection.request("GET", scenario.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            if counting:
                errors.append(f"connection: {type(error).__name__}")
            time.sleep(0.1)  # no busy loop against a server that is gone
            continue
        ms = (time.perf_counter() - begin) * 1000
        if not counting:
            continue
        if status != 200:
            errors.append(f"HTTP {status}")
        elif not scenario.good(body):
            errors.append("200 without task rows")
        else:
            latencies.append(ms)
    connection.close()
    with lock:
        outcome.latencies += latencies
        if latencies:
            outcome.user_medians.append(percentile(latencies, 50))
        for kind in errors:
            outcome.error(kind)


def run_scenario(server: Server, scenario: Scenario, users: int, warmup: float, duration: float) -> Outcome:
    """Warm up, then measure ``duration`` seconds of ``users`` closed-loop users."""
    outcome, lock = Outcome(), threading.Lock()
    stop, record = threading.Event(), threading.Event()
    threads = [threading.Thread(target=user_loop, args=(server.port, scenario, n, stop, record, outcome, lock),
                                daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(warmup)
        before = cpu_snapshot(server)
        record.set()
        begin = time.perf_counter()
        time.sleep(duration)
        record.clear()
        outcome.elapsed = time.perf_counter() - begin
        outcome.cpu = cpu_delta(before, cpu_snapshot(server))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)
    return outcome


# --------------------------------------------------------------------------- CPU accounting


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/PID/stat used here."""

    pid: int
    comm: str
    ppid: int
    ticks: int  # utime + stime


def proc_stats() -> dict[int, ProcStat]:
    """Every readable process."""
    found: dict[int, ProcStat] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        found[int(entry)] = ProcStat(int(entry), comm, int(rest[1]), int(rest[11]) + int(rest[12]))
    return found


def machine_ticks() -> tuple[int, int]:
    """All and idle (idle + iowait) CPU ticks since boot, every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values[:8]), values[3] + values[4]


def cpu_snapshot(server: Server) -> dict[str, Any]:
    """Process CPU ticks now, grouped: the server's processes, postgres, this process, and the machine."""
    stats = proc_stats()
    server_pids = server.pids()
    total, idle = machine_ticks()
    return {
        "server": {p.pid: p.ticks for p in stats.values() if p.pid in server_pids},
        "postgres": {p.pid: p.ticks for p in stats.values() if p.comm == "postgres"},
        "load generator": {os.getpid(): stats[os.getpid()].ticks},
        "machine": total - idle,
    }


def cpu_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds spent between two snapshots per group (processes present in both)."""
    found = {group: sum(ticks - before[group].get(pid, ticks) for pid, ticks in after[group].items()) / CLK_TCK
             for group in ("server", "postgres", "load generator")}
    found["machine busy"] = (after["machine"] - before["machine"]) / CLK_TCK
    found["everything else"] = found["machine busy"] - sum(found[g] for g in ("server", "postgres",
                                                                               "load generator"))
    return found


# --------------------------------------------------------------------------- profile of one request

# What a request calls, timed by --profile (inclusive wall time; patched in this process only).
# (module or module:Class, attribute, label); indented labels run inside the line above.
BREAKDOWN: dict[str, list[tuple[str, str, str]]] = {
    "page": [
        ("web.auth.session", "load_actor", "load_actor (before_request: user + memberships)"),
        ("engine.inbox", "page_rows", "inbox.page_rows (the 20 rows)"),
        ("escalation.supervision", "clocks_for_tasks", "supervision.clocks_for_tasks (their rungs, ORM)"),
        ("engine.catalog", "departments", "catalog.departments (streets, department names)"),
        ("engine.catalog", "categories", "catalog.categories"),
        ("web.inbox.queue_views", "render_template", "render_template inbox/index.html"),
        ("web.deadlines", "most_urgent", "  due badges: most_urgent (working-time windows)"),
        ("web.deadlines", "badge", "  due badges: badge (HTML)"),
    ],
    "api": [
        ("engine.accounts", "user_for_token", "accounts.user_for_token (before_request)"),
        ("web.api.auth", "actor_of", "actor_of (memberships, selectin)"),
        ("engine.inbox", "inbox_page", "inbox.inbox_page (the 50 rows)"),
        ("engine.inbox", "tasks", "  inbox.tasks (building the Select)"),
        ("web.api.payloads", "task_row", "payloads.task_row x 50"),
        ("web.api.tasks", "jsonify", "jsonify"),
    ],
}


class Stopwatch:
    """Inclusive wall time and calls per label, and SQL statements by their first words."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.statements: dict[str, list[float]] = {}
        self._begin = threading.local()

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` wrapped so its calls are added to ``label``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - begin
                self.calls[label] = self.calls.get(label, 0) + 1

        return wrapper

    def before(self, *_: Any) -> None:
        """SQLAlchemy ``before_cursor_execute`` listener."""
        self._begin.at = time.perf_counter()

    def after(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        """SQLAlchemy ``after_cursor_execute`` listener: driver time by statement shape."""
        key = " ".join(statement.split())[:90]
        self.statements.setdefault(key, []).append((time.perf_counter() - self._begin.at) * 1000)


@contextmanager
def patched(watch: Stopwatch, targets: list[tuple[str, str, str]]) -> Iterator[None]:
    """Wrap every target with ``watch`` for the duration of the block."""
    import importlib

    originals = []
    for path, name, label in targets:
        module, _, attribute = path.partition(":")
        owner = importlib.import_module(module)
        owner = getattr(owner, attribute) if attribute else owner
        originals.append((owner, name, getattr(owner, name)))
        setattr(owner, name, watch.timed(label, getattr(owner, name)))
    try:
        yield
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def profile_requests(database_url: str, username: str, token: str, requests: int) -> None:
    """Time, break down and cProfile ``requests`` requests of each scenario in this process (Flask test client)."""
    from web.app import create_app

    with tempfile.TemporaryDirectory(prefix="whistle_http_profile_") as instance:
        app = create_app(Settings(database_url=database_url, instance_path=Path(instance), secret_key="profile"))
        try:
            profile_app(app, username, token, requests)
        finally:
            app.extensions["whistle"].db.dispose()


def profile_app(app: Any, username: str, token: str, requests: int) -> None:
    """Sign in with the test client, then time, break down and profile each scenario."""
    db = app.extensions["whistle"].db
    client = app.test_client()
    page = client.get("/login").get_data()
    token_match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert token_match is not None
    signed = client.post("/login", data={"csrf_token": token_match.group(1).decode(), "username": username,
                                         "password": DEMO_PASSWORD})
    assert signed.status_code == 302, signed.status_code
    cases = {"page": (PAGE_PATH, {}), "api": (API_PATH, {"Authorization": f"Bearer {token}"})}
    for name, (path, headers) in cases.items():
        timed_requests(client, path, headers, 10)  # warm the statement cache, templates, the calendar cache
        plain = timed_requests(client, path, headers, requests)
        print(f"\n--- {name}: GET {path} as {username}, {requests} requests in-process (Flask test client: "
              f"no gunicorn, no HTTP, one at a time) ---")
        print(f"wall time per request without instrumentation: p50 {percentile(plain, 50):.1f} ms, "
              f"p95 {percentile(plain, 95):.1f} ms")
        breakdown(client, db, path, headers, requests, BREAKDOWN[name])
        profiler = cProfile.Profile()
        profiler.enable()
        timed_requests(client, path, headers, requests)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(20)


def breakdown(client: Any, db: Database, path: str, headers: dict[str, str], requests: int,
              targets: list[tuple[str, str, str]]) -> None:
    """Print ms per request of each target and of each SQL statement (inclusive, lines overlap)."""
    watch = Stopwatch()
    event.listen(db.engine, "before_cursor_execute", watch.before)
    event.listen(db.engine, "after_cursor_execute", watch.after)
    try:
        with patched(watch, targets):
            total = sum(timed_requests(client, path, headers, requests))
    finally:
        event.remove(db.engine, "before_cursor_execute", watch.before)
        event.remove(db.engine, "after_cursor_execute", watch.after)
    print(f"{'whole request (instrumented)':<72} {total / requests:>7.2f} ms")
    for _path, _name, label in targets:
        spent, calls = watch.seconds.get(label, 0.0), watch.calls.get(label, 0)
        print(f"{label:<72} {1000 * spent / requests:>7.2f} ms  ({calls / requests:.0f} calls)")
    statements = sum(len(v) for v in watch.statements.values())
    driver = sum(sum(v) for v in watch.statements.values())
    print(f"{f'SQL: {statements / requests:.0f} statements, time inside the driver':<72} "
          f"{driver / requests:>7.2f} ms")
    for key, times in watch.statements.items():
        print(f"  {key:<90} p50 {percentile(times, 50):>5.2f} ms  ({len(times) / requests:.0f} per request)")


def timed_requests(client: Any, path: str, headers: dict[str, str], requests: int) -> list[float]:
    """Milliseconds per request of ``requests`` GETs, each checked for a 200."""
    found = []
    for _ in range(requests):
        begin = time.perf_counter()
        assert client.get(path, headers=headers).status_code == 200
        found.append((time.perf_counter() - begin) * 1000)
    return found


# --------------------------------------------------------------------------- report


def describe(server: Server, scenarios: list[Scenario]) -> None:
    """What one response of each scenario holds, for the first user (checked, not timed)."""
    for scenario in scenarios:
        status, body, _headers = fetch(server.port, "GET", scenario.path, scenario.headers[0])
        if status != 200 or not scenario.good(body):
            raise RuntimeError(f"{scenario.name}: {status}, {body[:300]!r}")
        if scenario.name == "page":
            detail = page_summary(body)
        else:
            detail = f"{len(json.loads(body)['items'])} items"
        print(f"{scenario.name}: GET {scenario.path} as {USERS[0]}: 200, {len(body):,} bytes, {detail}")


def page_summary(body: bytes) -> str:
    """Rows, due badges by ladder level, overdue badges and claim buttons on an inbox page."""
    rows = body.count(b'class="task-row')
    levels = re.findall(rb'class="badge level-(\d)"', body)
    by_level = ", ".join(f"level {level.decode()}: {levels.count(level)}" for level in sorted(set(levels)))
    overdue = body.count(b'data-countdown="[]"')
    claims = body.count(b"primary claim")
    return f"{rows} task rows, {len(levels)} due badges ({by_level}; {overdue} overdue), {claims} claim buttons"


def report(outcomes: dict[str, list[Outcome]], users: int) -> None:
    """Requests/s, latency percentiles, errors and CPU per request, per scenario and round."""
    print(f"\n{'scenario':<8} {'round':>5} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'errors':>6}   CPU ms/request: {'server':>6} {'postgres':>8} "
          f"{'loadgen':>7} {'other':>6}  busy cores")
    for name, rounds in outcomes.items():
        for n, o in enumerate(rounds, 1):
            per = {k: v * 1000 / max(1, o.requests) for k, v in o.cpu.items()}
            print(f"{name:<8} {n:>5} {o.requests:>8} {o.requests / o.elapsed:>7.1f} "
                  f"{_p(o, 50):>7.1f} {_p(o, 95):>7.1f} {_p(o, 99):>7.1f} {_p(o, 100):>7.1f} "
                  f"{o.error_count:>6}   {'':>15} {per['server']:>6.1f} {per['postgres']:>8.1f} "
                  f"{per['load generator']:>7.1f} {per['everything else']:>6.1f}  "
                  f"{o.cpu['machine busy'] / o.elapsed:>5.2f}")
            if o.user_medians:
                print(f"         users' own p50: {min(o.user_medians):.0f}-{max(o.user_medians):.0f} ms")
            for kind, count in sorted(o.errors.items()):
                print(f"         errors: {count} x {kind}")
    print(f"{users} closed-loop users, no think time; latency = request sent to body read, successful "
          "requests; errors = status not 200, a 200 without task rows, connection errors. CPU from /proc: "
          "'server' = the gunicorn master and workers, 'postgres' = every postgres process on the host "
          "(other sessions' included), 'loadgen' = this process, 'other' = the rest of the machine; "
          "'busy cores' = machine CPU seconds per second (2 cores).")


def _p(outcome: Outcome, p: float) -> float:
    """A latency percentile, or NaN without successful requests."""
    return percentile(outcome.latencies, p) if outcome.latencies else float("nan")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds per scenario (60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each measurement (5)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (20)")
    parser.add_argument("--rounds", type=int, default=1, help="page then api, this many times (1)")
    parser.add_argument("--scenarios", default="page,api", help="which scenarios, in order (page,api)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: the CLI's)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server; a schema of its own is used")
    parser.add_argument("--rows", type=int, default=1_000_000, help="human_task rows (1,000,000)")
    parser.add_argument("--open", type=int, default=None, help="of which open (default: a tenth of --rows)")
    parser.add_argument("--schema", default=None, help="schema name (default: a new whistle_http_<random>)")
    parser.add_argument("--skip-build", action="store_true", help="reuse --schema as a previous --keep run left it")
    parser.add_argument("--keep", action="store_true", help="do not drop the schema at the end")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, cProfile N requests of each scenario in-process (0: no)")
    args = parser.parse_args(argv)
    args.open = args.open if args.open is not None else args.rows // 10
    if args.skip_build and not args.schema:
        parser.error("--skip-build needs --schema NAME (a schema kept with --keep)")
    if not 0 < args.open <= args.rows or args.users < 1 or args.duration <= 0:
        parser.error("need 0 < --open <= --rows, --users >= 1, --duration > 0")
    unknown = set(args.scenarios.split(",")) - {"page", "api"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run ``action`` and say how long it took (on stderr)."""
    begin = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - begin:.1f} s", file=sys.stderr)
    return result


def build_all(db: Database, args: argparse.Namespace, at: datetime) -> None:
    """Prepare the schema, build the tasks with inbox_latency's builder, add what the pages read."""
    timed("migrate, seed, deploy", lambda: prepare(db, at))
    timed("tasks (inbox_latency.build)", lambda: build(db, args.rows, args.open, 10, 0.0, []))
    timed("types, instance departments, rungs, VACUUM ANALYZE", lambda: enrich(db, at))


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so cleanup runs either way."""
    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def scenarios_for(port: int, names: list[str], users: int, tokens: dict[str, str]) -> list[Scenario]:
    """The requested scenarios; pages sign every user in first."""
    accounts_used = [USERS[n % len(USERS)] for n in range(users)]
    found = []
    for name in names:
        if name == "page":
            cookies = [sign_in(port, user) for user in accounts_used]
            found.append(Scenario("page", PAGE_PATH, [{"Cookie": c} for c in cookies], page_good))
        else:
            found.append(Scenario("api", API_PATH, [{"Authorization": f"Bearer {tokens[u]}"}
                                                     for u in accounts_used], api_good))
    return found


def run(args: argparse.Namespace, url: str, db: Database) -> dict[str, list[Outcome]]:
    """Start the server, sign in, run the scenarios round by round, stop the server."""
    tokens = issue_tokens(db, USERS, datetime.now(UTC))
    db.dispose()
    instance = Path(tempfile.mkdtemp(prefix="whistle_http_"))
    server = Server(server_env(url, instance), instance / "server.log", args.workers, args.threads)
    outcomes: dict[str, list[Outcome]] | None = None
    try:
        print(f"whistle serve: pid {server.process.pid}, port {server.port}, workers {args.workers}, "
              f"threads {args.threads or 'the CLI default'}, log {instance / 'server.log'}", file=sys.stderr)
        scenarios = scenarios_for(server.port, args.scenarios.split(","), args.users, tokens)
        describe(server, scenarios)
        outcomes = {s.name: [] for s in scenarios}
        for n in range(args.rounds):
            for scenario in scenarios:
                print(f"round {n + 1}: {scenario.name}, {args.users} users, {args.warmup:.0f} s warm-up + "
                      f"{args.duration:.0f} s", file=sys.stderr)
                outcomes[scenario.name].append(run_scenario(server, scenario, args.users, args.warmup,
                                                            args.duration))
        return outcomes
    finally:
        server.stop()
        if outcomes_clean(outcomes):
            shutil.rmtree(instance, ignore_errors=True)
        else:
            print(f"server log kept: {instance / 'server.log'}", file=sys.stderr)


def outcomes_clean(outcomes: dict[str, list[Outcome]] | None) -> bool:
    """Whether every round ran without errors (the server log is then not worth keeping)."""
    return outcomes is not None and not any(o.error_count for rounds in outcomes.values() for o in rounds)


def main(argv: list[str] | None = None) -> None:
    """Build (unless skipped), load, report, clean up."""
    args = parse_args(argv)
    name = args.schema or f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:10]}"
    url = schema_url(args.postgres_url, name)
    at = datetime.now(UTC).replace(microsecond=0)
    created = False
    with interruptible():
        try:
            if not args.skip_build:
                create_schema(args.postgres_url, name)
                created = True
            db = Database(url)
            if not args.skip_build:
                build_all(db, args, at)
            print(f"schema {name}: " + ", ".join(f"{k} {v:,}" for k, v in counts(db).items()))
            outcomes = run(args, url, db)
            report(outcomes, args.users)
            if args.profile:
                tokens = issue_tokens(db, [USERS[0]], at)
                db.dispose()
                profile_requests(url, USERS[0], tokens[USERS[0]], args.profile)
        except KeyboardInterrupt:
            print("interrupted: stopping the server, dropping the schema", file=sys.stderr)
        finally:
            if (created or args.skip_build) and not args.keep:
                drop_schema(args.postgres_url, name)
                print(f"schema {name} dropped", file=sys.stderr)
            elif args.keep:
                print(f"schema {name} kept (--skip-build --schema {name} reuses it)", file=sys.stderr)


if __name__ == "__main__":
    main()
