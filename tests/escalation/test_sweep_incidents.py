"""What the worker's sweep cannot do becomes an incident within one sweep, once, instead of a silent retry."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from engine.models import Incident, IncidentStatus, ProcessInstance, TaskEvent
from escalation import sweep as sweep_module
from escalation.config import Escalation
from escalation.models import TaskDeadline
from tests.incident_support import START, deploy_unchecked
from tests.support import Flow


def incidents_of(flow: Flow, case: int) -> list[Incident]:
    """Every incident of a case, oldest first."""
    with flow.db.transaction(write=False) as session:
        return list(session.execute(select(Incident).where(Incident.instance_id == case).order_by(Incident.id))
                    .scalars())


def actions(flow: Flow, case: int, action: str) -> int:
    """How many history rows of ``action`` the case has."""
    with flow.db.transaction(write=False) as session:
        return session.execute(select(func.count(TaskEvent.id)).where(TaskEvent.instance_id == case,
                                                                      TaskEvent.action == action)).scalar_one()


def test_a_stuck_case_nobody_noticed_is_found_by_one_sweep(flow: Flow, esc: Escalation) -> None:
    """A dead end from before incidents existed (its incident removed here): one sweep names it."""
    deploy_unchecked(flow, "dead_end")
    case = flow.start("dead_end", START, as_="HP.officer")
    flow.complete(flow.task(case, "Task_handle", "ZJW").id, {"result": "已疏通"}, as_="ZJW.staff")
    with flow.db.transaction() as session:
        session.execute(delete(Incident).where(Incident.instance_id == case))
    report = flow.sweep(esc)
    [incident] = incidents_of(flow, case)
    assert (incident.kind, incident.element_id, report.incidents) == ("stuck", "Task_handle", 1)
    assert actions(flow, case, "incident_opened") == 2  # once at the moment, once by the sweep
    flow.clock.advance(minutes=30)
    assert flow.sweep(esc).incidents == 0  # an open incident keeps the case out of the scan
    assert len(incidents_of(flow, case)) == 1


def test_cases_that_wait_for_work_are_not_stuck(flow: Flow, esc: Escalation) -> None:
    """A case with an open task, and one waiting on a timer, open nothing."""
    deploy_unchecked(flow, "dead_end")
    working = flow.start("dead_end", START, as_="HP.officer")
    deploy_unchecked(flow, "timer_wait")
    waiting = flow.start("timer_wait", START, as_="HP.officer")
    with flow.db.transaction() as session:  # no timer column: the scan must load the workflow to see the wait
        session.get(ProcessInstance, waiting).next_timer_at = None
    assert flow.sweep(esc).incidents == 0
    assert incidents_of(flow, working) == incidents_of(flow, waiting) == []


def test_a_failing_timer_opens_one_incident_and_stops_spinning(flow: Flow, esc: Escalation) -> None:
    """The timer leads to a failing gateway: the first sweep opens timer_failed with the element and stops
    the timer; later sweeps do not try again, so the history holds one timer_failed row, not one per five minutes."""
    deploy_unchecked(flow, "failing_timer", deployed_by="designer")
    case = flow.start("failing_timer", START, as_="HP.officer")
    flow.clock.advance(hours=2, seconds=1)
    report = flow.sweep(esc, failures=1)
    assert report.incidents == 1
    [incident] = incidents_of(flow, case)
    assert (incident.kind, incident.element_id, incident.status) == ("timer_failed", "Gateway_urgent",
                                                                     IncidentStatus.OPEN)
    assert incident.params["element"] == "「是否紧急」"
    assert "urgent" in str(incident.params["reason"]) and incident.detail
    assert flow.instance(case).next_timer_at is None
    for _ in range(3):
        flow.clock.advance(minutes=6)
        assert flow.sweep(esc).timers == 0
    assert actions(flow, case, "timer_failed") == 1
    assert actions(flow, case, "incident_opened") == 1
    assert incidents_of(flow, case)[0].occurrences == 1


def test_a_rung_abandoned_after_its_attempts_is_an_incident(flow: Flow, esc: Escalation,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Three failed firings: the rung is given up, and now someone is told, with the last error."""
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"])

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the notifier is down")

    monkeypatch.setattr(sweep_module.ladder, "fire", broken)
    with flow.db.transaction(write=False) as session:
        first = session.execute(select(TaskDeadline).where(TaskDeadline.instance_id == case)
                                .order_by(TaskDeadline.due_at, TaskDeadline.id).limit(1)).scalar_one()
    flow.clock.set(first.due_at + timedelta(seconds=1))
    due = None
    for attempt in range(sweep_module.MAX_ATTEMPTS):
        report = sweep_module.sweep(flow.db, flow.ctx, esc, flow.clock.now())
        due = due or report.failed
        assert report.failed == due and report.failed >= 1
        opened = [i for i in incidents_of(flow, case) if i.kind == "deadline_failed"]
        assert len(opened) == (due if attempt == sweep_module.MAX_ATTEMPTS - 1 else 0)
    assert sweep_module.sweep(flow.db, flow.ctx, esc, flow.clock.now()).failed == 0  # given up: not taken again
    incident = next(i for i in incidents_of(flow, case) if i.subject == f"deadline:{first.id}")
    assert incident.kind == "deadline_failed" and incident.params["attempts"] == 3
    assert "the notifier is down" in incident.detail


def test_a_timer_that_cannot_be_read_is_logged_and_becomes_an_incident(
        flow: Flow, esc: Escalation, caplog: pytest.LogCaptureFixture) -> None:
    """A waiting timer whose stored instant is not one (an older library wrote it): never silently skipped."""
    deploy_unchecked(flow, "timer_wait")
    case = flow.start("timer_wait", START, as_="HP.officer")
    with flow.db.transaction() as session:
        instance = session.get(ProcessInstance, case)
        state = json.loads(instance.state)
        spoiled = 0
        for task in _tasks(state):
            if "event_value" in task.get("internal_data", {}):
                task["internal_data"]["event_value"] = "下周一上午"
                spoiled += 1
        assert spoiled == 1
        instance.state = json.dumps(state, ensure_ascii=False)
        instance.next_timer_at = None  # what a save stores when it cannot read the timer
    with caplog.at_level(logging.WARNING, logger="engine"):
        report = flow.sweep(esc)
    [incident] = incidents_of(flow, case)
    assert (incident.kind, incident.element_id, report.incidents) == ("timer_unreadable", "Timer_wait", 1)
    assert incident.params["value"] == "'下周一上午'"
    assert any("cannot be read" in r.getMessage() for r in caplog.records)


def _tasks(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every serialized task of a stored workflow, subprocesses included."""
    found = list(state.get("tasks", {}).values())
    for sub in state.get("subprocesses", {}).values():
        found += list(sub.get("tasks", {}).values())
    return found
