"""Withdrawing a case (撤销): open tasks cancelled, clocks stopped, people told why, nothing deleted."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine import tasks, withdrawal
from engine.cases import case_record, element_states
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import HumanTask, InstanceStatus, ProcessInstance, TaskEvent, TaskStatus, User
from escalation.config import Escalation
from escalation.models import EscalationRecord, Notification, TaskDeadline
from tests.support import SHANGHAI, Flow

REASON = "重复吹哨，已并入第1号案件"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def withdraw(flow: Flow, case: int, *, as_: str, reason: object = REASON) -> ProcessInstance:
    """Withdraw ``case`` as ``as_`` in one transaction."""
    with flow.db.transaction() as session:
        return withdrawal.withdraw(session, flow.ctx, flow.actor(as_), case, reason, now=flow.clock.now())


@pytest.fixture
def whistle(flow: Flow) -> int:
    """A whistle summoning CGW and ZJW at Monday 2026-09-28 09:00, with the policies armed."""
    flow.deploy_policy()
    flow.clock.set(at(9, 28, 9, 0))
    return flow.blow(departments=["CGW", "ZJW"], whistle_type="enforcement", category="WFJS")


def test_withdrawal_cancels_every_open_task_and_stops_their_clocks(flow: Flow, whistle: int,
                                                                     esc: Escalation) -> None:
    flow.claim(flow.task(whistle, "Task_sign", "CGW").id, as_="CGW.dispatcher")
    flow.clock.set(at(9, 28, 9, 40))
    withdraw(flow, whistle, as_="HP.officer")

    instance = flow.instance(whistle)
    assert (instance.status, instance.completed_at, instance.next_timer_at) == (
        InstanceStatus.CANCELLED, at(9, 28, 9, 40), None)
    assert flow.open_tasks(whistle) == []
    with flow.db.transaction(write=False) as session:
        statuses = session.execute(select(HumanTask.status, func.count()).where(HumanTask.instance_id == whistle)
                                   .group_by(HumanTask.status)).all()
        running = session.execute(select(func.count()).select_from(TaskDeadline).where(
            TaskDeadline.instance_id == whistle, TaskDeadline.stopped_at.is_(None),
            TaskDeadline.fired_at.is_(None))).scalar_one()
    assert statuses == [(TaskStatus.CANCELLED, 2)]
    assert running == 0
    # A week later the ladder has nothing to say about a withdrawn case.
    flow.clock.set(at(10, 20, 9, 0))
    flow.sweep(esc)
    with flow.db.transaction(write=False) as session:
        assert session.execute(select(EscalationRecord.id).where(EscalationRecord.instance_id == whistle)).all() == []


def test_the_reason_is_in_the_history_and_reaches_the_people_of_each_task(flow: Flow, whistle: int) -> None:
    flow.claim(flow.task(whistle, "Task_sign", "CGW").id, as_="CGW.dispatcher")
    withdraw(flow, whistle, as_="HP.officer")
    with flow.db.transaction(write=False) as session:
        events = session.execute(select(TaskEvent.action, TaskEvent.payload).where(TaskEvent.instance_id == whistle)
                                 .order_by(TaskEvent.id)).all()
        notes = session.execute(select(User.username, Notification.kind, Notification.params)
                                .join(User, User.id == Notification.user_id)
                                .where(Notification.instance_id == whistle).order_by(User.username)).all()
        record = case_record(session, flow.actor("ZJW.dispatcher"), whistle)
        states = element_states(session, flow.ctx, flow.actor("HP.officer"), whistle)
    actions = [action for action, _ in events]
    assert actions[-3:] == ["instance_cancelled", "task_cancelled", "task_cancelled"]
    assert events[-3][1] == {"reason": REASON}
    # CGW's claimed task reaches its holder; ZJW's unclaimed one every dispatcher who could have taken it.
    assert [(user, kind) for user, kind, _ in notes] == [("CGW.dispatcher", "withdrawn"),
                                                         ("ZJW.dispatcher", "withdrawn")]
    assert all(params["reason"] == REASON and params["case_id"] == whistle for _, _, params in notes)
    # The record stays readable to every department that took part, and the diagram still loads.
    assert record.instance.status == InstanceStatus.CANCELLED and record.open_tasks == []
    assert states["Start_whistle"] == {"completed": 1, "active": 0}
    assert not any(counts["active"] for counts in states.values())


@pytest.mark.parametrize("who", ["HP.leader", "admin"])
def test_the_street_leader_and_an_admin_may_withdraw_too(flow: Flow, whistle: int, who: str) -> None:
    assert withdraw(flow, whistle, as_=who).status == InstanceStatus.CANCELLED


@pytest.mark.parametrize(("who", "error"), [("CGW.dispatcher", Forbidden), ("DCS.supervisor", Forbidden),
                                            ("XH.officer", NotFound)])
def test_others_may_not_withdraw_and_nothing_changes(flow: Flow, whistle: int, who: str,
                                                     error: type[Exception]) -> None:
    before = flow.instance(whistle).revision
    with pytest.raises(error):
        withdraw(flow, whistle, as_=who)
    after = flow.instance(whistle)
    assert after.status == InstanceStatus.RUNNING and len(flow.open_tasks(whistle)) == 2
    assert after.revision == before


@pytest.mark.parametrize("reason", ["", "  ", "x", None, 42, "很" * 501])
def test_a_reason_is_required_and_bounded(flow: Flow, whistle: int, reason: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        withdraw(flow, whistle, as_="HP.officer", reason=reason)
    assert [e.field for e in caught.value.errors] == ["reason"]
    assert flow.instance(whistle).status == InstanceStatus.RUNNING


def test_a_withdrawn_case_takes_no_more_work(flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "ZJW")
    withdraw(flow, whistle, as_="HP.officer")
    with pytest.raises(Conflict):
        withdraw(flow, whistle, as_="HP.officer")
    with pytest.raises(Conflict), flow.db.transaction() as session:
        tasks.complete(session, flow.ctx, flow.actor("ZJW.dispatcher"), sign.id, {}, now=flow.clock.now())


def test_a_closed_case_cannot_be_withdrawn(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.run_department(case, "CGW")
    flow.rate(case, "CGW")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    with pytest.raises(Conflict):
        withdraw(flow, case, as_="HP.officer")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
