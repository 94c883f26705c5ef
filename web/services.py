"""The composition root: builds the database, the engine context and wires the listeners."""
from __future__ import annotations

from dataclasses import dataclass

from engine.clock import Clock, FileClock, SystemClock
from engine.context import EngineContext
from engine.database import Database
from web.settings import Settings


@dataclass
class Services:
    """Everything a request handler or a command needs, built once per process."""

    settings: Settings
    db: Database
    ctx: EngineContext
    clock: Clock


def engine_context(settings: Settings) -> EngineContext:
    """The engine context (evaluator, listeners) without touching a database."""
    return EngineContext(allow_script_tasks=settings.allow_script_tasks)


def build_services(settings: Settings) -> Services:
    """Wire the parts together for ``settings``."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    ctx = engine_context(settings)
    clock: Clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    return Services(settings=settings, db=db, ctx=ctx, clock=clock)
