"""The sweep: fire due BPMN timers and due ladder rungs, each exactly once, in batches; find stuck cases.

Each batch is one transaction. On PostgreSQL the due rows are taken with
``FOR UPDATE SKIP LOCKED``, so any number of workers can sweep at once without taking the
same row; on SQLite the writer lock serialises sweeps. Every item runs in a savepoint: a
broken one is rolled back, logged and put aside, and the batch goes on. Effects and the
"fired" mark commit together, so a worker killed mid-batch leaves nothing half done.

What it cannot do becomes an incident (engine.incidents), once, not a retry every few minutes:
a case whose timers fail, a rung abandoned after its attempts, and, every STUCK_SCAN_EVERY, a
running case with no task, timer or incident whose workflow waits for nothing.
"""
from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit, incidents, instances
from engine.context import EngineContext
from engine.database import Database
from engine.errors import ProcessFailed
from engine.models import HumanTask, InstanceStatus, ProcessInstance
from escalation import ladder
from escalation.config import Escalation
from escalation.models import TaskDeadline

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_ATTEMPTS = ladder.MAX_ATTEMPTS
TIMER_RETRY = timedelta(minutes=5)  # a timer the workflow still calls due after firing waits this long
STUCK_SCAN_EVERY = timedelta(minutes=10)  # loading candidates' workflows is not free: not every sweep
# Per engine context (one per process in production, one per test): when its last stuck scan ran.
_last_stuck_scan: dict[int, tuple[weakref.ref[EngineContext], datetime]] = {}


@dataclass
class SweepReport:
    """What one sweep did."""

    timers: int = 0
    deadlines: int = 0
    failed: int = 0
    incidents: int = 0  # incidents opened (not those counted once more)
    lateness: list[float] = field(default_factory=list)  # seconds from due to fired, per rung
    busy: int = 0  # rungs left because another worker held their twin (fired by a later batch)

    def __str__(self) -> str:
        return (f"{self.timers} timer(s), {self.deadlines} deadline rung(s) fired, {self.failed} failed, "
                f"{self.incidents} incident(s) opened")


def sweep(db: Database, ctx: EngineContext, esc: Escalation, now: datetime, *,
          batch_size: int = BATCH_SIZE, max_batches: int = 50) -> SweepReport:
    """Fire everything due at ``now``; returns counts (the scheduler calls this every few seconds)."""
    report = SweepReport()
    for _ in range(max_batches):
        with db.transaction() as session:
            done = _timer_batch(session, ctx, now, batch_size, report)
        if done:
            log.info("committed a batch of %d due case(s)", done)
        if done < batch_size:
            break
    for _ in range(max_batches):
        busy = report.busy
        with db.transaction() as session:
            done = _deadline_batch(session, ctx, esc, now, batch_size, report)
        if done:
            log.info("committed a batch of %d due deadline rung(s)", done)
        if done < batch_size and report.busy == busy:  # a short batch, and none left for a twin held elsewhere
            break
    if _stuck_scan_due(ctx, now):
        with db.transaction() as session:
            _stuck_scan(session, ctx, now, batch_size, report)
    return report


def _stuck_scan_due(ctx: EngineContext, now: datetime) -> bool:
    """Whether this context's last stuck scan is at least STUCK_SCAN_EVERY ago (the sweep runs every few seconds)."""
    key = id(ctx)
    last = _last_stuck_scan.get(key)
    if last is not None and last[0]() is ctx and last[1] <= now < last[1] + STUCK_SCAN_EVERY:
        return False
    _last_stuck_scan[key] = (weakref.ref(ctx), now)
    return True


def _timer_batch(session: Session, ctx: EngineContext, now: datetime, size: int, report: SweepReport) -> int:
    ids = list(session.execute(
        select(ProcessInstance.id)
        # Strictly before now: SpiffWorkflow fires a timer only once its instant has passed.
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at < now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).scalars())
    for instance_id in ids:
        try:
            with session.begin_nested():
                instance = instances.fire_timers(session, ctx, instance_id, now=now)
                # Retried by someone (engine.repair) and fired this time: its timer incident is over.
                incidents.resolve(session, instance_id, now=now, resolution="the timers fired",
                                  kinds=(incidents.TIMER_FAILED,))
                if instance.next_timer_at is not None and instance.next_timer_at < now:
                    # The workflow says a timer is still due after firing: do not spin on it.
                    instance.next_timer_at = now + TIMER_RETRY
            report.timers += 1
        except Exception as error:  # one broken case must not stop the others
            log.exception("timers of case %s failed", instance_id)
            report.failed += 1
            report.incidents += _timer_failed(session, ctx, instance_id, error, now)
    return len(ids)


