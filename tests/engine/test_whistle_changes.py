"""Refusing a whistle (退单 → 改派 / 不再召集) and summoning one more department (追加召集部门), on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import whistle_changes, whistles
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import InstanceStatus, TaskEvent
from escalation.models import Notification, TaskDeadline
from tests.support import WHISTLE_ANSWERS, Flow

REFUSAL = {"decision": "refuse", "refuse_reason": "楼顶违建由规自委查处，不属城管委职责"}


def _refuse(flow: Flow, case: int, department: str) -> None:
    flow.complete(flow.task(case, "Task_sign", department).id, REFUSAL, as_=f"{department}.dispatcher")


def _reassign_task(flow: Flow, case: int) -> int:
    found = flow.open_tasks(case, "Task_reassign")
    assert len(found) == 1, found
    return found[0].id


def _add(flow: Flow, case: int, department: str, reason: str = "现场发现燃气管线受损", *,
         as_: str = "HP.officer") -> None:
    with flow.db.transaction() as session:
        whistle_changes.add_department(session, flow.ctx, flow.actor(as_), case, department, reason,
                                       now=flow.clock.now())


def _events(flow: Flow, case: int, action: str) -> list[TaskEvent]:
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(TaskEvent).where(TaskEvent.instance_id == case,
                                                            TaskEvent.action == action)).scalars())


def test_refused_whistle_is_resummoned_to_another_department_which_signs_and_the_whistle_completes(
        flow: Flow) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"])
    _refuse(flow, case, "CGW")
    reassign = _reassign_task(flow, case)
    with flow.db.transaction(write=False) as session:  # the street's task has the sign clock, and the street got it
        assert session.execute(select(TaskDeadline.id).where(TaskDeadline.task_id == reassign)).first() is not None
        officer = flow.actor("HP.officer").user_id
        assert session.execute(select(Notification.kind).where(
            Notification.user_id == officer, Notification.task_id == reassign)).scalars().all() == ["returned"]
    assert flow.open_tasks(case, "Task_report_in") == []  # nothing goes on for the refusing department
    flow.complete(reassign, {"resummon": True, "department": "GHZY"}, as_="HP.officer")
    assert flow.task(case, "Task_sign", "GHZY").context["department"] == "GHZY"
    assert flow.open_tasks(case, department="CGW") == []
    flow.run_department(case, "GHZY")
    flow.rate(case, "GHZY")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    with flow.db.transaction(write=False) as session:
        board = whistles.board(session, flow.actor("HP.officer"), case)
    rows = {r.code: r for r in board.departments}
    assert list(rows) == ["CGW", "GHZY"]
    assert rows["CGW"].refusal is not None and rows["CGW"].refusal.reason == REFUSAL["refuse_reason"]
    assert rows["CGW"].refusal.resummoned == "GHZY" and rows["GHZY"].refusal is None
    assert [s.state for s in rows["GHZY"].stages] == ["done"] * 5


def test_street_may_summon_no_other_department_and_the_whistle_ends(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    _refuse(flow, case, "CGW")
    with pytest.raises(InvalidInput) as refused:  # 不再召集 needs a reason
        flow.complete(_reassign_task(flow, case), {"resummon": False}, as_="HP.officer")
    assert [e.field for e in refused.value.errors] == ["drop_reason"]
    flow.complete(_reassign_task(flow, case), {"resummon": False, "drop_reason": "已由街道自行处置"}, as_="HP.officer")
    assert flow.open_tasks(case, "Task_sign", "CGW") == []
    flow.run_department(case, "ZJW")
    flow.rate(case, "ZJW")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    with flow.db.transaction(write=False) as session:
        row = next(r for r in whistles.board(session, flow.actor("HP.officer"), case).departments if r.code == "CGW")
    assert row.refusal is not None and row.refusal.dropped == "已由街道自行处置" and row.refusal.resummoned is None


def test_refusal_needs_a_reason_and_resummoning_keeps_the_start_rules(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    with pytest.raises(InvalidInput) as refused:
        flow.complete(flow.task(case, "Task_sign", "CGW").id, {"decision": "refuse"}, as_="CGW.dispatcher")
    assert [e.field for e in refused.value.errors] == ["refuse_reason"]
    _refuse(flow, case, "CGW")
    reassign = _reassign_task(flow, case)
    for code, why in (("HP", "not_summonable"), ("ZJW", "already_summoned"), ("CGW", "just_refused"),
                      ("NOPE", "unknown_department")):
        with pytest.raises(InvalidInput) as wrong:
            flow.complete(reassign, {"resummon": True, "department": code}, as_="HP.officer")
        assert [(e.field, e.code) for e in wrong.value.errors] == [("department", why)], code
    with pytest.raises(InvalidInput):  # 改派 without a department
        flow.complete(reassign, {"resummon": True}, as_="HP.officer")


def test_signing_without_a_decision_still_signs(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    assert flow.task(case, "Task_report_in", "CGW")
    assert _events(flow, case, "completed")[0].payload["data"]["decision"] == "sign"


def test_a_department_added_mid_flight_signs_and_the_whistle_waits_for_it(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.run_department(case, "CGW")
    _add(flow, case, "ZJW")
    _add(flow, case, "SWJ", "需要水务局排查管线")  # as often as needed
    assert {t.context["department"] for t in flow.open_tasks(case, "Task_sign")} == {"ZJW", "SWJ"}
    flow.rate(case, "CGW")  # the original department is done: the whistle still waits for the added ones
    assert flow.instance(case).status == InstanceStatus.RUNNING
    flow.run_department(case, "ZJW")
    flow.rate(case, "ZJW")
    assert flow.instance(case).status == InstanceStatus.RUNNING
    flow.run_department(case, "SWJ")
    flow.rate(case, "SWJ")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    added = _events(flow, case, "department_added")
    assert [(e.payload["department"], e.payload["reason"]) for e in added] == [
        ("ZJW", "现场发现燃气管线受损"), ("SWJ", "需要水务局排查管线")]
    with flow.db.transaction(write=False) as session:
        rows = whistles.board(session, flow.actor("HP.officer"), case).departments
    assert [(r.code, r.added) for r in rows] == [("CGW", None), ("ZJW", "现场发现燃气管线受损"),
                                                  ("SWJ", "需要水务局排查管线")]


def test_adding_a_department_is_refused_when_it_cannot_be(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    for code, why in (("CGW", "already_summoned"), ("HP", "not_summonable"), ("NOPE", "unknown_department")):
        with pytest.raises(InvalidInput) as wrong:
            _add(flow, case, code)
        assert [e.code for e in wrong.value.errors] == [why], code
    with pytest.raises(InvalidInput) as no_reason:
        _add(flow, case, "ZJW", " ")
    assert [e.field for e in no_reason.value.errors] == ["reason"]
    with pytest.raises(Forbidden):  # the street's leader follows the whistle, its officers summon
        _add(flow, case, "ZJW", as_="HP.leader")
    with pytest.raises(NotFound):  # another street, or a department, never learns the case exists
        _add(flow, case, "ZJW", as_="CGW.dispatcher")
    flow.run_department(case, "CGW")
    flow.rate(case, "CGW")
    with pytest.raises(Conflict):  # closed
        _add(flow, case, "ZJW")
    assert _events(flow, case, "department_added") == []


def test_a_department_that_finished_may_be_summoned_again(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])
    flow.run_department(case, "CGW")
    flow.rate(case, "CGW")
    _add(flow, case, "CGW", "违建复发，需再次处置")
    assert flow.task(case, "Task_sign", "CGW")


def test_the_street_list_counts_departments_summoned_now(flow: Flow) -> None:
    case = flow.blow(departments=["CGW", "ZJW"])

    def count() -> int:
        with flow.db.transaction(write=False) as session:
            rows, _more = whistles.street_whistles(session, flow.actor("HP.officer"))
        return next(r.summoned for r in rows if r.id == case)

    assert count() == 2
    _add(flow, case, "SWJ")
    assert count() == 3
    _refuse(flow, case, "CGW")
    assert count() == 3  # until the street decides
    flow.complete(_reassign_task(flow, case), {"resummon": True, "department": "GHZY"}, as_="HP.officer")
    assert count() == 3
    _refuse(flow, case, "GHZY")
    flow.complete(_reassign_task(flow, case), {"resummon": False, "drop_reason": "街道自行处置"}, as_="HP.officer")
    assert count() == 2
