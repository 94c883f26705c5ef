"""The ladder's words, whom it reaches and what counts as 报到 come from the policy, not from the code."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import User
from escalation import supervision
from escalation.config import Escalation
from escalation.models import EscalationRecord, Notification
from escalation.policies import read_policy
from tests.support import SHANGHAI, WHISTLE_PACK, Flow

POLICY = (WHISTLE_PACK / "policies" / "whistle.yaml").read_text(encoding="utf-8")
CUIBAN = '{level: 4, at: "+1wd", action: cuiban_notice, to: [head, supervisor]}'
ESCALATE = '{level: 5, at: "+5wd", action: escalate, to: [district_leader], reassign: true}'
RULES = "report_in_rules: [sign, arrive]"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 Beijing instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def policy_file(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The shipped policy with ``changes`` (old, new) made, written to a file."""
    text = POLICY
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "whistle.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def notices(flow: Flow, username: str, kind: str) -> list[tuple[str, dict[str, object]]]:
    """(template, params) of the notices of ``kind`` a user received."""
    with flow.db.transaction(write=False) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        rows = session.execute(select(Notification).where(Notification.user_id == user.id,
                                                          Notification.kind == kind)).scalars()
        return [(n.template, dict(n.params)) for n in rows]


def test_the_urging_notice_quotes_the_offset_the_policy_gives_its_rung(flow: Flow, esc: Escalation,
                                                                       tmp_path: Path) -> None:
    flow.deploy_policy(policy_file(tmp_path, (CUIBAN, CUIBAN.replace("+1wd", "+3wd"))))
    case = flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")  # 签收 due Mon 11:00
    flow.clock.set(at(9, 30, 17, 30))  # close of the 2nd working day after: not yet 3 working days late
    flow.sweep(esc)
    assert notices(flow, "CGW.head", "cuiban_notice") == []
    flow.clock.set(at(10, 9, 17, 30))  # the 3rd working day after Monday, the National Day week skipped
    flow.sweep(esc)
    [(template, params)] = notices(flow, "CGW.head", "cuiban_notice")
    assert template == "Urging notice: {department} is {late} late signing for {task} of case {case}."
    assert params["late"] == "3wd" and params["case_id"] == case


def test_the_shipped_ladder_still_says_one_and_five_working_days(flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")
    flow.clock.set(at(10, 10, 17, 30))
    flow.sweep(esc)
    assert [p["late"] for _, p in notices(flow, "CGW.head", "cuiban_notice")] == ["1wd"]
    assert [p["late"] for _, p in notices(flow, "QLD.leader", "escalate")] == ["5wd"]


def test_a_share_rung_given_an_offset_action_names_the_deadline_instead(flow: Flow, esc: Escalation,
                                                                        tmp_path: Path) -> None:
    flow.deploy_policy(policy_file(tmp_path, (CUIBAN, CUIBAN.replace("+1wd", "100%"))))
    flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")
    flow.clock.set(at(9, 28, 11, 0))
    flow.sweep(esc)
    [(template, params)] = notices(flow, "CGW.head", "cuiban_notice")
    assert "{late}" not in template and "{deadline}" in template and "late" not in params


def test_the_policy_names_whom_each_rung_reaches(flow: Flow, esc: Escalation, tmp_path: Path) -> None:
    # Level 2 to the district's leaders (a district role: everyone holding it), level 3 to the head only.
    flow.deploy_policy(policy_file(tmp_path, ("action: notify, to: [head]", "action: notify, to: [district_leader]"),
                                   ("to: [head, supervisor], colour: red", "to: [head], colour: red")))
    case = flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")
    flow.clock.set(at(9, 28, 11, 0))
    flow.sweep(esc)
    with flow.db.transaction(write=False) as session:
        rows = session.execute(select(EscalationRecord.level, EscalationRecord.targets)
                               .where(EscalationRecord.instance_id == case).order_by(EscalationRecord.level)).all()
    assert [(level, list(targets)) for level, targets in rows] == [
        (1, ["CGW.dispatcher"]), (2, ["QLD.leader"]), (3, ["CGW.head"])]


def test_a_department_role_named_as_target_reaches_only_the_tasks_unit(flow: Flow, esc: Escalation,
                                                                         tmp_path: Path) -> None:
    # dept_head as a role code (as policies deployed before `head` existed wrote it): CGW's head, not ZJW's.
    flow.deploy_policy(policy_file(tmp_path, ("action: notify, to: [head]", "action: notify, to: [dept_head]")))
    case = flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS")
    flow.clock.set(at(9, 28, 10, 36))
    flow.sweep(esc)
    with flow.db.transaction(write=False) as session:
        targets = session.execute(select(EscalationRecord.targets).where(
            EscalationRecord.instance_id == case, EscalationRecord.level == 2)).scalar_one()
    assert list(targets) == ["CGW.head"]


@pytest.mark.parametrize("change,broken,key,fragment", [
    ("to: [district_leader]", "to: [区领导]", "to", "to must list targets among assignee, head, a role code"),
    (RULES, "report_in_rules: [sign, nowhere]", "report_in_rules", "names nowhere, which clocks does not define"),
    (RULES, "report_in_rules: sign", "report_in_rules", "report_in_rules must list the clocks"),
])
def test_policy_mistakes_in_targets_and_report_in_rules_are_located(change: str, broken: str, key: str,
                                                                     fragment: str) -> None:
    line = POLICY[:POLICY.index(change)].count("\n") + 1
    policy, problems = read_policy(POLICY.replace(change, broken), "whistle.yaml")
    assert policy is None
    assert [(p.line, p.element) for p in problems if fragment in p.message] == [(line, key)]


def test_report_in_rules_are_required_of_a_new_policy_not_of_a_stored_one() -> None:
    without = POLICY.replace(RULES, "")
    policy, problems = read_policy(without, "whistle.yaml")
    assert policy is None and [p.element for p in problems] == ["report_in_rules"]
    stored, problems = read_policy(without, "whistle.yaml", stored=True)
    assert problems == [] and stored is not None and stored.report_in_rules == frozenset()
    shipped, _ = read_policy(POLICY, "whistle.yaml")
    assert shipped is not None and shipped.report_in_rules == {"sign", "arrive"}


def report_in_rate(flow: Flow) -> float | None:
    """CGW's 报到率 now."""
    with flow.db.transaction(write=False) as session:
        return supervision.department_stats(session, "CGW", flow.clock.now()).report_in_rate


def test_the_report_in_rate_counts_the_clocks_the_newest_policy_names(flow: Flow, tmp_path: Path) -> None:
    flow.deploy_policy()
    done = flow.blow(departments=["CGW"])
    for _ in range(3):
        flow.blow(departments=["CGW"])  # never signed: three 签收 late
    flow.clock.set(at(9, 28, 9, 30))
    flow.run_department(done, "CGW")  # 签收 and 到场 on time
    flow.clock.set(at(10, 1, 12, 0))
    assert report_in_rate(flow) == 0.4  # 2 of 5 steps, as the shipped policy counts them
    flow.deploy_policy(policy_file(tmp_path, (RULES, "report_in_rules: [sign]")))
    assert report_in_rate(flow) == 0.25  # the newest version reads the same record: 1 of 4 签收
    flow.deploy_policy(policy_file(tmp_path, (RULES, "report_in_rules: [arrive]")))
    assert report_in_rate(flow) == 1.0
    flow.deploy_policy(policy_file(tmp_path, (RULES, "report_in_rules: []")))
    assert report_in_rate(flow) is None
