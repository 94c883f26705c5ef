"""The 督办 ladder on a fake clock: each rung fires once, at its instant, to its targets."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine.models import HumanTask, TaskStatus, User
from escalation import extensions, supervision
from escalation.config import Escalation
from escalation.models import EscalationRecord, Notification, TaskDeadline
from escalation.sweep import SweepReport
from tests.support import SHANGHAI, Flow


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def whistle(flow: Flow) -> int:
    """An enforcement whistle on 违法建设 summoning CGW, blown Monday 2026-09-28 09:00."""
    flow.deploy_policy()
    return flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")


def fired(flow: Flow, case: int, task_id: int | None = None) -> list[tuple[str, int, str, list[str]]]:
    """(clock, level, action, targets) of every fired rung of a case (or one task), in firing order."""
    with flow.db.transaction(write=False) as session:
        query = select(EscalationRecord).where(EscalationRecord.instance_id == case)
        if task_id is not None:
            query = query.where(EscalationRecord.task_id == task_id)
        rows = session.execute(query.order_by(EscalationRecord.id)).scalars()
        return [(r.clock, r.level, r.action, r.targets) for r in rows]


def swept(flow: Flow, esc: Escalation, rungs: int) -> SweepReport:
    """Sweep once at the clock's now; exactly ``rungs`` rungs fired and nothing failed.

    A rung that fired but was never marked fired is taken again by the next sweep and fails
    there on the one-record-per-rung constraint: ``failed`` is what shows it.
    """
    report = flow.sweep(esc)
    assert (report.deadlines, report.failed) == (rungs, 0), report
    return report


def rungs(flow: Flow, task_id: int) -> dict[tuple[str, int], TaskDeadline]:
    """The deadline rows of a task by (clock, level)."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(TaskDeadline).where(TaskDeadline.task_id == task_id)).scalars()
        return {(r.clock, r.level): r for r in rows}


def test_signing_rungs_are_armed_at_the_right_instants(flow: Flow, whistle: int) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    due = {key: row.due_at.astimezone(SHANGHAI) for key, row in rungs(flow, sign.id).items()}
    # 2wh from Monday 09:00: 50% at 10:00, 80% at 10:36, the deadline at 11:00,
    # +1wd at close of Tuesday, +5wd across the National Day holidays to the 调休 Saturday.
    assert due[("report_in", 1)] == at(9, 28, 10, 0)
    assert due[("report_in", 2)] == at(9, 28, 10, 36)
    assert due[("report_in", 3)] == at(9, 28, 11, 0)
    assert due[("report_in", 4)] == at(9, 29, 17, 30)
    assert due[("report_in", 5)] == at(10, 10, 17, 30)
    assert {k for k in due if k[0] == "complete"} == {("complete", n) for n in range(1, 6)}


def test_each_rung_fires_once_at_its_instant_to_its_targets(flow: Flow, whistle: int, esc: Escalation) -> None:
    flow.clock.set(at(9, 28, 9, 59))
    swept(flow, esc, 0)
    flow.clock.set(at(9, 28, 10, 0))
    # The 签收 task's two clocks share limit and start: one deadline, each rung fires once for both.
    swept(flow, esc, 1)
    swept(flow, esc, 0)  # exactly once
    assert fired(flow, whistle) == [("report_in", 1, "remind", ["CGW.dispatcher"])]
    flow.clock.set(at(9, 28, 10, 36))
    swept(flow, esc, 1)
    swept(flow, esc, 0)
    assert fired(flow, whistle)[1:] == [("report_in", 2, "notify", ["CGW.head"])]
    flow.clock.set(at(9, 28, 11, 0))
    swept(flow, esc, 1)
    swept(flow, esc, 0)
    assert all(row.fired_at is not None for key, row in rungs(flow, flow.task(whistle, "Task_sign", "CGW").id).items()
               if key[1] <= 3)
    assert fired(flow, whistle)[2:] == [("report_in", 3, "overdue_duban", ["CGW.head", "DCS.supervisor"])]
    with flow.db.transaction(write=False) as session:
        head = session.execute(select(User).where(User.username == "CGW.head")).scalar_one()
        notes = session.execute(select(Notification).where(Notification.user_id == head.id)).scalars().all()
    assert [n.kind for n in notes] == ["notify", "overdue_duban"]
    assert all(n.params["case_id"] == whistle for n in notes)


