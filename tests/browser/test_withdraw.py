"""A street officer withdraws a whistle blown twice; the summoned department reads why."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser

REASON = "与第一次吹哨重复，已合并处理"


def test_an_officer_withdraws_a_duplicate_whistle_and_the_department_is_told(page_as: object, live: Live) -> None:
    live.clock.set(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    token = live.whistle("user", "token", "DF.officer").split()[-1]
    reply = request(live.base, "POST", "/api/v1/instances", token=token, body={"process": "whistle", "data": {
        "whistle_type": "enforcement", "category": "WFJS", "title": "东风社区3号楼违建（重复）",
        "community": "东风社区", "address": "东风社区 3 号楼", "description": "楼顶搭建彩钢房。",
        "departments": ["STHJ"]}})
    assert reply.status == 201, reply.body
    case = int(reply.body["id"])

    page = page_as("DF.officer")  # type: ignore[operator]
    page.goto(f"{live.base}/cases/{case}")
    form = page.locator("#withdraw form")
    assert not form.is_visible()  # two steps: the form opens only on purpose
    page.click("#withdraw summary")
    page.fill("#withdraw textarea[name=reason]", REASON)
    page.check("#withdraw input[name=confirm]")  # the confirmation the server requires
    screenshot(page, f"case-withdraw-{live.backend}")
    page.click("#withdraw button.danger")
    page.wait_for_selector(".flash-success")
    assert "案件已撤销" in page.locator(".flash-success").inner_text()
    assert page.locator("h1 + p .badge").inner_text() == "已撤销"
    assert page.locator("#withdraw").count() == 0
    assert REASON in page.locator("li.kind-instance_cancelled").inner_text()

    page.goto(f"{live.base}/whistles/{case}")
    assert page.locator("tr[data-department=STHJ] td[data-stage=sign]").get_attribute("data-state") == "stopped"
    assert REASON in page.locator(".withdrawn-note").inner_text()

    department = page_as("STHJ.dispatcher")  # type: ignore[operator]
    department.goto(f"{live.base}/notifications")
    note = department.locator("li.note", has_text="东风社区3号楼违建（重复）")
    assert note.count() == 1 and REASON in note.inner_text()
    note.locator("a").click()
    department.wait_for_url(f"**/cases/{case}")
    assert department.locator("#withdraw").count() == 0  # the department reads the record, cannot withdraw
