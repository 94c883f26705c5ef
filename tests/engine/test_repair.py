"""Case repair by administrators: suspend and resume, retry a failed step, move a token; all in the history."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import definitions, incidents, repair
from engine.errors import Conflict, Forbidden, InvalidInput, ProcessFailed
from engine.models import InstanceStatus, TaskEvent
from escalation.config import Escalation
from escalation.models import TaskDeadline
from tests.support import FIXTURES, SHANGHAI, WHISTLE_ANSWERS, Flow

TIMER_BPMN = FIXTURES / "bpmn" / "repair" / "timer_condition.bpmn"
FORMS = FIXTURES / "bpmn" / "valid" / "forms"
START_DATA = {"department": "ZJW", "description": "小区门口道路积水，需要住建委疏通排水管道"}
REASON = "部门反映系统故障，暂停办理"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def act(flow: Flow, action: Any, case: int, *args: Any, as_: str = "admin", **kwargs: Any) -> Any:
    """Run one repair action as ``as_`` in its own transaction."""
    with flow.db.transaction() as session:
        return action(session, flow.ctx, flow.actor(as_), case, *args, now=flow.clock.now(), **kwargs)


def history(flow: Flow, case: int) -> list[tuple[str, dict[str, Any]]]:
    """The case's audit actions with their payloads, oldest first."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(TaskEvent.action, TaskEvent.payload)
                               .where(TaskEvent.instance_id == case).order_by(TaskEvent.id)).all()
    return [(a, p or {}) for a, p in rows]


