"""Engine and session factory for SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
# session.info key: work to run in a fresh transaction after this one rolled back (engine.incidents uses it).
AFTER_ROLLBACK = "after_rollback"
# PostgreSQL SQLSTATEs a writer may simply retry: serialization failure, deadlock.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


def normalise_url(url: str | URL) -> URL:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Database:
    """Owns the SQLAlchemy engine; hands out sessions whose transactions the caller controls."""

    def __init__(self, url: str | URL, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        # A request may hold a read session and a write unit at once: two connections per thread.
        kwargs: dict[str, Any] = {"echo": echo, "pool_size": pool_size, "max_overflow": 2 * pool_size}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        # Writers on SQLite take the write lock when they begin (BEGIN IMMEDIATE), so two
        # writers queue on busy_timeout instead of failing when one upgrades a read lock.
        self._writer_engine = self.engine.execution_options(whistle_write=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self._writer_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite store."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        """True for PostgreSQL."""
        return self.url.get_backend_name() == "postgresql"

    def session(self, *, write: bool = False) -> Session:
        """A new session; ``write=True`` for one that will change data."""
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        After a rollback, what the work left in ``session.info[AFTER_ROLLBACK]`` (callables taking a
        session) runs in a fresh transaction: a failed step's incident outlives the user's action.
        """
        session = self.session(write=write)
        try:
            with session, session.begin():
                yield session
        except BaseException:
            pending = session.info.pop(AFTER_ROLLBACK, None)
            if pending:
                self._after_rollback(pending)
            raise

    def _after_rollback(self, pending: list[Callable[[Session], Any]]) -> None:
        """Write what a rolled-back transaction asked for; a failure here is logged, never raised over the first."""
        try:
            with self.session(write=True) as session, session.begin():
                for write in pending:
                    write(session)
        except Exception:
            log.exception("could not write what a rolled-back transaction left behind")

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout and explicit BEGIN so pysqlite does not defer it."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("whistle_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_retryable(error: BaseException) -> bool:
    """Whether a failed transaction may be run again as a whole (lock contention, deadlock)."""
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        return sqlstate in _RETRYABLE_SQLSTATES
    return False
