"""An interrupting boundary timer written as a bare ISO literal (``PT2H``), driven by a fake clock."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import instances
from engine.errors import Conflict
from engine.models import Department, HumanTask, InstanceStatus, TaskStatus
from tests.support import FIXTURES, Flow

TIMER_BPMN = FIXTURES / "bpmn" / "valid" / "timer_escalation.bpmn"
START_DATA = {"department": "ZJW", "description": "小区门口道路积水，需要住建委疏通排水管道"}
DEADLINE = timedelta(hours=2)


def start_case(flow: Flow) -> tuple[int, datetime]:
    """Deploy the timer process and start a case as the street's duty officer; return its id and start."""
    flow.deploy(TIMER_BPMN)
    started = flow.clock.now()
    return flow.start("timer_escalation", START_DATA, as_="HP.officer"), started


def fire(flow: Flow, case: int) -> None:
    """What the timer sweep does for one due case, at the fake clock's now."""
    with flow.db.transaction() as session:
        instances.fire_timers(session, flow.ctx, case, now=flow.clock.now())


def tasks(flow: Flow, case: int) -> list[tuple[str, TaskStatus, str | None, str | None]]:
    """Every human_task row of the case: (element, status, role, department code), oldest first."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(
            select(HumanTask.element_id, HumanTask.status, HumanTask.role, Department.code)
            .outerjoin(Department, Department.id == HumanTask.department_id)
            .where(HumanTask.instance_id == case)
            .order_by(HumanTask.id)
        ).all()
    return [(e, s, r, d) for e, s, r, d in rows]


def test_handling_task_goes_to_the_department_and_the_deadline_is_stored(flow: Flow) -> None:
    """The department-scope lane takes ``department``; the instance knows when its timer is due."""
    case, started = start_case(flow)
    assert tasks(flow, case) == [("Task_handle", TaskStatus.OPEN, "dept_staff", "ZJW")]
    assert flow.instance(case).next_timer_at == started + DEADLINE


def test_nothing_changes_before_two_hours(flow: Flow) -> None:
    """One second before the deadline the sweep leaves the case as it was."""
    case, started = start_case(flow)
    flow.clock.advance(hours=2, seconds=-1)
    fire(flow, case)
    assert tasks(flow, case) == [("Task_handle", TaskStatus.OPEN, "dept_staff", "ZJW")]
    instance = flow.instance(case)
    assert instance.next_timer_at == started + DEADLINE
    assert instance.status == InstanceStatus.RUNNING


def test_after_two_hours_the_task_is_cancelled_and_the_street_urges(flow: Flow) -> None:
    """Past the deadline the handling row is cancelled, the street-scope urging task opens, no timer is left."""
    case, started = start_case(flow)
    flow.clock.advance(hours=2, seconds=1)
    fire(flow, case)
    assert tasks(flow, case) == [
        ("Task_handle", TaskStatus.CANCELLED, "dept_staff", "ZJW"),
        ("Task_urge", TaskStatus.OPEN, "street_officer", "HP"),
    ]
    assert _row(flow, case, "Task_handle").completed_at == started + DEADLINE + timedelta(seconds=1)
    instance = flow.instance(case)
    assert instance.next_timer_at is None
    assert instance.status == InstanceStatus.RUNNING


def test_completing_the_timed_out_task_is_a_conflict(flow: Flow) -> None:
    """After the sweep fired, the department can no longer complete its withdrawn task."""
    case, _ = start_case(flow)
    handle = flow.task(case, "Task_handle", "ZJW")
    flow.clock.advance(hours=3)
    fire(flow, case)
    with pytest.raises(Conflict, match="withdrawn by the process"):
        flow.complete(handle.id, {"result": "已疏通"}, as_="ZJW.staff")
    assert [t[:2] for t in tasks(flow, case)] == [("Task_handle", TaskStatus.CANCELLED),
                                                 ("Task_urge", TaskStatus.OPEN)]


def test_deadline_wins_over_a_late_completion_the_sweep_has_not_seen(flow: Flow) -> None:
    """Past the deadline but before any sweep, completing still loses: due timers fire first."""
    case, _ = start_case(flow)
    handle = flow.task(case, "Task_handle", "ZJW")
    flow.clock.advance(hours=2, minutes=1)
    with pytest.raises(Conflict, match="withdrawn by the process"):
        flow.complete(handle.id, {"result": "已疏通"}, as_="ZJW.staff")
    fire(flow, case)
    assert [t[:2] for t in tasks(flow, case)] == [("Task_handle", TaskStatus.CANCELLED),
                                                 ("Task_urge", TaskStatus.OPEN)]


def test_completing_in_time_drops_the_timer(flow: Flow) -> None:
    """Done before the deadline: the case ends, no timer remains and a later sweep changes nothing."""
    case, _ = start_case(flow)
    flow.clock.advance(hours=1, minutes=59)
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通排水管道"}, as_="ZJW.staff")
    instance = flow.instance(case)
    assert (instance.status, instance.next_timer_at) == (InstanceStatus.COMPLETED, None)
    assert tasks(flow, case) == [("Task_handle", TaskStatus.COMPLETED, "dept_staff", "ZJW")]
    flow.clock.advance(hours=1)
    with pytest.raises(Conflict):
        fire(flow, case)
    assert tasks(flow, case) == [("Task_handle", TaskStatus.COMPLETED, "dept_staff", "ZJW")]


def test_street_officer_finishes_the_case_after_urging(flow: Flow) -> None:
    """The urging task completes the case."""
    case, _ = start_case(flow)
    flow.clock.advance(hours=2, seconds=1)
    fire(flow, case)
    flow.complete(flow.task(case, "Task_urge", "HP").id, {}, as_="HP.officer")
    assert flow.instance(case).status == InstanceStatus.COMPLETED


def _row(flow: Flow, case: int, element: str) -> HumanTask:
    """The single human_task row of ``element`` in the case."""
    with flow.db.transaction(write=False) as session:
        return session.execute(
            select(HumanTask).where(HumanTask.instance_id == case, HumanTask.element_id == element)
        ).scalar_one()
