"""Migrating running cases between versions: a dry run per case, then a batch that leaves the unmappable."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import case_migration, incidents, repair
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import InstanceStatus, ProcessInstance, TaskEvent
from escalation.models import TaskDeadline
from tests.engine.broken_versions import (
    WHISTLE,
    broken_whistle_bytes,
    deploy_bytes,
    renamed_report_in_bytes,
)
from tests.support import WHISTLE_ANSWERS, WHISTLE_DATA, Flow

REASON = "2 版修正了到场报到环节"


def start(flow: Flow) -> int:
    """A whistle summoning CGW only, on the newest version."""
    return flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW"]}, as_="HP.officer")


def plan(flow: Flow, *, as_: str = "designer", frm: int = 1, to: int = 2) -> case_migration.MigrationReport:
    """The dry run of whistle ``frm`` -> ``to``."""
    with flow.db.transaction(write=False) as session:
        return case_migration.dry_run(session, flow.ctx, flow.actor(as_), "whistle", frm, to, now=flow.clock.now())


def apply(flow: Flow, *, as_: str = "admin", frm: int = 1, to: int = 2,
          reason: object = REASON) -> case_migration.MigrationReport:
    """Migrate whistle ``frm`` -> ``to``."""
    with flow.db.transaction() as session:
        return case_migration.migrate(session, flow.ctx, flow.actor(as_), "whistle", frm, to, reason,
                                      now=flow.clock.now())


def deadlines(flow: Flow, task_id: int) -> list[tuple[str, int, Any]]:
    """The rungs of one task."""
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(TaskDeadline.clock, TaskDeadline.level, TaskDeadline.due_at)
                               .where(TaskDeadline.task_id == task_id)).all()
    return sorted(tuple(r) for r in rows)


def test_dry_run_then_migrate_moves_the_mappable_cases_and_leaves_the_rest(flow: Flow) -> None:
    flow.deploy_policy()
    deploy_bytes(flow, WHISTLE)
    at_sign = start(flow)
    at_report_in = start(flow)
    flow.complete(flow.task(at_report_in, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"],
                  as_="CGW.dispatcher")
    sign = flow.task(at_sign, "Task_sign", "CGW")
    rungs = deadlines(flow, sign.id)
    assert rungs
    assert deploy_bytes(flow, renamed_report_in_bytes()) == 2

    dry = plan(flow)
    by_case = {p.instance_id: p for p in dry.plans}
    assert set(by_case) == {at_sign, at_report_in}
    assert by_case[at_sign].possible
    assert ("whistle_department", "Task_sign", "Task_sign") in [
        (e.process_id, e.element_id, e.target) for e in by_case[at_sign].elements]
    assert not by_case[at_report_in].possible
    assert [(e.element_id, e.target) for e in by_case[at_report_in].elements if not e.maps] == [
        ("Task_report_in", None)]
    assert flow.instance(at_sign).definition_id == flow.instance(at_report_in).definition_id  # nothing moved

    done = apply(flow)
    assert done.migrated == [at_sign]
    assert [p.instance_id for p in done.left] == [at_report_in]
    moved, stayed = flow.instance(at_sign), flow.instance(at_report_in)
    assert moved.definition_id != stayed.definition_id
    # The task keeps its row and its deadlines where its element maps.
    assert flow.task(at_sign, "Task_sign", "CGW").id == sign.id
    assert deadlines(flow, sign.id) == rungs

    # Both go on to the end, each on its own version.
    flow.complete(sign.id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    arrive = flow.task(at_sign, "Task_arrive", "CGW")
    flow.complete(arrive.id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    flow.complete(flow.task(at_sign, "Task_handle", "CGW").id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    flow.complete(flow.open_tasks(at_sign, "Task_verify")[0].id, {"satisfied": True}, as_="HP.officer")
    flow.rate(at_sign, "CGW")
    assert flow.instance(at_sign).status == InstanceStatus.COMPLETED
    flow.complete(flow.task(at_report_in, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"],
                  as_="CGW.staff")

    with flow.db.transaction(write=False) as session:
        audit = session.execute(select(TaskEvent.instance_id, TaskEvent.payload)
                                .where(TaskEvent.action == "instance_migrated")).all()
    assert [(i, p["reason"], p["from_version"], p["to_version"]) for i, p in audit] == [(at_sign, REASON, 1, 2)]


def test_only_admins_migrate_designers_may_plan(flow: Flow) -> None:
    deploy_bytes(flow, WHISTLE)
    start(flow)
    deploy_bytes(flow, renamed_report_in_bytes())
    with pytest.raises(Forbidden):
        apply(flow, as_="designer")
    with pytest.raises(Forbidden):
        plan(flow, as_="HP.officer")
    with pytest.raises(InvalidInput):
        apply(flow, reason="")
    with pytest.raises(InvalidInput):
        plan(flow, to=1)
    with pytest.raises(NotFound):
        plan(flow, to=9)


def test_the_issues_stuck_case_is_migrated_to_the_fixed_version_and_moved_on(flow: Flow,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """v2 lost the flow 签收→到场报到 and 部门办结: a case signs, then stands nowhere; v3 fixes the diagram."""
    deploy_bytes(flow, WHISTLE)
    deploy_bytes(flow, broken_whistle_bytes(), monkeypatch)
    case = start(flow)
    flow.complete(flow.task(case, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    assert flow.open_tasks(case) == [] and flow.instance(case).status == InstanceStatus.RUNNING
    with flow.db.transaction(write=False) as session:  # noted the moment it happened (engine.incidents)
        assert [i.kind for i in incidents.open_for(session, case)] == ["stuck"]
    assert deploy_bytes(flow, WHISTLE) == 3

    assert [p.possible for p in plan(flow, frm=2, to=3).plans] == [True]
    assert apply(flow, frm=2, to=3).migrated == [case]
    with flow.db.transaction(write=False) as session:
        stands = repair.where_it_stands(session, flow.ctx, flow.actor("admin"), case)
        # Still at the dead end on v3: the incident stays open until the token moves on.
        assert [i.kind for i in incidents.open_for(session, case)] == ["stuck"]
    dead = next(t for t in stands.tokens if t.state == "dead_end")
    assert dead.element_id == "Task_sign"
    with flow.db.transaction() as session:
        repair.move(session, flow.ctx, flow.actor("admin"), case, dead.id, "Task_report_in", "签收后接着到场报到",
                    now=flow.clock.now())
    with flow.db.transaction(write=False) as session:
        assert incidents.open_for(session, case) == []
    flow.complete(flow.task(case, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    flow.complete(flow.task(case, "Task_handle", "CGW").id, WHISTLE_ANSWERS["Task_handle"], as_="CGW.staff")
    flow.complete(flow.open_tasks(case, "Task_verify")[0].id, {"satisfied": True}, as_="HP.officer")
    flow.rate(case, "CGW")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    with flow.db.transaction(write=False) as session:
        actions = list(session.execute(select(TaskEvent.action).where(TaskEvent.instance_id == case)
                                       .order_by(TaskEvent.id)).scalars())
        version = session.execute(select(ProcessInstance.definition_id).where(ProcessInstance.id == case)).scalar()
    assert {"instance_migrated", "token_moved", "incident_resolved"} <= set(actions)
    assert actions.index("instance_migrated") < actions.index("token_moved") < actions.index("instance_completed")
    assert version is not None


def test_a_migrated_case_keeps_its_waiting_timer(flow: Flow) -> None:
    from engine import definitions
    from engine.validation import Bundle
    from tests.engine.test_repair import FORMS, START_DATA, TIMER_BPMN

    forms = definitions.bundle_from_path(TIMER_BPMN, FORMS).forms

    def deploy(bpmn: bytes) -> None:
        with flow.db.transaction() as session:
            definitions.deploy(session, flow.ctx, Bundle("timer_condition.bpmn", bpmn, forms=forms),
                               now=flow.clock.now())

    deploy(TIMER_BPMN.read_bytes())
    case = flow.start("timer_condition", START_DATA, as_="HP.officer")
    due = flow.instance(case).next_timer_at
    handle = flow.open_tasks(case)[0]
    flow.clock.advance(hours=1)
    deploy(TIMER_BPMN.read_bytes().replace("督促催办".encode(), "督办催办".encode()))
    with flow.db.transaction() as session:
        report = case_migration.migrate(session, flow.ctx, flow.actor("admin"), "timer_condition", 1, 2, REASON,
                                        now=flow.clock.now())
    assert report.migrated == [case]
    assert flow.instance(case).next_timer_at == due  # not restarted by the migration
    assert [t.id for t in flow.open_tasks(case)] == [handle.id]


def test_a_case_past_a_step_the_new_version_drops_stays_with_the_reason(flow: Flow) -> None:
    """v2 drops 到场报到: a case at 签收 maps (it has not been there); one past it cannot carry its history."""
    from tests.engine.broken_versions import without_report_in_bytes

    deploy_bytes(flow, WHISTLE)
    before = start(flow)
    past = start(flow)
    flow.complete(flow.task(past, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    flow.complete(flow.task(past, "Task_report_in", "CGW").id, WHISTLE_ANSWERS["Task_report_in"], as_="CGW.staff")
    deploy_bytes(flow, without_report_in_bytes())

    by_case = {p.instance_id: p for p in plan(flow).plans}
    assert by_case[before].possible
    assert [(e.element_id, e.done) for e in by_case[past].elements if not e.maps] == [("Task_report_in", True)]
    done = apply(flow)
    assert done.migrated == [before] and [p.instance_id for p in done.left] == [past]
    flow.complete(flow.task(before, "Task_sign", "CGW").id, WHISTLE_ANSWERS["Task_sign"], as_="CGW.dispatcher")
    assert flow.task(before, "Task_handle", "CGW")  # on v2, straight to 处置反馈
