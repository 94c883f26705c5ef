"""The supervisors' numbers: overdue by department and level, the weekly trend, ratings, the scoreboard."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.errors import NotFound
from engine.models import TaskStatus
from escalation import boards
from escalation.boards import DepartmentCount, LevelCount
from escalation.config import Escalation
from tests.support import SHANGHAI, Flow


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def whistle(flow: Flow) -> int:
    """An enforcement whistle on 违法建设 summoning CGW and ZJW, Monday 2026-09-28 09:00 (sign within 2wh)."""
    flow.deploy_policy()
    return flow.blow(departments=["CGW", "ZJW"])


def swept(flow: Flow, esc: Escalation, rungs: int) -> None:
    """One sweep fires exactly ``rungs`` rungs, none fails, and a second sweep finds nothing left."""
    report = flow.sweep(esc)
    assert (report.deadlines, report.failed) == (rungs, 0), report
    again = flow.sweep(esc)
    assert (again.deadlines, again.failed) == (0, 0), again


def counts(flow: Flow, departments: list[str] | None = None, street: str | None = None,
           category: str | None = None) -> tuple[list[DepartmentCount], list[LevelCount]]:
    """Overdue tasks by department and by level at the fake clock's now."""
    with flow.db.transaction(write=False) as session:
        now = flow.clock.now()
        return (boards.overdue_by_department(session, now, departments=departments, street=street,
                                             category=category),
                boards.overdue_by_level(session, now, departments=departments, street=street, category=category))


def test_overdue_tasks_count_once_per_task_by_department_and_highest_level(
        flow: Flow, whistle: int, esc: Escalation) -> None:
    assert counts(flow) == ([], [])
    flow.clock.set(at(9, 28, 10, 40))
    swept(flow, esc, 4)  # levels 1 and 2 of both signing tasks (their two clocks are one deadline: one firing)
    flow.clock.set(at(9, 28, 10, 50))
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.clock.set(at(9, 28, 11, 30))  # past the 11:00 deadline, before the sweep fires level 3
    by_department, by_level = counts(flow)
    assert by_department == [DepartmentCount("ZJW", "区住房和城乡建设委员会", "住建委", 1)]
    assert by_level == [LevelCount(2, 1)]  # two clocks ran out, one task
    swept(flow, esc, 1)  # level 3 of ZJW's task, once for both clocks; CGW's stopped at 10:50
    assert counts(flow)[1] == [LevelCount(3, 1)]


def test_overdue_counts_follow_department_street_and_category(flow: Flow, whistle: int, esc: Escalation) -> None:
    flow.clock.set(at(9, 28, 12, 0))
    swept(flow, esc, 6)  # levels 1-3 of two signing tasks (once for both clocks)
    by_department, by_level = counts(flow)
    assert [(c.code, c.tasks) for c in by_department] == [("CGW", 1), ("ZJW", 1)]
    assert by_level == [LevelCount(3, 2)]
    assert [c.code for c in counts(flow, departments=["ZJW"])[0]] == ["ZJW"]
    assert counts(flow, departments=[]) == ([], [])
    assert counts(flow, street="HP")[1] == [LevelCount(3, 2)]
    assert counts(flow, street="XH") == ([], [])
    assert counts(flow, category="WFJS")[1] == [LevelCount(3, 2)]
    assert counts(flow, category="HJWS") == ([], [])


