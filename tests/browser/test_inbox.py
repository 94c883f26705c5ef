"""Department staff in a real browser: two race to claim one task; a report is corrected, then completed."""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI, WHISTLE_DATA

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)  # a Monday morning: the sign clocks run
USERS = ("HP.officer", "CGW.dispatcher", "CGW.staff")


def blow(live: Live, title: str) -> tuple[int, dict[str, str]]:
    """A whistle of 和平街道 summoning CGW, blown over the API; its id and API tokens of the users."""
    lines = live.whistle("user", "token", *USERS).splitlines()
    tokens = dict(line.split(" ", 1) for line in lines if line)
    started = request(live.base, "POST", "/api/v1/instances", token=tokens["HP.officer"], body={
        "process": "whistle", "data": {**WHISTLE_DATA, "title": title, "departments": ["CGW"]}})
    assert started.status == 201, started.body
    return int(started.body["id"]), tokens


def open_task(live: Live, token: str, case: int, element: str) -> dict[str, Any]:
    """The open task of ``element`` of a case in the token holder's department queue."""
    queue = request(live.base, "GET", "/api/v1/tasks?scope=department&status=open&limit=200", token=token)
    found = [t for t in queue.body["items"] if t["instance_id"] == case and t["element_id"] == element]
    assert len(found) == 1, queue.body
    return found[0]


def fresh_title(what: str) -> str:
    """A case title no other test on this (session-wide) server uses."""
    return f"{what}{secrets.randbelow(10**8):08d}"


def at_monday(page: Any, live: Live) -> Any:
    """Server and browser both at Monday 09:00, so the countdowns agree."""
    live.clock.set(MONDAY)
    page.clock.set_fixed_time(MONDAY)
    return page


def test_two_dispatchers_race_for_one_task_and_the_loser_sees_who_won(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    title = fresh_title("楼顶违建抢签")
    blow(live, title)
    dispatcher = at_monday(page_as("CGW.dispatcher"), live)
    head = at_monday(page_as("CGW.head"), live)
    rows = {}
    for page in (dispatcher, head):
        page.goto(f"{live.base}/tasks?tab=department&q={title}")
        rows[page] = page.locator("tr.task-row", has_text=title)
        expect(rows[page]).to_have_count(1)
        expect(rows[page].locator("a.task-name")).to_have_text("签收")
        page.evaluate("window.samePage = true")  # gone if the click loaded a new page
    screenshot(dispatcher, f"inbox-department-queue-{live.backend}")

    # Both press 认领 before either answer is back; exactly one claim wins.
    rows[dispatcher].locator("button.claim").click()
    rows[head].locator("button.claim").click()
    for page in (dispatcher, head):  # each row is swapped for the answer: a message, or the release button
        expect(rows[page].locator("p.row-message, button.unclaim").first).to_be_visible()
    names = {dispatcher: "城管委接哨员", head: "城管委负责人"}
    lost = [page for page in (dispatcher, head) if rows[page].locator("p.row-message").count()]
    assert len(lost) == 1, "exactly one of the two must lose the race"
    loser = lost[0]
    winner = head if loser is dispatcher else dispatcher
    task_id = rows[loser].get_attribute("id").removeprefix("task-")
    expect(rows[loser].locator("p.row-message")).to_have_text(f"任务 {task_id} 已被 {names[winner]} 认领。")
    expect(rows[loser].locator(".holder-cell")).to_contain_text(names[winner])
    expect(rows[winner].locator(".holder-cell")).to_contain_text(names[winner])
    expect(rows[winner].locator("button.unclaim")).to_be_visible()
    assert loser.evaluate("window.samePage") and winner.evaluate("window.samePage")  # rows swapped in place
    screenshot(loser, f"inbox-claim-lost-{live.backend}")


def test_a_report_with_a_mistake_is_corrected_and_completed(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    title = fresh_title("楼顶违建报到")
    case, tokens = blow(live, title)
    sign = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    signed = request(live.base, "POST", f"/api/v1/tasks/{sign['id']}/complete", token=tokens["CGW.dispatcher"],
                     body={"data": {"contact": "王科长 13800000000"}})
    assert signed.status == 200, signed.body

    staff = at_monday(page_as("CGW.staff"), live)
    staff.goto(f"{live.base}/tasks?tab=department&q={title}")
    staff.locator("tr.task-row", has_text=title).locator("a.task-name").click()
    staff.wait_for_url(re.compile(r".*/tasks/\d+$"))
    expect(staff.locator("h1")).to_contain_text("到场报到")
    expect(staff.locator("div[data-department=CGW] article")).to_contain_text("王科长 13800000000")
    screenshot(staff, f"inbox-task-{live.backend}")

    staff.fill("input[name=on_site_staff]", "张")
    staff.fill("textarea[name=note]", "已到现场，正在取证")
    staff.click("button.complete")
    error = staff.locator("div[data-field=on_site_staff] .field-error")
    expect(error).to_have_text("至少 2 个字符。")
    assert staff.input_value("input[name=on_site_staff]") == "张"
    assert staff.input_value("textarea[name=note]") == "已到现场，正在取证"
    screenshot(staff, f"inbox-task-invalid-{live.backend}")

    staff.fill("input[name=on_site_staff]", "张三、李四")
    staff.click("button.complete")
    staff.wait_for_url(re.compile(r".*/tasks\?tab=department$"))
    expect(staff.locator(".flash-success")).to_have_text("“到场报到”已办结。")
    staff.fill("input[name=q]", title)
    staff.click("form.inbox-filters button[type=submit]")
    expect(staff.locator("tr.task-row", has_text=title).locator("a.task-name")).to_have_text("处置反馈")
    screenshot(staff, f"inbox-next-step-{live.backend}")
    staff.goto(f"{live.base}/tasks?tab=done")
    expect(staff.locator("tr.task-row", has_text=title).locator("a.task-name")).to_have_text("到场报到")


def test_a_head_approves_more_time_asked_for_on_the_task_page(page_as: Any, live: Live) -> None:
    live.clock.set(MONDAY)
    title = fresh_title("楼顶违建延期")
    case, tokens = blow(live, title)
    sign = open_task(live, tokens["CGW.dispatcher"], case, "Task_sign")
    dispatcher = at_monday(page_as("CGW.dispatcher"), live)
    dispatcher.goto(f"{live.base}/tasks/{sign['id']}")
    dispatcher.select_option("#extension select[name=clock]", "complete")
    dispatcher.fill("#extension input[name=extension]", "1wd")
    dispatcher.fill("#extension textarea[name=reason]", "产权单位联系不上，需要多一天")
    dispatcher.click("#extension button[type=submit]")
    expect(dispatcher.locator(".flash-success")).to_contain_text("延期申请已提交")
    expect(dispatcher.locator(".extension-history")).to_contain_text("待负责人审批")

    head = at_monday(page_as("CGW.head"), live)
    head.goto(f"{live.base}/tasks/extensions")
    row = head.locator("tr", has_text=title)
    expect(row).to_contain_text("产权单位联系不上")
    screenshot(head, f"inbox-extensions-{live.backend}")
    row.locator("input[name=note]").fill("同意")
    row.locator("button.primary").click()
    expect(head.locator(".flash-success")).to_have_text("已批准延期，期限已顺延。")
    dispatcher.reload()
    expect(dispatcher.locator(".extension-history")).to_contain_text("已批准")
