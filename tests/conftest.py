"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets one migrated database per test session with the demo district seeded
once; tables that cases write to are emptied before every test.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, text

from engine import accounts, organisation_files, schema
from engine.context import EngineContext
from engine.database import Database
from engine.models import User
from escalation import models as escalation_models  # noqa: F401 - registers the escalation tables
from escalation.calendars import Calendars
from escalation.config import Escalation
from tests.databases import create_schema, drop_schema
from tests.support import PROCESSES, SHANGHAI, FakeClock, Flow
from web.services import calendars_of, engine_context, wire
from web.settings import Settings

DEMO_PASSWORD = "whistle-demo"
# The packs whose organisation and demo logins every test database holds.
DEMO_PACKS = [PROCESSES / "demo-city", PROCESSES / "rxjb", PROCESSES / "ywtb", PROCESSES / "yishi"]
# Emptied before each test; organisation tables keep the seeded demo district.
CASE_TABLES = ["attachment", "notification", "escalation_record", "extension_request", "task_deadline",
               "sla_policy", "task_event", "human_task", "instance_department", "process_instance",
               "process_definition", "user_session", "login_throttle", "login_event", "idempotency_record",
               "learned_model", "public_demand", "consultation_vote", "consultation_comment", "phone_check"]
BACKENDS = ["sqlite", "postgresql"]


class _Backends:
    """Creates each backend's database on first use and drops it at the end of the session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.databases: dict[str, Database] = {}
        self.schema_name: str | None = None

    def get(self, backend: str) -> Database:
        if backend not in self.databases:
            db = self._create(backend)
            schema.upgrade(db)
            with db.transaction() as session:
                organisation_files.seed_demo(session, DEMO_PACKS, password=DEMO_PASSWORD,
                                             now=datetime(2026, 1, 1, tzinfo=SHANGHAI))
            self.databases[backend] = db
        return self.databases[backend]

    def url(self, backend: str) -> str:
        return str(self.get(backend).url.render_as_string(hide_password=False))

    def _create(self, backend: str) -> Database:
        if backend == "sqlite":
            return Database(f"sqlite:///{self.tmp / 'whistle-test.sqlite3'}")
        self.schema_name, url = create_schema("whistle_t")
        return Database(url, pool_size=20)

    def close(self) -> None:
        for db in self.databases.values():
            db.dispose()
        if self.schema_name is not None:
            drop_schema(self.schema_name)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Backends]:
    """Both databases, created lazily."""
    found = _Backends(tmp_path_factory.mktemp("db"))
    yield found
    found.close()


# The id sequences of CASE_TABLES in this schema, restarted so that every test numbers from 1 again.
_RESTART_SEQUENCES = text(
    "SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(CAST(:tables AS text[])) "
    "AND s.relnamespace = to_regnamespace(current_schema())::oid")


def empty_case_tables(db: Database) -> None:
    """Remove every case, task, event and definition; keep the organisation.

    Plain DELETEs, children first, on both backends: on PostgreSQL a TRUNCATE of these twenty small
    tables costs about 0.1 s (it rewrites each table), a DELETE and a sequence restart under 0.01 s,
    and every test on PostgreSQL pays it.
    """
    with db.transaction() as session:
        for table in CASE_TABLES:
            session.execute(text(f"DELETE FROM {table}"))
        if db.is_postgres:
            session.execute(_RESTART_SEQUENCES, {"tables": CASE_TABLES})


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, backends: _Backends) -> Database:
    """A seeded database with no cases, on each backend in turn."""
    found = backends.get(request.param)
    empty_case_tables(found)
    return found


@pytest.fixture
def postgres(backends: _Backends) -> Database:
    """The PostgreSQL database only (for tests of row locking under real concurrency)."""
    found = backends.get("postgresql")
    empty_case_tables(found)
    return found


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at Monday 2026-09-28 09:00 Beijing time until a test moves it."""
    return FakeClock(datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def calendars() -> Calendars:
    """The working calendars shipped in processes/calendars."""
    return calendars_of(Settings(processes_dir=PROCESSES))


@pytest.fixture
def ctx(calendars: Calendars) -> EngineContext:
    """A fresh engine context wired like production (its caches must not outlive the emptied tables).

    Without the suspected-duplicate warning: most tests blow the same whistle again and again
    (tests/web/test_duplicates.py turns it on).
    """
    return engine_context(Settings(processes_dir=PROCESSES, duplicate_days=0), calendars)


@pytest.fixture
def esc(ctx: EngineContext, calendars: Calendars) -> Escalation:
    """Escalation wired into ``ctx``: deadlines are armed by the engine's hooks."""
    return wire(ctx, calendars)


@pytest.fixture
def flow(db: Database, ctx: EngineContext, esc: Escalation, clock: FakeClock) -> Flow:
    """Drives processes as users would (with escalation wired in, as in production)."""
    return Flow(db, ctx, clock)


@pytest.fixture
def make_user(db: Database, clock: FakeClock) -> Iterator[Callable[..., None]]:
    """``make_user(name, display, seats)``: a user for this test only (removed afterwards with its traces)."""
    created: list[str] = []

    def make(username: str, display_name: str, seats: list[tuple[str, str]]) -> None:
        with db.transaction() as session:
            accounts.create_user(session, username, display_name, password=None, now=clock.now(), seats=seats)
        created.append(username)

    yield make
    if created:
        empty_case_tables(db)
        with db.transaction() as session:
            session.execute(delete(User).where(User.username.in_(created)))