def test_signing_stops_the_report_in_clock(flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(at(9, 28, 10, 40))
    flow.claim(sign.id, as_="CGW.dispatcher")
    flow.clock.set(at(9, 28, 11, 0))
    swept(flow, esc, 3)  # levels 1-3 of the completion clock; the report-in clock stopped before its first rung
    swept(flow, esc, 0)
    clocks = [(clock, level) for clock, level, _, _ in fired(flow, whistle)]
    assert ("report_in", 3) not in clocks  # stopped at 10:40, before its deadline
    assert ("complete", 3) in clocks
    assert rungs(flow, sign.id)[("report_in", 3)].stopped_at == at(9, 28, 10, 40)


def test_completing_stops_the_completion_clock_and_clears_the_board(flow: Flow, whistle: int,
                                                                    esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.clock.set(at(9, 28, 11, 30))
    swept(flow, esc, 3)  # levels 1-3, once for both clocks
    with flow.db.transaction(write=False) as session:
        board, _ = supervision.overdue(session, flow.clock.now())
    assert [(r.task_id, r.clock, r.level, r.lateness_seconds) for r in board] == [
        (sign.id, "report_in", 3, 1800.0)]  # late on both clocks: one row
    flow.complete(sign.id, {}, as_="CGW.dispatcher")
    with flow.db.transaction(write=False) as session:
        board, _ = supervision.overdue(session, flow.clock.now())
    assert board == []
    flow.clock.set(at(10, 20, 9, 0))
    swept(flow, esc, 5)  # only the report-in task's arrival clock (five rungs) still ran
    swept(flow, esc, 0)
    assert sorted((c, lv) for c, lv, _, _ in fired(flow, whistle, sign.id)) == [
        ("report_in", 1), ("report_in", 2), ("report_in", 3)]
    assert fired(flow, whistle) != fired(flow, whistle, sign.id)  # later tasks' clocks do run


def test_arrival_counts_from_the_whistle_not_from_signing(flow: Flow, whistle: int) -> None:
    flow.clock.set(at(9, 28, 16, 0))
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    report_in = flow.task(whistle, "Task_report_in", "CGW")
    # arrive: 1wd from the whistle (Monday 09:00) -> close of business Tuesday.
    assert rungs(flow, report_in.id)[("complete", 3)].deadline_at == at(9, 29, 17, 30)


def test_an_approved_extension_moves_the_deadline(flow: Flow, whistle: int, esc: Escalation) -> None:
    flow.complete(flow.task(whistle, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(whistle, "Task_report_in", "CGW").id, {"on_site_staff": "两人"}, as_="CGW.staff")
    handle = flow.task(whistle, "Task_handle", "CGW")
    # 7wd from Monday 2026-09-28, skipping the National Day week, counting the 调休 Saturday.
    assert rungs(flow, handle.id)[("complete", 3)].deadline_at == at(10, 13, 17, 30)
    with flow.db.transaction() as session:
        asked = extensions.request(session, esc, flow.actor("CGW.staff"), handle.id, clock="complete",
                                   extension="2wd", reason="需协调产权单位", now=flow.clock.now())
    with flow.db.transaction() as session:
        extensions.decide(session, esc, flow.actor("CGW.head"), asked.id, approve=True, note="同意",
                          now=flow.clock.now())
    moved = rungs(flow, handle.id)
    assert moved[("complete", 3)].deadline_at == at(10, 15, 17, 30)
    assert moved[("complete", 3)].due_at == at(10, 15, 17, 30)
    assert moved[("complete", 4)].due_at == at(10, 16, 17, 30)
    flow.clock.set(at(10, 14, 9, 0))
    # The unclaimed task's report-in clock (five rungs) and levels 1-2 of the moved completion clock.
    swept(flow, esc, 7)
    completion = [lv for c, lv, _, _ in fired(flow, whistle, handle.id) if c == "complete"]
    assert 3 not in completion  # past the old deadline, not yet the new one
    flow.clock.set(at(10, 15, 17, 30))
    swept(flow, esc, 1)
    swept(flow, esc, 0)
    completion = [lv for c, lv, _, _ in fired(flow, whistle, handle.id) if c == "complete"]
    assert completion == [1, 2, 3]


def test_extensions_are_decided_by_the_head_only_once(flow: Flow, whistle: int, esc: Escalation) -> None:
    from engine.errors import Conflict, Forbidden, InvalidInput

    sign = flow.task(whistle, "Task_sign", "CGW")
    with flow.db.transaction() as session, pytest.raises(InvalidInput):
        extensions.request(session, esc, flow.actor("CGW.dispatcher"), sign.id, clock="soon", extension="2 weeks",
                           reason="", now=flow.clock.now())
    with flow.db.transaction() as session:
        asked = extensions.request(session, esc, flow.actor("CGW.dispatcher"), sign.id, clock="complete",
                                   extension="1wh", reason="人手不足", now=flow.clock.now())
    with flow.db.transaction() as session, pytest.raises(Forbidden):
        extensions.decide(session, esc, flow.actor("CGW.staff"), asked.id, approve=True, note="",
                          now=flow.clock.now())
    with flow.db.transaction() as session:
        extensions.decide(session, esc, flow.actor("CGW.head"), asked.id, approve=False, note="不同意",
                          now=flow.clock.now())
    with flow.db.transaction() as session, pytest.raises(Conflict):
        extensions.decide(session, esc, flow.actor("CGW.head"), asked.id, approve=True, note="",
                          now=flow.clock.now())
    assert rungs(flow, sign.id)[("complete", 3)].deadline_at == at(9, 28, 11, 0)


def test_five_working_days_late_hands_the_task_to_the_head(flow: Flow, whistle: int, esc: Escalation) -> None:
    sign = flow.task(whistle, "Task_sign", "CGW")
    flow.claim(sign.id, as_="CGW.dispatcher")
    flow.clock.set(at(10, 10, 17, 30))
    swept(flow, esc, 5)  # levels 1-5 of the completion clock; claiming at once stopped the report-in clock
    swept(flow, esc, 0)
    levels = [(c, lv) for c, lv, _, _ in fired(flow, whistle)]
    assert ("complete", 5) in levels
    with flow.db.transaction(write=False) as session:
        task = session.get(HumanTask, sign.id)
    assert task.status == TaskStatus.OPEN and task.assignee_id is None
    assert task.role is not None and task.role == "dept_head"
    escalate = [t for c, lv, a, t in fired(flow, whistle) if lv == 5 and c == "complete"]
    assert escalate == [["QLD.leader"]]
