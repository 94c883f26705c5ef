"""The sweep: fire due BPMN timers and due ladder rungs, each exactly once, in batches.

Each batch is one transaction. On PostgreSQL the due rows are taken with
``FOR UPDATE SKIP LOCKED``, so any number of workers can sweep at once without taking the
same row; on SQLite the writer lock serialises sweeps. Every item runs in a savepoint: a
broken one is rolled back, logged and put aside, and the batch goes on. Effects and the
"fired" mark commit together, so a worker killed mid-batch leaves nothing half done.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit, instances
from engine.context import EngineContext
from engine.database import Database
from engine.models import InstanceStatus, ProcessInstance
from escalation import ladder
from escalation.config import Escalation
from escalation.models import TaskDeadline

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_ATTEMPTS = ladder.MAX_ATTEMPTS
TIMER_RETRY = timedelta(minutes=5)  # a broken instance's timers are tried again after this


@dataclass
class SweepReport:
    """What one sweep did."""

    timers: int = 0
    deadlines: int = 0
    failed: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds from due to fired, per rung

    def __str__(self) -> str:
        return f"{self.timers} timer(s), {self.deadlines} deadline rung(s) fired, {self.failed} failed"


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
        with db.transaction() as session:
            done = _deadline_batch(session, ctx, esc, now, batch_size, report)
        if done:
            log.info("committed a batch of %d due deadline rung(s)", done)
        if done < batch_size:
            break
    return report


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
                if instance.next_timer_at is not None and instance.next_timer_at < now:
                    # The workflow says a timer is still due after firing: do not spin on it.
                    instance.next_timer_at = now + TIMER_RETRY
            report.timers += 1
        except Exception as error:  # one broken case must not stop the others
            log.exception("timers of case %s failed", instance_id)
            report.failed += 1
            session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                            .values(next_timer_at=now + TIMER_RETRY)
                            .execution_options(synchronize_session=False))
            audit.record(session, "timer_failed", at=now, instance_id=instance_id,
                         payload={"error": f"{type(error).__name__}: {error}"[:500]})
    return len(ids)


def _deadline_batch(session: Session, ctx: EngineContext, esc: Escalation, now: datetime, size: int,
                    report: SweepReport) -> int:
    rungs = list(session.execute(
        select(TaskDeadline)
        .where(TaskDeadline.due_at <= now, TaskDeadline.fired_at.is_(None), TaskDeadline.stopped_at.is_(None),
               TaskDeadline.attempts < MAX_ATTEMPTS)
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
        except Exception as error:  # one broken rung must not stop the others
            log.exception("deadline rung %s failed", rung.id)
            report.failed += 1
            session.execute(update(TaskDeadline).where(TaskDeadline.id == rung.id)
                            .values(attempts=TaskDeadline.attempts + 1,
                                    last_error=f"{type(error).__name__}: {error}"[:500])
                            .execution_options(synchronize_session=False))
    return len(rungs)
