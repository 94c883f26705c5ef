"""Incidents opened at the moment a case stops: a dead end after a step, a step that fails at run time."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import incidents, instances
from engine.errors import InvalidInput, ProcessFailed
from engine.models import Incident, IncidentStatus, InstanceStatus, TaskEvent
from engine.spiff import WorkflowRun
from escalation.models import Notification
from tests.incident_support import START, deploy_unchecked
from tests.support import Flow


def rows(flow: Flow, case: int) -> list[Incident]:
    """Every incident of a case, oldest first."""
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(Incident).where(Incident.instance_id == case).order_by(Incident.id))
                    .scalars())


def history(flow: Flow, case: int) -> list[str]:
    """The actions in the case's history, oldest first."""
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(TaskEvent.action).where(TaskEvent.instance_id == case)
                                    .order_by(TaskEvent.id)).scalars())


def notices(flow: Flow, username: str) -> list[Notification]:
    """A user's notifications about incidents."""
    user_id = flow.actor(username).user_id
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(Notification).where(Notification.user_id == user_id,
                                                               Notification.kind == "incident")).scalars())


def test_a_dead_end_opens_a_stuck_incident_when_the_step_before_it_is_done(flow: Flow) -> None:
    """处置反馈 has no outgoing flow: completing it leaves a running case with nothing to do, named at once."""
    deploy_unchecked(flow, "dead_end", deployed_by="designer")
    case = flow.start("dead_end", START, as_="HP.officer")
    assert rows(flow, case) == []  # a case with a task is not stuck
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    assert flow.instance(case).status == InstanceStatus.RUNNING
    [incident] = rows(flow, case)
    assert (incident.kind, incident.element_id, incident.status) == ("stuck", "Task_handle", IncidentStatus.OPEN)
    assert incident.params == {"element": "「处置反馈」"}
    assert incidents.render_plain(incident.template, incident.params) == (
        "The process has no task, timer or awaited message after 「处置反馈」; it cannot go on.")
    assert history(flow, case)[-1] == "incident_opened"
    [notice] = notices(flow, "designer")  # the designer who deployed the version, and nobody else
    assert notice.instance_id == case and notice.params["reason"]["$text"] == incidents.TEMPLATES["stuck"]
    assert notices(flow, "admin") == []


def test_without_a_known_deployer_every_designer_hears_of_it(flow: Flow) -> None:
    """A version stored without a deployer: the notice goes to the active designers."""
    deploy_unchecked(flow, "dead_end")
    case = flow.start("dead_end", START, as_="HP.officer")
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    assert len(notices(flow, "designer")) == 1


def test_a_failing_condition_is_an_incident_that_outlives_the_users_rollback(flow: Flow) -> None:
    """The gateway reads a variable this case lacks: the user gets ProcessFailed, nothing of the action is
    kept, but the incident is written in its own transaction; a second try counts, it does not pile up."""
    deploy_unchecked(flow, "failing_condition", deployed_by="designer")
    case = flow.start("failing_condition", START, as_="HP.officer")
    task = flow.task(case, "Task_handle", "ZJW")
    with pytest.raises(ProcessFailed):
        flow.complete(task.id, {"result": "已疏通"}, as_="ZJW.staff")
    assert flow.task(case, "Task_handle", "ZJW").id == task.id  # the action rolled back: the task still waits
    [incident] = rows(flow, case)
    assert (incident.kind, incident.element_id, incident.occurrences) == ("step_failed", "Gateway_urgent", 1)
    reason = incidents.render_plain(incident.template, incident.params)
    assert reason.startswith("The step 「是否紧急」 failed: the expression urgent == True failed")
    assert "completed" not in history(flow, case)
    assert history(flow, case)[-1] == "incident_opened"
    flow.clock.advance(minutes=5)
    with pytest.raises(ProcessFailed):
        flow.complete(task.id, {"result": "再次提交"}, as_="ZJW.staff")
    [again] = rows(flow, case)
    assert again.occurrences == 2 and again.last_seen_at == flow.clock.now()
    assert len(notices(flow, "designer")) == 1  # told once, not once per try


def test_bad_form_data_is_the_users_to_fix_and_opens_no_incident(flow: Flow) -> None:
    """A 422 for the user's own input (a required field missing) is not a stuck case."""
    deploy_unchecked(flow, "failing_condition")
    case = flow.start("failing_condition", START, as_="HP.officer")
    with pytest.raises(InvalidInput):
        flow.complete(flow.task(case, "Task_handle", "ZJW").id, {}, as_="ZJW.staff")
    assert rows(flow, case) == []


def test_a_failed_step_resolves_itself_once_the_case_gets_past_it(flow: Flow) -> None:
    """Answered with ``urgent`` the same step goes through; the incident closes as moved on, in the history."""
    deploy_unchecked(flow, "failing_condition")
    case = flow.start("failing_condition", START, as_="HP.officer")
    task = flow.task(case, "Task_handle", "ZJW")
    with pytest.raises(ProcessFailed):
        flow.complete(task.id, {"result": "已疏通"}, as_="ZJW.staff")
    flow.complete(task.id, {"result": "已疏通", "urgent": False}, as_="ZJW.staff")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    [row] = rows(flow, case)
    assert row.status == IncidentStatus.RESOLVED and row.resolution == "the case ended"
    assert history(flow, case)[-1] == "incident_resolved"


def test_a_stuck_case_that_moves_again_loses_its_incident(flow: Flow) -> None:
    """When the case has work again (here: its workflow is begun afresh, as a token move would), the save
    that syncs the new task resolves ``stuck``."""
    deploy_unchecked(flow, "dead_end")
    case = flow.start("dead_end", START, as_="HP.officer")
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    assert [i.status for i in rows(flow, case)] == [IncidentStatus.OPEN]
    flow.clock.advance(hours=1)
    with flow.db.transaction() as session, instances.mutate(session, flow.ctx, case, flow.clock.now()) as mutation:
        fresh = WorkflowRun.new(flow.ctx.spec_objects(session, mutation.instance.definition_id),
                                flow.ctx.evaluator, False)
        fresh.start(START, flow.clock.now())
        mutation.run = fresh
    assert flow.task(case, "Task_handle", "ZJW")
    [row] = rows(flow, case)
    assert row.status == IncidentStatus.RESOLVED and row.resolution == "the case moved on"
    assert row.resolved_at == flow.clock.now()


def test_withdrawing_a_stuck_case_closes_its_incidents(flow: Flow) -> None:
    """Nothing is left to repair in a withdrawn case: its incidents resolve with the withdrawal."""
    from engine import withdrawal

    deploy_unchecked(flow, "dead_end")
    case = flow.start("dead_end", START, as_="HP.officer")
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    with flow.db.transaction() as session:
        withdrawal.withdraw(session, flow.ctx, flow.actor("HP.officer"), case, "群众已自行解决，无需继续办理",
                            now=flow.clock.now())
    [row] = rows(flow, case)
    assert row.status == IncidentStatus.RESOLVED and row.resolution == "the case was withdrawn"
