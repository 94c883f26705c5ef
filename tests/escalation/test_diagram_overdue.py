"""Overdue counts per diagram element: waiting tasks past a running clock's deadline."""
from __future__ import annotations

from datetime import datetime

import pytest

from escalation.diagram_overdue import overdue_counts
from tests.support import SHANGHAI, Flow


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def overdue(flow: Flow, definition_id: int) -> dict[str, int]:
    """The overdue counts of a version at the fake clock's now."""
    with flow.db.transaction(write=False) as session:
        return overdue_counts(session, definition_id, flow.clock.now())


@pytest.fixture
def case(flow: Flow) -> int:
    """An enforcement whistle summoning GHZY and CGW, blown Monday 2026-09-28 09:00 (signing limit 2wh)."""
    flow.deploy_policy()
    return flow.blow(departments=["GHZY", "CGW"], whistle_type="enforcement", category="WFJS")


def test_nothing_is_overdue_before_the_deadline(flow: Flow, case: int) -> None:
    version = flow.deploy().definition.id
    flow.clock.set(at(9, 28, 10, 59))
    assert overdue(flow, version) == {}


def test_tasks_past_the_deadline_count_once_per_task(flow: Flow, case: int) -> None:
    version = flow.deploy().definition.id
    flow.clock.set(at(9, 28, 11, 0))  # both the report-in and the completion clock of signing are due now
    assert overdue(flow, version) == {"Task_sign": 2}


def test_stopped_clocks_and_finished_tasks_are_not_overdue(flow: Flow, case: int) -> None:
    version = flow.deploy().definition.id
    flow.clock.set(at(9, 28, 11, 30))
    flow.claim(flow.task(case, "Task_sign", "GHZY").id, as_="GHZY.dispatcher")
    # Claiming stops only the report-in clock: the completion clock still runs late.
    assert overdue(flow, version) == {"Task_sign": 2}
    flow.complete(flow.task(case, "Task_sign", "CGW").id, {}, as_="CGW.dispatcher")
    assert overdue(flow, version) == {"Task_sign": 1}


def test_other_versions_are_not_counted(flow: Flow, case: int) -> None:
    version = flow.deploy().definition.id
    flow.clock.set(at(9, 29, 9, 0))
    assert overdue(flow, version + 1000) == {}
    assert overdue(flow, version)["Task_sign"] == 2
