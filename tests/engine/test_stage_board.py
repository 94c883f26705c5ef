"""The street's board takes its stages from the catalog of the case's version, on both databases."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import stages, whistles
from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance
from tests.support import WHISTLE_DATA, Flow

PATROL = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "boards" / "joint_patrol.bpmn"


def _board(flow: Flow, case: int) -> whistles.Board:
    with flow.db.transaction(write=False) as session:
        return whistles.board(session, flow.actor("HP.officer"), case)


def _row(flow: Flow, case: int, code: str) -> whistles.DepartmentProgress:
    return next(r for r in _board(flow, case).departments if r.code == code)


def _states(flow: Flow, case: int, code: str) -> list[tuple[str, str]]:
    return [(s.key, s.state) for s in _row(flow, case, code).stages]


def _listed(flow: Flow, case: int) -> tuple[int, int]:
    with flow.db.transaction(write=False) as session:
        rows, _more = whistles.street_whistles(session, flow.actor("HP.officer"))
    row = next(r for r in rows if r.id == case)
    return row.summoned, row.departments_done


def test_another_fan_out_shows_its_own_stages_its_street_tasks_and_its_loop_backs(flow: Flow) -> None:
    flow.deploy()  # its start form stays deployed for the patrol version, which brings only its own form
    assert flow.deploy(PATROL).created
    case = flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW", "ZJW"]}, as_="HP.officer")
    board = _board(flow, case)
    assert [(c.key, c.label) for c in board.stages] == [
        ("Task_accept", "接单"), ("Task_patrol", "联合巡查"), ("Task_close", "街道销号")]
    assert [r.code for r in board.departments] == ["CGW", "ZJW"]
    assert _states(flow, case, "CGW") == [("Task_accept", "running"), ("Task_patrol", "waiting"),
                                          ("Task_close", "waiting")]
    assert [s.label for s in _row(flow, case, "CGW").stages] == ["接单", "联合巡查", "街道销号"]
    # The list counts a unit summoned at its first stage and finished at its last, whatever their ids.
    assert _listed(flow, case) == (2, 0)
    for element, who in (("Task_accept", "ZJW.dispatcher"), ("Task_patrol", "ZJW.staff")):
        flow.complete(flow.task(case, element, "ZJW").id, {}, as_=who)
    flow.complete(_row(flow, case, "ZJW").street_tasks[0].id, {"again": False}, as_="HP.officer")
    assert _states(flow, case, "ZJW") == [("Task_accept", "done"), ("Task_patrol", "done"), ("Task_close", "done")]
    assert _row(flow, case, "ZJW").sent_back == 0

    flow.complete(flow.task(case, "Task_accept", "CGW").id, {}, as_="CGW.dispatcher")
    flow.complete(flow.task(case, "Task_patrol", "CGW").id, {}, as_="CGW.staff")
    row = _row(flow, case, "CGW")
    assert [(s.key, s.state) for s in row.stages][2] == ("Task_close", "running")
    assert _listed(flow, case) == (2, 1)  # ZJW has passed its last stage, CGW only its first two
    # 街道销号 sits in a street lane: the street does it, so it is the street's task on the board.
    assert [t.element_id for t in row.street_tasks] == ["Task_close"] and row.street_tasks[0].may_work
    assert _row(flow, case, "ZJW").street_tasks == []

    flow.complete(row.street_tasks[0].id, {"again": True}, as_="HP.officer")  # 再巡一次: the loop back
    row = _row(flow, case, "CGW")
    assert [(s.key, s.state, s.rounds) for s in row.stages] == [
        ("Task_accept", "done", 1), ("Task_patrol", "running", 2), ("Task_close", "waiting", 1)]
    assert row.sent_back == 1 and row.street_tasks == []

    flow.complete(flow.task(case, "Task_patrol", "CGW").id, {}, as_="CGW.staff")
    flow.complete(_row(flow, case, "CGW").street_tasks[0].id, {"again": False}, as_="HP.officer")
    assert _states(flow, case, "CGW") == [("Task_accept", "done"), ("Task_patrol", "done"), ("Task_close", "done")]
    assert flow.instance(case).status == InstanceStatus.COMPLETED


def test_a_case_keeps_the_stages_of_its_own_version_when_another_is_deployed(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    flow.deploy(PATROL)
    assert [c.key for c in _board(flow, case).stages] == ["sign", "report_in", "handle", "verify", "rate"]


def test_a_version_deployed_before_stages_were_catalogued_still_shows_its_board(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    with flow.db.transaction() as session:  # as stored by a release without stages in the catalog
        definition = session.execute(select(ProcessDefinition).join(
            ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(ProcessInstance.id == case)).scalar_one()
        definition.catalog = {k: v for k, v in definition.catalog.items() if k != "stages"}
    with flow.db.transaction(write=False) as session:
        assert "stages" not in session.get(ProcessDefinition, definition.id).catalog
    stages.forget()  # as a server started after the upgrade: nothing read yet
    flow.run_department(flow_case := case, "CGW", satisfied=False)  # sent back once
    board = _board(flow, flow_case)
    assert [(c.key, c.label) for c in board.stages] == [
        ("sign", "签收"), ("report_in", "到场报到"), ("handle", "处置反馈"), ("verify", "核验"), ("rate", "评价")]
    row = board.departments[0]
    assert [(s.key, s.state) for s in row.stages] == [("sign", "done"), ("report_in", "done"), ("handle", "running"),
                                                      ("verify", "waiting"), ("rate", "waiting")]
    assert row.sent_back == 1
