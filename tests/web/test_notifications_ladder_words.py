"""A ladder notice reads its rung's lateness in words, in the reader's language, as the policy set it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lxml import html as lxml_html

from escalation.config import Escalation
from tests.escalation.test_policy_words import CUIBAN, ESCALATE, policy_file
from tests.support import SHANGHAI, Flow
from tests.web.conftest import Pages


def texts(html: str, fragment: str) -> list[str]:
    """The notifications on the panel that contain ``fragment``."""
    found = [" ".join(n.text_content().split()) for n in lxml_html.fromstring(html).xpath("//*[@class='note-text']")]
    return [text for text in found if fragment in text]


def test_a_rung_three_working_days_late_says_so_in_both_languages(pages: Pages, flow: Flow, esc: Escalation,
                                                                  tmp_path: Path) -> None:
    flow.deploy()
    flow.deploy_policy(policy_file(tmp_path, (CUIBAN, CUIBAN.replace("+1wd", "+3wd")),
                                   (ESCALATE, ESCALATE.replace("+5wd", "+4wd"))))
    flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS", title="楼顶违建")
    flow.clock.set(datetime(2026, 10, 10, 17, 30, tzinfo=SHANGHAI))
    flow.sweep(esc)
    chinese = pages.as_("CGW.head").get("/notifications").get_data(as_text=True)
    assert texts(chinese, "催办通知书") == ["催办通知书：区城市管理委员会 签收案件“楼顶违建”的“签收”已超期3个工作日。"]
    english = pages.as_("CGW.head", lang="en").get("/notifications").get_data(as_text=True)
    assert texts(english, "Urging notice") == [
        "Urging notice: 区城市管理委员会 is 3 working days late signing for 签收 of case 楼顶违建."]
    leader = pages.as_("QLD.leader", lang="en").get("/notifications").get_data(as_text=True)
    assert texts(leader, "Escalated") == [
        "Escalated: 区城市管理委员会 is 4 working days late signing for 签收 of case 楼顶违建."]


def test_the_shipped_ladder_reads_one_and_five_working_days(pages: Pages, flow: Flow, esc: Escalation) -> None:
    flow.deploy()
    flow.deploy_policy()
    flow.blow(departments=["CGW"], whistle_type="enforcement", category="WFJS", title="楼顶违建")
    flow.clock.set(datetime(2026, 10, 10, 17, 30, tzinfo=SHANGHAI))
    flow.sweep(esc)
    assert texts(pages.as_("CGW.head").get("/notifications").get_data(as_text=True), "催办通知书") == [
        "催办通知书：区城市管理委员会 签收案件“楼顶违建”的“签收”已超期1个工作日。"]
    assert texts(pages.as_("QLD.leader").get("/notifications").get_data(as_text=True), "升级上报") == [
        "升级上报：区城市管理委员会 签收案件“楼顶违建”的“签收”已超期5个工作日。"]
