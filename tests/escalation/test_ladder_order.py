"""The 督办 ladder follows the district's sourced ladder: rungs in the order they fall due (docs/escalation.md)."""
from __future__ import annotations

import yaml
from sqlalchemy import select

from escalation.models import TaskDeadline
from escalation.policies import read_policy
from tests.support import DEMO_CITY, WHISTLE_PACK, Flow


def test_the_policy_ladder_is_the_district_ladder() -> None:
    district = yaml.safe_load((DEMO_CITY / "district.yaml").read_text(encoding="utf-8"))["ladder"]
    text = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")
    policy, problems = read_policy(text, "whistle.yaml")
    assert policy is not None and problems == []
    assert [(s.level, s.at, s.action.value) for s in policy.ladder] == [
        (r["level"], r["at"], r["action"]) for r in district]
    # 超期督办 at the deadline itself, 催办通知书 the working day after (SOURCES.md, 数字城管).
    actions = {s.action.value: s for s in policy.ladder}
    assert actions["overdue_duban"].level < actions["cuiban_notice"].level
    assert actions["overdue_duban"].is_due_level and actions["cuiban_notice"].offset is not None


def test_each_rung_falls_due_after_the_one_below(flow: Flow) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"], address="和平里七区 8 号楼楼顶")
    task = flow.task(case, "Task_sign", "CGW")
    with flow.db.transaction(write=False) as session:
        due = list(session.execute(select(TaskDeadline.due_at).where(
            TaskDeadline.task_id == task.id, TaskDeadline.clock == "complete").order_by(TaskDeadline.level)).scalars())
    assert len(due) == 5 and due == sorted(due) and len(set(due)) == 5
