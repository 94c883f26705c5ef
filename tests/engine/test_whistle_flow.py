"""The 吹哨报到 process through the engine: parallel departments, rework, ratings, history."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import HumanTask, InstanceStatus, TaskEvent, TaskStatus
from tests.support import Flow

DEPARTMENTS = ["GHZY", "ZJW", "CGW"]


def test_whistle_summons_each_department_in_parallel(flow: Flow) -> None:
    case = flow.blow()
    signs = flow.open_tasks(case, "Task_sign")
    assert sorted(flow_department(flow, t) for t in signs) == sorted(DEPARTMENTS)
    assert all(t.status == TaskStatus.OPEN and t.role and t.role == "dept_dispatcher" for t in signs)


def test_whole_whistle_with_one_rework_loop_completes(flow: Flow) -> None:
    case = flow.blow()
    flow.run_department(case, "GHZY")
    flow.run_department(case, "ZJW", satisfied=False)
    flow.run_department(case, "CGW")
    # ZJW was sent back: its handling task is open again, the others wait for ratings.
    redo = flow.task(case, "Task_handle", "ZJW")
    flow.complete(redo.id, {"result": "已全部拆除并清运"}, as_="ZJW.staff")
    verify = [t for t in flow.open_tasks(case, "Task_verify") if t.context["department"] == "ZJW"]
    flow.complete(verify[0].id, {"satisfied": True}, as_="HP.officer")
    assert flow.instance(case).status == InstanceStatus.RUNNING
    for department in DEPARTMENTS:
        flow.rate(case, department)
    instance = flow.instance(case)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.next_timer_at is None
    assert flow.open_tasks(case) == []


def test_history_lists_every_action_with_actor_and_time(flow: Flow) -> None:
    case = flow.blow()
    flow.run_department(case, "GHZY")
    with flow.db.transaction(write=False) as session:
        events = list(session.execute(select(TaskEvent).where(TaskEvent.instance_id == case).order_by(TaskEvent.id))
                      .scalars())
    actions = [e.action for e in events]
    assert actions[0] == "started"
    completed = [e for e in events if e.action == "completed"]
    assert [e.payload["task"] for e in completed] == ["签收", "到场报到", "处置反馈", "核验"]
    assert all(e.actor_id is not None and e.at is not None for e in completed)
    assert completed[2].payload["data"]["result"] == "已责令停工并拆除违建部分"


def test_rework_reopens_the_same_departments_handling_only(flow: Flow) -> None:
    # Three departments: with one, "only ZJW's handling reopened" could not fail.
    case = flow.blow(departments=DEPARTMENTS)
    flow.run_department(case, "GHZY")
    flow.run_department(case, "ZJW", satisfied=False)
    flow.run_department(case, "CGW")
    handles = flow.open_tasks(case, "Task_handle")
    assert [(flow_department(flow, t), t.context.get("department")) for t in handles] == [("ZJW", "ZJW")]
    # The satisfied departments wait for their rating; nothing of theirs reopened.
    rates = flow.open_tasks(case, "Task_rate")
    assert sorted(t.context.get("department") for t in rates) == ["CGW", "GHZY"]
    with flow.db.transaction(write=False) as session:
        done = session.execute(
            select(HumanTask).where(HumanTask.instance_id == case, HumanTask.element_id == "Task_handle",
                                    HumanTask.status == TaskStatus.COMPLETED)
        ).scalars().all()
    assert sorted(flow_department(flow, t) for t in done) == sorted(DEPARTMENTS)


def flow_department(flow: Flow, task: HumanTask) -> str:
    """The department code of a task."""
    from engine.models import Department

    with flow.db.transaction(write=False) as session:
        return session.get(Department, task.department_id).code  # type: ignore[union-attr]
