"""指派 and 转交: a dispatcher or head hands a task to a colleague, its holder passes it on; races and refusals."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine import task_assignment
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, WhistleError
from engine.models import HumanTask, TaskEvent, TaskStatus, User
from escalation.models import Notification, TaskDeadline
from tests.support import WHISTLE_ANSWERS, Flow

RACERS = 6


def _report_in(flow: Flow, department: str = "CGW") -> tuple[int, int]:
    """A whistle signed by ``department``: the case and its open 到场报到."""
    case = flow.blow(departments=[department])
    flow.complete(flow.task(case, "Task_sign", department).id, WHISTLE_ANSWERS["Task_sign"],
                  as_=f"{department}.dispatcher")
    return case, flow.task(case, "Task_report_in", department).id


def _assign(flow: Flow, task_id: int, user: str, *, as_: str, note: str | None = None) -> HumanTask:
    with flow.db.transaction() as session:
        return task_assignment.assign(session, flow.ctx, flow.actor(as_), task_id, user, note=note,
                                      now=flow.clock.now())


def _delegate(flow: Flow, task_id: int, user: str, *, as_: str) -> HumanTask:
    with flow.db.transaction() as session:
        return task_assignment.delegate(session, flow.ctx, flow.actor(as_), task_id, user, note="出差，转交",
                                        now=flow.clock.now())


def _user_id(flow: Flow, username: str) -> int:
    with flow.db.transaction(write=False) as session:
        return session.execute(select(User.id).where(User.username == username)).scalar_one()


def _row(flow: Flow, task_id: int) -> HumanTask:
    with flow.db.transaction(write=False) as session:
        found = session.get(HumanTask, task_id)
        assert found is not None
        return found


def _audit(flow: Flow, task_id: int, action: str) -> list[dict]:
    with flow.db.transaction(write=False) as session:
        return [e.payload for e in session.execute(select(TaskEvent).where(
            TaskEvent.task_id == task_id, TaskEvent.action == action).order_by(TaskEvent.id)).scalars()]


def test_dispatcher_assigns_an_open_task_the_colleague_is_told_and_its_report_in_clock_stops(flow: Flow) -> None:
    flow.deploy_policy()
    _case, task = _report_in(flow)
    _assign(flow, task, "CGW.staff", as_="CGW.dispatcher", note="你熟悉和平里")
    row = _row(flow, task)
    staff = _user_id(flow, "CGW.staff")
    assert (row.status, row.assignee_id) == (TaskStatus.CLAIMED, staff)
    [entry] = _audit(flow, task, "assigned")
    assert (entry["from"], entry["to"], entry["note"]) == (None, "CGW.staff", "你熟悉和平里")
    with flow.db.transaction(write=False) as session:
        notes = session.execute(select(Notification.kind, Notification.params).where(
            Notification.user_id == staff, Notification.task_id == task)).all()
    assert [(k, p["note"]) for k, p in notes] == [("assigned", "你熟悉和平里")]
    flow.complete(task, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")  # the assignee completes it


def test_head_reassigns_a_held_task_and_the_sign_clock_stops(flow: Flow, make_user: Callable[..., None]) -> None:
    flow.deploy_policy()
    make_user("CGW.dispatcher2", "第二接哨员", [("CGW", "dept_dispatcher")])
    case = flow.blow(departments=["CGW"])
    sign = flow.task(case, "Task_sign", "CGW").id

    def running() -> set[str]:
        with flow.db.transaction(write=False) as session:
            return set(session.execute(select(TaskDeadline.clock).where(
                TaskDeadline.task_id == sign, TaskDeadline.stopped_at.is_(None))).scalars())

    assert running() == {"report_in", "complete"}
    _assign(flow, sign, "CGW.dispatcher", as_="CGW.head")
    assert running() == {"complete"}  # handed to someone: the department has reported in
    _assign(flow, sign, "CGW.dispatcher2", as_="CGW.head")
    assert _row(flow, sign).assignee_id == _user_id(flow, "CGW.dispatcher2")
    assert [(e["from"], e["to"]) for e in _audit(flow, sign, "assigned")] == [
        (None, "CGW.dispatcher"), ("CGW.dispatcher", "CGW.dispatcher2")]
    with pytest.raises(Conflict):  # the former holder no longer holds it
        flow.complete(sign, {}, as_="CGW.dispatcher")


def test_who_may_assign_and_to_whom(flow: Flow) -> None:
    _case, task = _report_in(flow)
    with pytest.raises(Forbidden):  # staff take work, they do not hand it out
        _assign(flow, task, "CGW.staff", as_="CGW.staff")
    with pytest.raises(NotFound):  # another department never learns the task exists
        _assign(flow, task, "ZJW.staff", as_="ZJW.dispatcher")
    for user, code in (("CGW.dispatcher", "not_candidate"), ("ZJW.staff", "not_candidate"),
                       ("nobody", "unknown_user"), ("", "unknown_user")):
        with pytest.raises(InvalidInput) as wrong:
            _assign(flow, task, user, as_="CGW.dispatcher")
        assert [(e.field, e.code) for e in wrong.value.errors] == [("user", code)], user
    with pytest.raises(InvalidInput):
        _assign(flow, task, "CGW.staff", as_="CGW.dispatcher", note="长" * 501)
    assert _row(flow, task).status == TaskStatus.OPEN
    _assign(flow, task, "CGW.head", as_="CGW.dispatcher")  # the head may do staff's work
    flow.complete(task, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.head")
    with pytest.raises(Conflict):
        _assign(flow, task, "CGW.staff", as_="CGW.dispatcher")


def test_the_holder_delegates_and_then_may_not_again(flow: Flow, make_user: Callable[..., None]) -> None:
    make_user("CGW.staff2", "第二处置人员", [("CGW", "dept_staff")])
    _case, task = _report_in(flow)
    with pytest.raises(Conflict):  # nobody holds it: that is an assignment
        _delegate(flow, task, "CGW.staff2", as_="CGW.staff")
    flow.claim(task, as_="CGW.staff")
    _delegate(flow, task, "CGW.staff2", as_="CGW.staff")
    assert _row(flow, task).assignee_id == _user_id(flow, "CGW.staff2")
    [entry] = _audit(flow, task, "delegated")
    assert (entry["from"], entry["to"]) == ("CGW.staff", "CGW.staff2")
    with pytest.raises(Forbidden):
        _delegate(flow, task, "CGW.staff", as_="CGW.staff")
    with flow.db.transaction(write=False) as session:
        colleagues = task_assignment.candidates(session, flow.actor("CGW.dispatcher"), task)[1]
    assert {c.username: c.holds_it for c in colleagues} == {"CGW.staff": False, "CGW.staff2": True,
                                                            "CGW.head": False}


def test_racing_delegations_move_the_task_once(flow: Flow, make_user: Callable[..., None]) -> None:
    targets = [f"CGW.race{n}" for n in range(RACERS)]
    for name in targets:
        make_user(name, name, [("CGW", "dept_staff")])
    _case, task = _report_in(flow)
    flow.claim(task, as_="CGW.staff")
    holder = flow.actor("CGW.staff")
    barrier = threading.Barrier(RACERS)

    def delegate(target: str) -> str:
        barrier.wait()
        try:
            with flow.db.transaction() as session:
                task_assignment.delegate(session, flow.ctx, holder, task, target, now=flow.clock.now())
        except WhistleError as error:
            assert isinstance(error, Conflict | Forbidden), error
            return "refused"
        return target

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(delegate, targets))
    winners = [r for r in results if r != "refused"]
    assert len(winners) == 1, results
    assert _row(flow, task).assignee_id == _user_id(flow, winners[0])
    assert [e["to"] for e in _audit(flow, task, "delegated")] == winners