def test_a_suspended_case_holds_still_and_its_late_rungs_fire_after_resume(flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    flow.clock.set(at(9, 28, 9, 0))
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW")
    act(flow, repair.suspend, case, REASON)
    assert flow.instance(case).status == InstanceStatus.SUSPENDED

    with pytest.raises(Conflict, match="suspended"):
        flow.claim(sign.id, as_="CGW.dispatcher")
    with pytest.raises(Conflict, match="suspended"):
        flow.complete(sign.id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    with pytest.raises(Conflict):  # a retry or a token move waits for resume too
        act(flow, repair.retry, case, "再试一次")

    # The sign clock's rungs come due while the case is held: none fires.
    flow.clock.set(at(9, 30, 17, 0))
    flow.sweep(esc)
    with flow.db.transaction(write=False) as session:
        fired = session.execute(select(TaskDeadline.fired_at).where(TaskDeadline.instance_id == case)).scalars()
        assert [f for f in fired if f is not None] == []

    act(flow, repair.resume, case, "故障已排除，恢复办理")
    flow.sweep(esc)  # the clocks kept counting: what came due fires now
    with flow.db.transaction(write=False) as session:
        fired = [f for f in session.execute(select(TaskDeadline.fired_at)
                                             .where(TaskDeadline.instance_id == case)).scalars() if f]
    assert fired, "rungs that came due while suspended fire after resume"
    flow.complete(sign.id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    assert flow.open_tasks(case, "Task_report_in")

    actions = history(flow, case)
    held = [p for a, p in actions if a == "instance_suspended"]
    resumed = [p for a, p in actions if a == "instance_resumed"]
    assert held[0]["reason"] == REASON and resumed[0]["reason"] == "故障已排除，恢复办理"
    assert resumed[0]["held_seconds"] > 0


def test_a_suspended_case_fires_no_bpmn_timer(flow: Flow, esc: Escalation) -> None:
    case = _timer_case(flow)
    act(flow, repair.suspend, case, REASON)
    flow.clock.advance(hours=3)
    flow.sweep(esc)
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_handle"]
    assert "timers_checked" not in [a for a, _ in history(flow, case)]


def test_only_admins_repair_and_reasons_are_required(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    with pytest.raises(Forbidden):
        act(flow, repair.suspend, case, REASON, as_="designer")
    with pytest.raises(Forbidden):
        act(flow, repair.suspend, case, REASON, as_="HP.officer")
    with pytest.raises(InvalidInput):
        act(flow, repair.suspend, case, " x ")
    with pytest.raises(InvalidInput):
        act(flow, repair.suspend, case, "长" * 501)
    with pytest.raises(Conflict):
        act(flow, repair.resume, case, REASON)  # not suspended
    with pytest.raises(InvalidInput):
        act(flow, repair.retry, case, REASON, variables={"1bad": 1})
    with pytest.raises(InvalidInput):
        act(flow, repair.retry, case, REASON, variables={f"v{i}": i for i in range(51)})
    assert flow.instance(case).status == InstanceStatus.RUNNING


def _timer_case(flow: Flow) -> int:
    with flow.db.transaction() as session:
        definitions.deploy(session, flow.ctx, definitions.bundle_from_path(TIMER_BPMN, FORMS), now=flow.clock.now())
    return flow.start("timer_condition", START_DATA, as_="HP.officer")


def test_retry_with_a_variable_repairs_a_case_whose_timer_path_fails(flow: Flow, esc: Escalation) -> None:
    case = _timer_case(flow)
    flow.clock.advance(hours=2, minutes=1)
    report = flow.sweep(esc, failures=1)  # the gateway after the timer reads ``urgent``, which is missing
    assert report.timers == 0
    with flow.db.transaction(write=False) as session:  # the sweep wrote it down and stopped retrying the timer
        assert [i.kind for i in incidents.open_for(session, case)] == ["timer_failed"]

    with pytest.raises(ProcessFailed, match="Gateway_urgent"):  # a bare retry fails the same way
        act(flow, repair.retry, case, "先不改数据再试")
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_handle"]

    act(flow, repair.retry, case, "补录紧急标记后重试", variables={"urgent": True})
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_urge"]
    assert flow.instance(case).next_timer_at is None
    with flow.db.transaction(write=False) as session:
        assert incidents.open_for(session, case) == []
    retried = [p for a, p in history(flow, case) if a == "case_retried"]
    assert retried == [{"reason": "补录紧急标记后重试", "variables": {"urgent": True},
                        "next_timer_was": retried[0]["next_timer_was"]}]
    assert "incident_resolved" in [a for a, _ in history(flow, case)]

    flow.complete(flow.open_tasks(case)[0].id, {}, as_="HP.officer")
    assert flow.instance(case).status == InstanceStatus.COMPLETED


def test_moving_a_token_inside_a_department_subprocess(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    sign = flow.task(case, "Task_sign", "CGW")
    with flow.db.transaction(write=False) as session:
        stands = repair.where_it_stands(session, flow.ctx, flow.actor("designer"), case)
    token = next(t for t in stands.tokens if t.id == sign.spiff_task_id)
    assert stands.contexts[token.id]["department"] == "CGW"
    assert ("Task_handle", "处置反馈") in stands.targets["whistle_department"]

    with pytest.raises(Forbidden):
        act(flow, repair.move, case, token.id, "Task_handle", REASON, as_="designer")
    with pytest.raises(InvalidInput):
        act(flow, repair.move, case, token.id, "No_such_step", REASON)
    act(flow, repair.move, case, token.id, "Task_handle", "部门已现场处置，跳过签收报到")

    assert flow.open_tasks(case, "Task_sign", "CGW") == []
    handle = flow.task(case, "Task_handle", "CGW")
    assert flow.task(case, "Task_sign", "ZJW")  # the other department's token did not move
    flow.complete(handle.id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    assert [t.context.get("department") for t in flow.open_tasks(case, "Task_verify")] == ["CGW"]
    moved = [p for a, p in history(flow, case) if a == "token_moved"]
    assert moved == [{"reason": "部门已现场处置，跳过签收报到", "process": "whistle_department", "from": "Task_sign",
                      "from_state": "ready", "to": "Task_handle", "task": "签收"}]
    assert ("task_cancelled", {"task": "签收"}) in history(flow, case)


def test_time_moves_on_while_suspended(flow: Flow) -> None:
    """Suspension does not shift deadlines: the clock counts on (documented choice)."""
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"])
    with flow.db.transaction(write=False) as session:
        before = sorted(session.execute(select(TaskDeadline.due_at).where(TaskDeadline.instance_id == case)).scalars())
    act(flow, repair.suspend, case, REASON)
    flow.clock.advance(days=1)
    act(flow, repair.resume, case, "恢复办理")
    with flow.db.transaction(write=False) as session:
        after = sorted(session.execute(select(TaskDeadline.due_at).where(TaskDeadline.instance_id == case)).scalars())
    assert before == after and before
    assert flow.instance(case).suspended_at is None


def test_a_task_with_a_boundary_timer_moves_with_its_timer(flow: Flow) -> None:
    case = _timer_case(flow)
    started = flow.instance(case).next_timer_at
    assert started is not None
    handle = flow.open_tasks(case)[0]
    act(flow, repair.move, case, handle.spiff_task_id, "Task_urge", "超时未办，直接催办")
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_urge"]
    assert flow.instance(case).next_timer_at is None  # the task's timer went with it

    flow.clock.advance(hours=1)
    with flow.db.transaction(write=False) as session:
        stands = repair.where_it_stands(session, flow.ctx, flow.actor("admin"), case)
        assert ("Timer_2h", "2 小时未办结") not in stands.targets["timer_condition"]  # boundary events are no target
    urge = flow.open_tasks(case)[0]
    act(flow, repair.move, case, urge.spiff_task_id, "Task_handle", "退回部门重新处置")
    assert [t.element_id for t in flow.open_tasks(case)] == ["Task_handle"]
    assert flow.instance(case).next_timer_at == started + timedelta(hours=1)  # a fresh two hours, armed again


def test_a_condition_that_fails_until_a_variable_is_set_is_repaired_by_retry(flow: Flow) -> None:
    """The issue's case: the gateway reads ``urgent``, which this case lacks; the administrator sets it."""
    from tests.incident_support import START, deploy_unchecked

    deploy_unchecked(flow, "failing_condition", deployed_by="designer")
    case = flow.start("failing_condition", START, as_="HP.officer")
    task = flow.task(case, "Task_handle", "ZJW")
    with pytest.raises(ProcessFailed):
        flow.complete(task.id, {"result": "已疏通"}, as_="ZJW.staff")
    with flow.db.transaction(write=False) as session:
        assert [i.kind for i in incidents.open_for(session, case)] == ["step_failed"]

    act(flow, repair.retry, case, "该案件不属紧急，补录标记", variables={"urgent": False})
    flow.complete(task.id, {"result": "已疏通"}, as_="ZJW.staff")  # the same task, now past the gateway
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    with flow.db.transaction(write=False) as session:
        assert incidents.open_for(session, case) == []
    assert [p["variables"] for a, p in history(flow, case) if a == "case_retried"] == [{"urgent": False}]
