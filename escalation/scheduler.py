"""The worker's heartbeat: one APScheduler interval job that runs the sweep.

The scheduler only keeps time; deadlines live in the database. No job store is
persisted: a restarted worker simply starts sweeping again.
"""
from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

JOB_ID = "whistle-sweep"


def _configure(scheduler: Any, job: Callable[[], object], interval: float) -> None:
    scheduler.add_job(
        job, "interval", seconds=interval, id=JOB_ID, coalesce=True, max_instances=1,
        next_run_time=datetime.now().astimezone(), misfire_grace_time=None,
    )


def run_forever(job: Callable[[], object], *, interval: float) -> None:
    """Run ``job`` every ``interval`` seconds in this thread until SIGTERM or Ctrl-C."""
    scheduler = BlockingScheduler(timezone="UTC")
    _configure(scheduler, job, interval)

    def _stop(_signum: int, _frame: object) -> None:
        log.info("worker stopping")
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


def start_in_background(job: Callable[[], object], *, interval: float) -> BackgroundScheduler:
    """Run ``job`` every ``interval`` seconds on a background thread (the demo server uses this)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _configure(scheduler, job, interval)
    scheduler.start()
    return scheduler
