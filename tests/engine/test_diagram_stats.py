"""Waiting counts per diagram element: open and claimed tasks of the running cases of one version."""
from __future__ import annotations

from pathlib import Path

from engine.diagram_stats import waiting_counts
from engine.models import InstanceStatus
from tests.support import WHISTLE_DATA, WHISTLE_PACK, Flow


def counts(flow: Flow, definition_id: int) -> dict[str, int]:
    """The waiting counts of a version, read in a fresh transaction."""
    with flow.db.transaction(write=False) as session:
        return waiting_counts(session, definition_id)


def test_counts_open_and_claimed_tasks_per_element_across_cases(flow: Flow) -> None:
    first = flow.blow()
    flow.blow(departments=["CGW"])
    version = flow.deploy().definition.id
    assert counts(flow, version) == {"Task_sign": 4}
    flow.claim(flow.task(first, "Task_sign", "GHZY").id, as_="GHZY.dispatcher")
    assert counts(flow, version) == {"Task_sign": 4}  # claimed still waits at the element
    flow.complete(flow.task(first, "Task_sign", "ZJW").id, {}, as_="ZJW.dispatcher")
    assert counts(flow, version) == {"Task_sign": 3, "Task_report_in": 1}


def test_finished_cases_are_not_counted(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])
    version = flow.deploy().definition.id
    flow.run_department(case, "CGW")
    assert counts(flow, version) == {"Task_rate": 1}
    flow.rate(case, "CGW")
    assert flow.instance(case).status == InstanceStatus.COMPLETED
    assert counts(flow, version) == {}


def test_each_version_counts_only_its_own_cases(flow: Flow, tmp_path: Path) -> None:
    flow.blow(departments=["CGW"])
    first = flow.deploy().definition
    changed = tmp_path / "whistle.bpmn"  # no forms folder beside it: the deployed forms are used
    changed.write_bytes((WHISTLE_PACK / "whistle.bpmn").read_bytes() + b"<!-- v2 -->\n")
    second = flow.deploy(changed).definition
    assert second.version == first.version + 1
    flow.start("whistle", {**WHISTLE_DATA, "departments": ["GHZY", "ZJW"]}, as_="HP.officer")
    assert counts(flow, first.id) == {"Task_sign": 1}
    assert counts(flow, second.id) == {"Task_sign": 2}
    assert counts(flow, second.id + 1000) == {}
