"""The case timeline names each fired rung by its own level and action, as the policy's ladder says."""
from __future__ import annotations

import re
from datetime import datetime

from escalation.config import Escalation
from tests.support import SHANGHAI, Flow
from tests.web.conftest import Pages


def timeline(html: str) -> list[str]:
    """The text of every line of the case timeline, oldest first, tags dropped."""
    section = html[html.index('class="timeline"'):]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section[:section.index("</ol>")], flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_each_rung_is_labelled_by_its_level(pages: Pages, flow: Flow, esc: Escalation) -> None:
    flow.deploy_policy()
    case = flow.blow(departments=["CGW"], address="和平里七区 9 号楼楼顶")  # Monday 09:00; signing due 11:00
    flow.clock.set(datetime(2026, 9, 29, 17, 30, tzinfo=SHANGHAI))  # +1wd: levels 1-4 of the 签收 task fire
    flow.sweep(esc)
    lines = timeline(pages.as_("DCS.supervisor").get(f"/cases/{case}").get_data(as_text=True))
    rungs = [line.split(" · ")[:2] for line in lines if "级 · " in line]
    assert rungs == [["2026-09-29 17:30 1级", "提醒"], ["2026-09-29 17:30 2级", "告知负责人"],
                     ["2026-09-29 17:30 3级", "超期督办"], ["2026-09-29 17:30 4级", "催办通知"]]
    assert not any("升级上报" in line for line in lines)  # level 5 was never reached
    english = timeline(pages.as_("DCS.supervisor", lang="en").get(f"/cases/{case}").get_data(as_text=True))
    assert sum("Level 4 · Urging notice (催办)" in line for line in english) == 1
