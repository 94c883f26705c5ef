"""Upgrading in place: a database made by the 2026-12 release migrates, and its running whistle completes.

The databases come from tests/fixtures/upgrade (see its README): the demo district, the whistle
and its policy deployed, and on Monday 2026-11-30 by 10:00 a completed whistle (case 1), a running
one to CGW and ZJW (case 2: CGW signed and reported in, ZJW has not signed and was reminded at
10:00, a comment, CGW's pending extension request, ZJW's unsent draft) and a withdrawn one (case 3).
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import accounts, comments, drafts, schema, withdrawal
from engine.audit import instance_history
from engine.context import EngineContext
from engine.database import Database
from engine.models import Department, HumanTask, InstanceStatus, TaskEvent, TaskStatus, User
from escalation import extensions
from escalation.config import Escalation
from escalation.models import EscalationRecord, ExtensionStatus, TaskDeadline
from tests.conftest import BACKENDS, DEMO_PASSWORD
from tests.databases import create_schema, drop_schema
from tests.fixtures.upgrade.make_release_db import load_postgres_dump
from tests.support import FIXTURES, SHANGHAI, WHISTLE_ANSWERS, FakeClock, Flow

RELEASE = FIXTURES / "upgrade"
COMPLETED, RUNNING, WITHDRAWN = 1, 2, 3
COMPLETED_HISTORY = ["started", "task_created", *["claimed", "completed", "task_created"] * 4, "claimed", "completed",
                     "instance_completed"]
RUNNING_HISTORY = ["started", "task_created", "task_created", "claimed", "completed", "task_created", "claimed",
                   "completed", "task_created", "commented", "extension_requested", "escalated"]


def at(hour: int, minute: int = 0, *, month: int = 11, day: int = 30) -> datetime:
    """A 2026 instant, Beijing time (by default on the fixture's Monday 30 November)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def copy_of_release(backend: str, folder: Path) -> tuple[Database, str | None]:
    """A fresh database holding the release fixture (and the PostgreSQL schema to drop afterwards)."""
    if backend == "sqlite":
        target = folder / "release.sqlite3"
        shutil.copyfile(RELEASE / "release-2026-12.sqlite3", target)
        return Database(f"sqlite:///{target}"), None
    name, url = create_schema("whistle_up")
    db = Database(url)
    load_postgres_dump(db, (RELEASE / "release-2026-12.postgresql.sql").read_text())
    return db, name


@pytest.fixture(params=BACKENDS)
def released(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The release's database, upgraded in place to the code's head revision."""
    db, schema_name = copy_of_release(request.param, tmp_path)
    try:
        assert schema.current_revision(db) == "0006"  # what the release wrote
        schema.upgrade(db)
        yield db
    finally:
        db.dispose()
        if schema_name is not None:
            drop_schema(schema_name)


@pytest.fixture
def upgraded(released: Database, ctx: EngineContext, esc: Escalation) -> Flow:
    """Drives the upgraded database (escalation wired in) half an hour after the fixture's last instant."""
    return Flow(released, ctx, FakeClock(at(10, 30)))


def open_work(flow: Flow, case: int) -> list[tuple[str, str]]:
    """(element, department code) of the open tasks of a case."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(
            select(HumanTask.element_id, Department.code).join(Department, Department.id == HumanTask.department_id)
            .where(HumanTask.instance_id == case, HumanTask.status.in_([TaskStatus.OPEN, TaskStatus.CLAIMED]))
            .order_by(HumanTask.id)).all()
    return [(element, code) for element, code in rows]


def history(flow: Flow, case: int) -> list[str]:
    """The actions of a case's history, oldest first."""
    with flow.db.transaction(write=False) as session:
        return [event.action for event, *_ in session.execute(instance_history(case)).all()]


def fired(flow: Flow, case: int) -> list[tuple[str, int, str, list[str]]]:
    """(clock, level, action, targets) of the fired rungs of a case, in firing order."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(EscalationRecord).where(EscalationRecord.instance_id == case)
                               .order_by(EscalationRecord.id)).scalars()
        return [(r.clock, r.level, r.action, r.targets) for r in rows]


def test_the_release_database_reaches_head_with_everything_in_it(released: Database, upgraded: Flow) -> None:
    assert schema.current_revision(released) == schema.head_revision(released)
    flow = upgraded
    # The organisation: every demo login is there and still signs in with its password.
    with flow.db.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 80
        assert accounts.check_password(session, "ZJW.head", DEMO_PASSWORD) is not None
    # The completed and the withdrawn cases, as they ended.
    done, gone = flow.instance(COMPLETED), flow.instance(WITHDRAWN)
    assert (done.status, done.completed_at, done.next_timer_at) == (InstanceStatus.COMPLETED, at(8, 55), None)
    assert (gone.status, gone.completed_at) == (InstanceStatus.CANCELLED, at(9, 10))
    assert history(flow, COMPLETED) == COMPLETED_HISTORY
    assert history(flow, WITHDRAWN) == ["started", "task_created", "instance_cancelled", "task_cancelled"]
    with flow.db.transaction(write=False) as session:
        note = withdrawal.withdrawal_note(session, WITHDRAWN)
        handled = session.execute(select(TaskEvent.payload).where(
            TaskEvent.instance_id == COMPLETED, TaskEvent.action == "completed").order_by(TaskEvent.id)).scalars().all()
    assert note is not None and (note.reason, note.at) == ("重复吹哨，已并入第2号案件", at(9, 10))
    assert handled[2]["data"]["result"] == WHISTLE_ANSWERS["Task_handle"]["result"]
    assert open_work(flow, COMPLETED) == open_work(flow, WITHDRAWN) == []
    # The running case: its open tasks, history, comment, pending extension, draft and fired rung.
    assert flow.instance(RUNNING).status == InstanceStatus.RUNNING
    assert open_work(flow, RUNNING) == [("Task_sign", "ZJW"), ("Task_handle", "CGW")]
    assert history(flow, RUNNING) == RUNNING_HISTORY
    assert fired(flow, RUNNING) == [("report_in", 1, "remind", ["ZJW.dispatcher"])]
    with flow.db.transaction(write=False) as session:
        said = comments.for_case(session, flow.actor("CGW.staff"), RUNNING)
        waiting = extensions.pending_for(session, flow.actor("CGW.head"))
        draft = drafts.load(session, flow.actor("ZJW.dispatcher"), flow.task(RUNNING, "Task_sign", "ZJW").id)
    assert [(c.author, c.body, c.created_at) for c in said] == [
        ("HP.officer", "请城管委今天下午带队复查楼顶。", at(9, 45))]
    assert [(r.extension, r.reason, name) for r, name, _title in waiting] == [
        ("2wd", "违建需先行公示，申请延期两个工作日", "处置反馈")]
    assert draft is not None and draft.data == {"contact": "李科长 13900000000"}


def test_the_running_whistle_completes_and_its_deadlines_fire_on_time(upgraded: Flow, esc: Escalation) -> None:
    flow = upgraded
    flow.sweep(esc)  # 10:30: nothing is due (the 50% reminder fired at 10:00 before the upgrade)
    assert len(fired(flow, RUNNING)) == 1
    flow.clock.set(at(10, 35))
    assert flow.sweep(esc).deadlines == 0
    flow.clock.set(at(10, 36))  # 80% of ZJW's two working hours to sign
    assert flow.sweep(esc).deadlines == 1
    assert fired(flow, RUNNING)[1:] == [("report_in", 2, "notify", ["ZJW.head"])]

    # CGW's head grants the extension asked for before the upgrade: the completion deadline moves.
    flow.clock.set(at(10, 40))
    with flow.db.transaction() as session:
        request, *_ = extensions.pending_for(session, flow.actor("CGW.head"))[0]
        decided = extensions.decide(session, esc, flow.actor("CGW.head"), request.id, approve=True, note="同意",
                                    now=flow.clock.now())
        assert decided.status == ExtensionStatus.APPROVED
        assert decided.old_deadline_at is not None and decided.new_deadline_at > decided.old_deadline_at

    # ZJW signs (its draft goes with the task), reports in and handles; both are verified and rated.
    flow.clock.set(at(10, 45))
    flow.run_department(RUNNING, "ZJW")
    cgw_handle = flow.task(RUNNING, "Task_handle", "CGW")
    flow.complete(cgw_handle.id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    verify = [t for t in flow.open_tasks(RUNNING, "Task_verify") if t.context.get("department") == "CGW"]
    flow.complete(verify[0].id, WHISTLE_ANSWERS["Task_verify"], as_="HP.officer")
    flow.clock.set(at(11, 0))
    flow.rate(RUNNING, "CGW")
    flow.rate(RUNNING, "ZJW")

    instance = flow.instance(RUNNING)
    assert (instance.status, instance.completed_at, instance.next_timer_at) == (InstanceStatus.COMPLETED, at(11, 0),
                                                                               None)
    assert open_work(flow, RUNNING) == []
    with flow.db.transaction(write=False) as session:
        running_clocks = session.execute(select(func.count()).select_from(TaskDeadline).where(
            TaskDeadline.instance_id == RUNNING, TaskDeadline.stopped_at.is_(None),
            TaskDeadline.fired_at.is_(None))).scalar_one()
    assert running_clocks == 0
    # A week later nothing of the case is due, and the other two cases were left as they were.
    flow.clock.set(at(9, 0, month=12, day=7))
    assert flow.sweep(esc).deadlines == 0
    assert history(flow, COMPLETED) == COMPLETED_HISTORY
    assert flow.instance(WITHDRAWN).status == InstanceStatus.CANCELLED