def test_weekly_trend_counts_overdue_tasks_per_iso_week(flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    flow.clock.set(at(9, 14, 9, 0))  # ISO week 38
    flow.blow(departments=["CGW"])
    flow.clock.set(at(9, 14, 12, 0))
    swept(flow, esc, 3)  # both clocks of one signing task reach 100% together (levels 1-3, fired once)
    flow.clock.set(at(9, 28, 9, 0))  # ISO week 40
    flow.blow(departments=["CGW", "ZJW"])
    flow.clock.set(at(9, 28, 12, 0))
    # Two more overdue tasks (levels 1-3 of two new tasks: 6 firings); the old task's later
    # rungs (+1wd, +5wd: 2 more) are not overdue events.
    swept(flow, esc, 8)
    with flow.db.transaction(write=False) as session:
        trend = boards.weekly_trend(session, flow.clock.now())
        only_zjw = boards.weekly_trend(session, flow.clock.now(), departments=["ZJW"], weeks=3)
        elsewhere = boards.weekly_trend(session, flow.clock.now(), street="XH")
    assert len(trend) == 12 and trend[0].week == "2026-W29" and trend[-1].week == "2026-W40"
    assert trend[-1].starts == at(9, 28, 0, 0)
    assert {t.week: t.events for t in trend if t.events} == {"2026-W38": 1, "2026-W40": 2}
    assert [(t.week, t.events) for t in only_zjw] == [("2026-W38", 0), ("2026-W39", 0), ("2026-W40", 1)]
    assert sum(t.events for t in elsewhere) == 0


def rate(flow: Flow, case: int, department: str, marks: dict[str, int]) -> None:
    """Take ``department`` through its work and have the street leader rate it with ``marks``."""
    flow.run_department(case, department)
    task = [t for t in flow.open_tasks(case, "Task_rate") if t.context.get("department") == department][0]
    flow.complete(task.id, marks, as_="HP.leader")


def test_ratings_average_the_streets_marks_per_department(flow: Flow) -> None:
    first = flow.blow(departments=["CGW", "ZJW"])
    second = flow.blow(departments=["CGW"])
    rate(flow, first, "CGW", {"speed": 5, "cooperation": 4, "fulfilment": 5})
    rate(flow, second, "CGW", {"speed": 2, "cooperation": 3, "fulfilment": 4, "comment": "到场较慢"})
    rate(flow, first, "ZJW", {"speed": 4, "cooperation": 4, "fulfilment": 3})
    with flow.db.transaction(write=False) as session:
        ratings = boards.department_ratings(session)
        only_cgw = boards.department_ratings(session, departments=["CGW"])
        later = boards.department_ratings(session, since=flow.clock.advance(days=1))
    cgw = ratings["CGW"]
    assert (cgw.count, cgw.speed, cgw.cooperation, cgw.fulfilment) == (2, 3.5, 3.5, 4.5)
    assert cgw.overall == 3.83
    assert (ratings["ZJW"].count, ratings["ZJW"].fulfilment) == (1, 3.0)
    assert set(only_cgw) == {"CGW"}
    assert later == {}


def test_scoreboard_joins_stats_and_ratings(flow: Flow, whistle: int, esc: Escalation) -> None:
    rate(flow, whistle, "CGW", {"speed": 5, "cooperation": 4, "fulfilment": 5})
    flow.clock.set(at(9, 28, 12, 0))
    swept(flow, esc, 3)  # levels 1-3 of ZJW's signing task (once for both clocks); CGW finished at once
    with flow.db.transaction(write=False) as session:
        board = boards.scoreboard(session, flow.clock.now())
        mine = boards.scoreboard(session, flow.clock.now(), departments=["CGW"])
    assert board[0].code == "ZJW" and board[0].stats.overdue == 1  # most overdue first
    # Every summoned unit of the city: both districts' departments (a page narrows it to what its reader covers).
    assert len(board) == 15 and {r.code for r in board} >= {"CGW", "SWJ", "YJJ", "LHQ-CGW"}
    cgw = next(r for r in board if r.code == "CGW")
    assert cgw.stats.overdue == 0 and cgw.stats.report_in_rate == 1.0 and cgw.stats.median_sign_seconds == 0
    assert (cgw.ratings.count, cgw.ratings.speed) == (1, 5.0)
    assert next(r for r in board if r.code == "SWJ").ratings.count == 0
    assert [r.code for r in mine] == ["CGW"]


def test_department_tasks_list_overdue_first(flow: Flow, whistle: int, esc: Escalation) -> None:
    flow.clock.set(at(9, 28, 9, 30))
    early = flow.blow(departments=["ZJW"], whistle_type="difficult")  # signing within 1wd: not late at noon
    flow.clock.set(at(9, 28, 12, 0))
    swept(flow, esc, 6)  # levels 1-3 of the first whistle's two signing tasks; the difficult one is not yet at 50%
    with flow.db.transaction(write=False) as session:
        tasks = boards.department_tasks(session, "ZJW", flow.clock.now())
        with pytest.raises(NotFound):
            boards.department_tasks(session, "NOPE", flow.clock.now())
    assert [(t.instance_id, t.status) for t in tasks] == [(whistle, TaskStatus.OPEN), (early, TaskStatus.OPEN)]
    assert tasks[0].lateness_seconds(flow.clock.now()) == 3600 and tasks[0].level == 3
    assert tasks[1].lateness_seconds(flow.clock.now()) is None
