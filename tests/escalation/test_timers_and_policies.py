"""Policies read with located errors; working-time timer expressions; timers fired by the sweep."""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import HumanTask, TaskStatus
from escalation.config import Escalation
from escalation.limits import Limit, Unit
from escalation.models import TaskDeadline
from escalation.policies import ClockKind, read_policy
from tests.support import FIXTURES, SHANGHAI, WHISTLE_PACK, Flow

POLICY = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def test_the_shipped_policy_reads_and_resolves_limits_by_type_and_category() -> None:
    policy, problems = read_policy(POLICY, "whistle.yaml")
    assert problems == [] and policy is not None
    enforcement = {"whistle_type": "enforcement", "category": "HJWS"}
    assert policy.clock_limits("complete", enforcement) == [
        (ClockKind.REPORT_IN, Limit(2, Unit.WORK_HOURS)), (ClockKind.COMPLETE, Limit(4, Unit.WORK_HOURS))]
    emergency = {"whistle_type": "emergency", "category": "HJWS"}
    assert policy.clock_limits("arrive", emergency) == [(ClockKind.COMPLETE, Limit(30, Unit.MINUTES))]
    assert policy.clock_limits("nonsense", emergency) == []
    assert policy.clock_limits("sign", {"whistle_type": "unknown"}) == []
    assert [s.level for s in policy.ladder] == [1, 2, 3, 4, 5]
    assert [s.is_due_level for s in policy.ladder] == [False, False, True, False, False]


@pytest.mark.parametrize("change,key,fragment", [
    ("enforcement:  {sign: 2wh,", "sign", "'2weeks' is not a time limit"),
    ("action: notify", "action", "action shout is not one of"),
    ('at: "80%"', "at", "a share must be between"),
    ("sign:     {report_in: sign, complete: sign}", "report_in", "names signing, which no row"),
    ("limits_by: whistle_type", "limits_by", "name the case variable"),
])
def test_policy_mistakes_are_located(change: str, key: str, fragment: str) -> None:
    broken = {
        "enforcement:  {sign: 2wh,": "enforcement:  {sign: 2weeks,",
        "action: notify": "action: shout",
        'at: "80%"': 'at: "180%"',
        "sign:     {report_in: sign, complete: sign}": "sign:     {report_in: signing, complete: sign}",
        "limits_by: whistle_type": "limits_by: ''",
    }[change]
    assert change in POLICY
    line = POLICY[:POLICY.index(change)].count("\n") + 1
    policy, problems = read_policy(POLICY.replace(change, broken), "whistle.yaml")
    assert policy is None
    assert [(p.line, p.element) for p in problems if fragment in p.message] == [(line, key)]


def test_yaml_that_does_not_parse_is_located() -> None:
    _, problems = read_policy("process: whistle\nlimits: {a: [\n", "p.yaml")
    assert len(problems) == 1 and problems[0].line is not None and "not valid YAML" in problems[0].message


def test_an_emergency_whistle_counts_clock_time_through_a_holiday_night(flow: Flow) -> None:
    flow.deploy_policy()
    flow.clock.set(at(10, 1, 23, 50))  # National Day, at night
    case = flow.blow(departments=["CGW"], whistle_type="emergency", category="SDGD")
    sign = flow.task(case, "Task_sign", "CGW")
    flow.clock.set(at(10, 1, 23, 55))
    flow.complete(sign.id, {}, as_="CGW.dispatcher")
    arrive = flow.task(case, "Task_report_in", "CGW")
    with flow.db.transaction(write=False) as session:
        sign_due = session.execute(select(TaskDeadline.deadline_at).where(
            TaskDeadline.task_id == sign.id, TaskDeadline.is_due_level.is_(True))).scalars().all()
        arrive_due = session.execute(select(TaskDeadline.deadline_at).where(
            TaskDeadline.task_id == arrive.id, TaskDeadline.is_due_level.is_(True))).scalars().all()
    assert set(sign_due) == {at(10, 2, 0, 5)}  # 15 minutes after the whistle
    assert arrive_due == [at(10, 2, 0, 20)]  # 30 minutes after the whistle, not after signing


@pytest.fixture
def working_hours_timer(tmp_path: Path) -> Path:
    """The boundary-timer fixture with ``work_hours(4)`` instead of ``PT2H``."""
    source = FIXTURES / "bpmn" / "valid"
    target = tmp_path / "timer_work_hours.bpmn"
    target.write_text((source / "timer_escalation.bpmn").read_text(encoding="utf-8")
                      .replace("<bpmn:timeDuration>PT2H</bpmn:timeDuration>",
                               "<bpmn:timeDuration>work_hours(4)</bpmn:timeDuration>"), encoding="utf-8")
    shutil.copytree(source / "forms", tmp_path / "forms")
    return target


def test_a_working_hours_timer_fires_from_the_sweep_at_its_working_instant(flow: Flow, esc: Escalation,
                                                                           working_hours_timer: Path) -> None:
    flow.deploy(working_hours_timer)
    flow.clock.set(at(11, 27, 16, 0))  # Friday 16:00
    case = flow.start("timer_escalation", {"department": "ZJW", "description": "道路积水需疏通排水管道"},
                      as_="HP.officer")
    # 1.5 h on Friday, 2.5 h on Monday morning.
    assert flow.instance(case).next_timer_at == at(11, 30, 11, 0)
    flow.clock.set(at(11, 30, 10, 59))
    assert flow.sweep(esc).timers == 0
    flow.clock.set(at(11, 30, 11, 0, 1))
    report = flow.sweep(esc)
    assert (report.timers, report.failed) == (1, 0)
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(HumanTask.element_id, HumanTask.status).where(HumanTask.instance_id == case)
                               .order_by(HumanTask.id)).all()
    assert rows == [("Task_handle", TaskStatus.CANCELLED), ("Task_urge", TaskStatus.OPEN)]
    assert flow.instance(case).next_timer_at is None
    assert flow.sweep(esc).timers == 0


def test_timer_expressions_must_name_known_functions(flow: Flow, working_hours_timer: Path) -> None:
    from engine.errors import DefinitionInvalid

    working_hours_timer.write_text(working_hours_timer.read_text(encoding="utf-8").replace(
        "work_hours(4)", "work_weeks(4)"), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as error:
        flow.deploy(working_hours_timer)
    assert [(p.element, "unknown function work_weeks" in p.message) for p in error.value.problems] == [
        ("Timer_2h", True)]


def test_deadlines_need_no_policy_to_run_cases(flow: Flow) -> None:
    case = flow.blow(departments=["CGW"])  # no policy deployed: no rungs, the case still runs
    sign = flow.task(case, "Task_sign", "CGW")
    with flow.db.transaction(write=False) as session:
        assert session.execute(select(TaskDeadline.id).where(TaskDeadline.task_id == sign.id)).first() is None
