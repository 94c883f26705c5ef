"""Workers as real processes: two sweep the same database at once; one is killed mid-sweep."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from engine.context import EngineContext
from engine.database import Database
from escalation.config import Escalation
from escalation.models import EscalationRecord, Notification, TaskDeadline
from escalation.sweep import sweep
from tests.http_client import WHISTLE, environment
from tests.support import SHANGHAI, WHISTLE_DATA, FakeClock, Flow

TEN_DEPARTMENTS = ["CGW", "ZJW", "GHZY", "SJJ", "STHJ", "SWJ", "YLLH", "JTW", "GAFJ", "RSJ"]
DUE = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)  # every rung of every signing task is due by then
REPORT = re.compile(r"(\d+) timer\(s\), (\d+) deadline rung\(s\) fired, (\d+) failed")


@pytest.fixture(params=["postgresql", "sqlite"])
def crowded(request: pytest.FixtureRequest, backends: object, ctx: EngineContext, esc: Escalation,
            clock: FakeClock) -> tuple[Database, str]:
    """Ten whistles summoning ten departments each: 100 signing tasks, 1,000 deadline rungs, 500 firings.

    A signing task's two clocks share one deadline, so each pair of twin rungs fires once.
    """
    from tests.conftest import empty_case_tables

    db = backends.get(request.param)  # type: ignore[attr-defined]
    empty_case_tables(db)
    _crowd(db, ctx, clock)
    return db, backends.url(request.param)  # type: ignore[attr-defined]


def _crowd(db: Database, ctx: EngineContext, clock: FakeClock) -> None:
    flow = Flow(db, ctx, clock)
    flow.deploy()
    flow.deploy_policy()
    for _ in range(10):
        flow.start("whistle", {**WHISTLE_DATA, "departments": TEN_DEPARTMENTS}, as_="HP.officer")


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.transaction(write=False) as session:
        rungs = session.execute(select(func.count()).select_from(TaskDeadline)).scalar_one()
        unfired = session.execute(select(func.count()).select_from(TaskDeadline)
                                  .where(TaskDeadline.fired_at.is_(None))).scalar_one()
        records = session.execute(select(func.count(func.distinct(EscalationRecord.deadline_id)))).scalar_one()
        expected_notes = sum(len(t) for t in session.execute(select(EscalationRecord.targets)).scalars())
        notes = session.execute(select(func.count()).select_from(Notification)).scalar_one()
    assert notes == expected_notes, "a rung notified twice (or not at all)"
    return rungs, unfired, records, notes


def test_two_workers_fire_a_thousand_rungs_exactly_once(crowded: tuple[Database, str], tmp_path: Path) -> None:
    db, url = crowded
    assert _counts(db)[:2] == (1000, 1000)
    env = environment(url, tmp_path / "instance")
    command = [WHISTLE, "sweep", "--now", DUE.isoformat(), "--batch-size", "25"]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    fired = []
    for (out, err), worker in zip(outputs, workers, strict=True):
        assert worker.returncode == 0, err
        timers, rungs, failed = map(int, REPORT.search(out).groups())  # type: ignore[union-attr]
        assert failed == 0
        fired.append(rungs)
    assert sum(fired) == 500  # one firing per twin pair, whichever worker took which row
    rungs, unfired, records, _ = _counts(db)
    assert (rungs, unfired, records) == (1000, 0, 500)
    _assert_nothing_left(db)


def _assert_nothing_left(db: Database) -> None:
    """A further sweep finds nothing due and nothing failing: every rung was marked fired once."""
    report = sweep(db, EngineContext(), Escalation(), DUE)
    assert (report.deadlines, report.failed) == (0, 0), report


def test_a_worker_killed_mid_sweep_loses_nothing_and_fires_nothing_twice(
        postgres: Database, backends: object, tmp_path: Path, ctx: EngineContext, esc: Escalation,
        clock: FakeClock) -> None:
    # PostgreSQL: the test holds one row lock while the worker runs (SQLite locks the whole file).
    db, url = postgres, backends.url("postgresql")  # type: ignore[attr-defined]
    _crowd(db, ctx, clock)
    clock_file = tmp_path / "clock"
    clock_file.write_text(DUE.isoformat())
    env = {**environment(url, tmp_path / "instance"), "WHISTLE_CLOCK_FILE": str(clock_file)}
    # Hold one task the fifth rung must hand up the chain: the worker blocks there, mid-sweep.
    # NO KEY UPDATE still lets the worker insert rows that refer to the task (KEY SHARE).
    blocker = db.session(write=True)
    with db.transaction(write=False) as session:
        task_id = session.execute(select(TaskDeadline.task_id).where(TaskDeadline.level == 5)
                                  .order_by(TaskDeadline.id.desc()).limit(1)).scalar_one()
    blocker.execute(text("SELECT id FROM human_task WHERE id = :id FOR NO KEY UPDATE"), {"id": task_id})
    worker = subprocess.Popen([WHISTLE, "worker", "--interval", "3600", "--batch-size", "100"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # A worker that never logs would leave the read below waiting: kill it after two minutes.
    watchdog = threading.Timer(120, worker.kill)
    watchdog.start()
    try:
        committed = 0
        assert worker.stderr is not None
        for line in worker.stderr:  # blocking reads of the worker's own log, no sleeping
            if "committed a batch" in line:
                committed += 1
            if committed == 8:  # levels 1-4 are done; the fifth rungs are in flight
                break
        assert committed == 8
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        watchdog.cancel()
        blocker.rollback()
        blocker.close()
    rungs, unfired, records, _ = _counts(db)
    assert 2 * records == rungs - unfired  # what committed is complete (twins fire once); the rest left no trace
    assert 0 < unfired < rungs
    report = sweep(db, ctx, esc, DUE)
    assert (report.deadlines, report.failed) == (unfired // 2, 0), report
    assert _counts(db)[:3] == (1000, 0, 500)
    _assert_nothing_left(db)
