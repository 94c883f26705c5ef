"""The composition root: builds the database, the engine context and wires escalation into it."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from engine import consultations, drafts, packs, public_channels
from engine.clock import Clock, FileClock, SystemClock
from engine.consultations import Consultation
from engine.context import EngineContext
from engine.database import Database
from engine.errors import DefinitionInvalid
from engine.expressions import Evaluator
from engine.learned_models import LearnedModels
from engine.public_channels import PublicChannel
from escalation import listeners
from escalation.calendars import Calendars, merge_calendars
from escalation.config import Escalation
from escalation.timer_functions import timer_functions
from web.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a request handler or a command needs, built once per process."""

    settings: Settings
    db: Database
    ctx: EngineContext
    clock: Clock
    escalation: Escalation
    # The public site's channels: each pack's public.yaml (engine/public_channels.py), read once.
    _public: list[PublicChannel] | None = field(default=None, repr=False)
    _consultations: list[Consultation] | None = field(default=None, repr=False)

    @property
    def public(self) -> list[PublicChannel]:
        """The public site's channels (DefinitionInvalid, located, when a public.yaml is broken)."""
        if self._public is None:
            self._public = public_channels.channels(self.settings.processes_dir)
        return self._public

    @property
    def consultations(self) -> list[Consultation]:
        """The packs' 议事协商 (consultation.yaml), read once."""
        if self._consultations is None:
            self._consultations = consultations.consultations(self.settings.processes_dir)
        return self._consultations


def calendars_of(settings: Settings) -> Calendars:
    """The working calendars of every pack (``processes/<pack>/calendars``); DefinitionInvalid lists their problems."""
    folders, problems = packs.calendar_folders(settings.processes_dir)
    calendars, calendar_problems = merge_calendars(folders)
    if problems or calendar_problems:
        raise DefinitionInvalid(problems + calendar_problems)
    return calendars


def engine_context(settings: Settings, calendars: Calendars | None = None) -> EngineContext:
    """The engine context with working-time timer functions (no database touched)."""
    calendars = calendars or calendars_of(settings)
    evaluator = Evaluator(time_limit=settings.expression_time_limit_ms / 1000,
                          max_instances=settings.max_multi_instance).with_functions(**timer_functions(calendars))
    ctx = EngineContext(evaluator=evaluator, allow_script_tasks=settings.allow_script_tasks,
                        duplicate_days=settings.duplicate_days, learned=LearnedModels(enabled=settings.learning))
    drafts.register(ctx.listeners)  # the engine's own listener: a task that ends takes its drafts with it
    return ctx


def wire(ctx: EngineContext, calendars: Calendars) -> Escalation:
    """Escalation for ``ctx``: deadlines armed and stopped by the engine's hooks."""
    escalation = Escalation(calendars=calendars)
    listeners.register(ctx.listeners, escalation)
    return escalation


def build_services(settings: Settings) -> Services:
    """Wire the parts together for ``settings``."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    calendars = calendars_of(settings)
    db = Database(settings.resolved_database_url)
    ctx = engine_context(settings, calendars)
    clock: Clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    services = Services(settings=settings, db=db, ctx=ctx, clock=clock, escalation=wire(ctx, calendars))
    _ = services.public, services.consultations  # a broken file stops the start, located, as a calendar does
    return services
