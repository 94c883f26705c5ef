"""One deadline, one firing: a 签收 task's two clocks share a deadline, and every count is of tasks."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.models import User
from escalation import boards, supervision
from escalation.config import Escalation
from escalation.models import EscalationRecord, Notification, TaskDeadline
from tests.support import SHANGHAI, Flow

TASKS = 4


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def signing(flow: Flow) -> list[int]:
    """Four enforcement whistles summoning CGW, Monday 2026-09-28 09:00: four 签收 tasks due at 11:00 (2wh)."""
    flow.deploy_policy()
    # Four places: four different cases, not one case reported four times.
    cases = [flow.blow(departments=["CGW"], address=f"和平里七区 {n} 号楼楼顶") for n in range(1, TASKS + 1)]
    return [flow.task(case, "Task_sign", "CGW").id for case in cases]


def head_notifications(flow: Flow) -> Counter[tuple[int | None, str]]:
    """How many notifications CGW's head got, per (task, rung action)."""
    with flow.db.transaction(write=False) as session:
        head = session.execute(select(User).where(User.username == "CGW.head")).scalar_one()
        notes = session.execute(select(Notification).where(Notification.user_id == head.id)).scalars()
        return Counter((n.task_id, n.kind) for n in notes)


def test_each_rung_of_a_signing_task_fires_once(flow: Flow, signing: list[int], esc: Escalation) -> None:
    flow.clock.set(at(9, 29, 17, 30))  # a working day past the deadline: levels 1-4 are due
    report = flow.sweep(esc)
    assert report.deadlines == TASKS * 4  # one firing per task and rung, not one per clock
    assert flow.sweep(esc).deadlines == 0
    notes = head_notifications(flow)
    # The head is reached from level 2 on (notify, 督办, 催办): once per task per rung.
    assert notes == Counter({(task, kind): 1 for task in signing
                             for kind in ("notify", "overdue_duban", "cuiban_notice")})
    with flow.db.transaction(write=False) as session:
        records = session.execute(select(EscalationRecord.task_id, EscalationRecord.level)).all()
        unfired = session.execute(select(TaskDeadline.id).where(
            TaskDeadline.task_id.in_(signing), TaskDeadline.level <= 4, TaskDeadline.fired_at.is_(None))).all()
    assert sorted(records) == sorted((task, level) for task in signing for level in range(1, 5))
    assert unfired == []  # the twin rungs are marked fired: no later sweep fires them again


def test_every_board_and_chart_counts_the_same_tasks(flow: Flow, signing: list[int], esc: Escalation) -> None:
    flow.clock.set(at(9, 28, 12, 0))  # an hour past the deadline, both clocks of every task ran out
    flow.sweep(esc)
    now = flow.clock.now()
    with flow.db.transaction(write=False) as session:
        board, more = supervision.overdue(session, now)
        by_department = boards.overdue_by_department(session, now)
        by_level = boards.overdue_by_level(session, now)
        trend = boards.weekly_trend(session, now, weeks=1)
        stats = supervision.department_stats(session, "CGW", now)
    assert not more
    assert sorted(r.task_id for r in board) == sorted(signing)  # the board and its CSV: a row per task
    assert all(r.level == 3 for r in board)
    assert [(c.code, c.tasks) for c in by_department] == [("CGW", TASKS)]
    assert [(c.level, c.tasks) for c in by_level] == [(3, TASKS)]
    assert [t.events for t in trend] == [TASKS]
    assert stats.overdue == TASKS


def test_a_signed_task_still_fires_its_completion_rungs(flow: Flow, signing: list[int], esc: Escalation) -> None:
    flow.claim(signing[0], as_="CGW.dispatcher")  # signing stops the report-in clock only
    flow.clock.set(at(9, 28, 11, 0))
    assert flow.sweep(esc).deadlines == TASKS * 3
    with flow.db.transaction(write=False) as session:
        first = session.execute(select(EscalationRecord.clock, EscalationRecord.level)
                                .where(EscalationRecord.task_id == signing[0])).all()
        other = session.execute(select(EscalationRecord.clock)
                                .where(EscalationRecord.task_id == signing[1])).scalars().all()
    assert sorted(first) == [("complete", 1), ("complete", 2), ("complete", 3)]
    assert other == ["report_in"] * 3  # unsigned: the rung armed first speaks for both clocks
