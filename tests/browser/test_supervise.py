"""A supervisor watches a whistle run late on the overdue board, and presses the department (督办)."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI

pytestmark = pytest.mark.browser

RED = "rgb(198, 40, 40)"  # --red of whistle.css


def blow(live: Live) -> int:
    """Blow a whistle over HTTP as 太平乡's officer, summoning 区园林绿化局; returns the case id."""
    token = live.whistle("user", "token", "TP.officer").split()[-1]  # one user: the token alone
    reply = request(live.base, "POST", "/api/v1/instances", token=token, body={"process": "whistle", "data": {
        "whistle_type": "enforcement", "category": "LHYL", "title": "太平村古槐倒伏压住围墙",
        "community": "太平村", "address": "太平村村委会东侧",
        "description": "大风吹倒古槐，压住居民院墙，需园林部门处置。",
        "departments": ["YLLH"]}})
    assert reply.status == 201, reply.body
    return int(reply.body["id"])


def test_the_board_shows_a_whistle_once_its_sign_deadline_passes(page_as: object, live: Live) -> None:
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # sign within 2 working hours: by 11:00
    live.clock.set(monday)
    case = blow(live)
    page = page_as("DCS.supervisor")  # type: ignore[operator]
    page.goto(f"{live.base}/supervise?street=TP")
    assert page.locator("h1").inner_text() == "超期督办"
    rows = page.locator(f'tr.overdue-row:has(a[href="/cases/{case}"])')
    assert rows.count() == 0

    live.clock.set(datetime(2026, 11, 16, 11, 30, tzinfo=SHANGHAI))
    live.whistle("sweep")  # the 50%, 80% and 100% rungs fire
    page.reload()
    assert rows.count() == 1  # the signing task, once: its sign-in and completion clocks are one deadline
    row = rows.first
    assert "level-3" in (row.get_attribute("class") or "")
    badge = row.locator(".badge")
    assert badge.inner_text() == "3级 · 超期督办"
    assert badge.evaluate("node => getComputedStyle(node).color") == RED
    assert row.locator("td").first.evaluate("node => getComputedStyle(node).borderLeftColor") == RED
    assert row.locator(".lateness strong").inner_text() == "30分钟"
    assert "签收时限" in row.inner_text() and "未签收" in row.inner_text()
    for name in ("departments", "levels", "trend"):
        page.wait_for_selector(f'[data-chart="{name}"][data-ready="1"]')
        assert page.locator(f'[data-chart="{name}"] canvas').count() == 1
    screenshot(page, f"supervise-board-{live.backend}")

    row.locator('button[value="duban"]').click()
    page.wait_for_selector(".flash-success")
    assert "督办通知已发送给" in page.locator(".flash-success").inner_text()
    assert page.url.endswith("/supervise?street=TP")
    assert "已督催 1 次" in rows.first.inner_text()
    screenshot(page, f"supervise-urged-{live.backend}")
    page.click("nav.subnav >> text=部门考评")
    assert page.locator('tr[data-department="YLLH"] td[data-col="overdue"]').inner_text() == "1"
    screenshot(page, f"supervise-departments-{live.backend}")

    head = page_as("YLLH.head")  # type: ignore[operator]
    head.goto(f"{live.base}/notifications")
    assert "督办通知（区委区政府督查室督办员）：请区园林绿化局立即办理案件“太平村古槐倒伏压住围墙”" in head.content()
    head.goto(f"{live.base}/supervise/departments/YLLH")
    assert head.locator(f'tr[data-task] a[href="/cases/{case}"]').count() == 1
    screenshot(head, f"supervise-department-{live.backend}")