def _timer_failed(session: Session, ctx: EngineContext, instance_id: int, error: Exception, now: datetime) -> int:
    """Stop retrying a case whose timers fail and open (or count once more) its ``timer_failed`` incident.

    Its timers wait for someone to retry the case (engine.repair); trying every few minutes
    would only fail again and fill the history.
    """
    noted = incidents.take_noted(session)  # the savepoint's failed step is this timer's, recorded below
    element, params = None, {"element": "-", "reason": f"{type(error).__name__}: {error}"}
    if noted and isinstance(error, ProcessFailed):
        element, params = noted[-1].element, {k: noted[-1].params[k] for k in ("element", "reason")}
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(next_timer_at=None).execution_options(synchronize_session=False))
    incident, opened = incidents.raise_incident(
        session, instance_id=instance_id, kind=incidents.TIMER_FAILED,
        template=incidents.TEMPLATES[incidents.TIMER_FAILED], now=now, element_id=element, params=params,
        detail=f"{type(error).__name__}: {error}", listeners=ctx.listeners)
    audit.record(session, "timer_failed", at=now, instance_id=instance_id,
                 payload={"error": f"{type(error).__name__}: {error}"[:500], "incident": incident.id,
                          "retrying": False})
    return int(opened)


def _deadline_batch(session: Session, ctx: EngineContext, esc: Escalation, now: datetime, size: int,
                    report: SweepReport) -> int:
    rungs = list(session.execute(
        select(TaskDeadline)
        # A suspended case's rungs wait: they fire at the first sweep after it is resumed.
        .join(ProcessInstance, ProcessInstance.id == TaskDeadline.instance_id)
        .where(TaskDeadline.due_at <= now, TaskDeadline.fired_at.is_(None), TaskDeadline.stopped_at.is_(None),
               TaskDeadline.attempts < MAX_ATTEMPTS, ProcessInstance.status != InstanceStatus.SUSPENDED)
        .order_by(TaskDeadline.due_at)
        .limit(size)
        .with_for_update(skip_locked=True, of=TaskDeadline)
    ).scalars())
    # Work in task order: two workers that both touch tasks (reassignment) then lock them in
    # the same order and cannot deadlock each other.
    for rung in sorted(rungs, key=lambda r: (r.task_id, r.id)):
        try:
            with session.begin_nested():
                record = ladder.fire(session, ctx, esc, rung, now)
            if record is None:  # its twin fired for it (one deadline, one firing)
                continue
            report.deadlines += 1
            report.lateness.append((now - rung.due_at).total_seconds())
        except ladder.RungBusy:  # its twin is in another worker's batch: the next batch takes both
            report.busy += 1
            continue
        except Exception as error:  # one broken rung must not stop the others
            log.exception("deadline rung %s failed", rung.id)
            report.failed += 1
            incidents.take_noted(session)  # a case action inside the rung failed: recorded as the rung's
            message = f"{type(error).__name__}: {error}"[:500]
            session.execute(update(TaskDeadline).where(TaskDeadline.id == rung.id)
                            .values(attempts=TaskDeadline.attempts + 1, last_error=message)
                            .execution_options(synchronize_session=False))
            report.incidents += _rung_abandoned(session, ctx, rung.id, message, now)
    return len(rungs)


def _rung_abandoned(session: Session, ctx: EngineContext, rung_id: int, message: str, now: datetime) -> int:
    """After its last attempt a rung is never tried again: open a ``deadline_failed`` incident for it."""
    row = session.execute(
        select(TaskDeadline.attempts, TaskDeadline.instance_id, TaskDeadline.clock, TaskDeadline.level,
               HumanTask.name, HumanTask.element_id)
        .join(HumanTask, HumanTask.id == TaskDeadline.task_id).where(TaskDeadline.id == rung_id)
    ).one()
    if row.attempts < MAX_ATTEMPTS:
        return 0
    log.warning("deadline rung %s abandoned after %d attempts: %s", rung_id, row.attempts, message)
    _incident, opened = incidents.raise_incident(
        session, instance_id=row.instance_id, kind=incidents.DEADLINE_FAILED,
        template=incidents.TEMPLATES[incidents.DEADLINE_FAILED], now=now, element_id=row.element_id,
        params={"task": row.name, "attempts": row.attempts, "reason": message, "clock": row.clock,
                "level": row.level},
        detail=message, subject=f"deadline:{rung_id}", listeners=ctx.listeners)
    return int(opened)


def _stuck_scan(session: Session, ctx: EngineContext, now: datetime, size: int, report: SweepReport) -> None:
    """Cases nothing can move that no action noticed (older cases, a changed library): cheap query, then load."""
    for instance_id in incidents.stuck_candidates(session, limit=size):
        try:
            with session.begin_nested():
                report.incidents += incidents.check_case(session, ctx, instance_id, now)
        except Exception:  # a case whose workflow cannot even be loaded must not stop the others
            log.exception("checking whether case %s is stuck failed", instance_id)
            report.failed += 1
