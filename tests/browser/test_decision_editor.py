"""A designer edits a rule of the 一网通办 dispatch table in the browser (vendored dmn-js) and deploys it;
the next request is decided with the new table (phone width: the table scrolls inside its box)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import assert_fits, on_phone
from tests.http_client import request

pytestmark = pytest.mark.browser

REQUEST = {"channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "HJWS",
           "street": "HP", "community": "和平里社区", "address": "和平里八区垃圾站",
           "description": "垃圾站满溢。", "requester_phone": "13800000000", "disposition": "dispatch"}


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
def test_a_designer_edits_a_rule_and_deploys_it(page_as: Any, live: Live) -> None:
    page = page_as("designer")
    page.goto(f"{live.base}/design/ywtb")
    page.click("a[data-decision=ywtb_dispatch]")
    page.wait_for_url(re.compile(r".*/design/ywtb/decisions/ywtb_dispatch$"))
    page.wait_for_selector("#decision-editor[data-ready=true]")
    # The first rule (暴露垃圾、道路不洁 → the street) is trusted at 0.8; the designer raises it to 0.95.
    cell = page.locator(".tjs-table tbody tr").first.locator("td.output-cell").nth(1)
    assert cell.inner_text().strip() == "0.8"
    cell.locator(".content-editable, [contenteditable]").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.95")
    page.click("h1")  # leave the cell so the edit is committed
    page.click("#decision-deploy")
    page.wait_for_selector("#decision-status.flash-success")
    assert page.locator("#decision-status").inner_text() == "已部署 ywtb，版本 2。"
    screenshot(page, f"decision-editor-{live.backend}")

    token = live.whistle("user", "token", "SFQ-CY.clerk").strip()
    dispatcher = live.whistle("user", "token", "SFQ-CY.dispatcher").strip()
    started = request(live.base, "POST", "/api/v1/instances", token=token, body={"process": "ywtb", "data": REQUEST})
    assert started.status == 201, started.body
    assert started.body["version"] == 2
    queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={started.body['id']}",
                    token=dispatcher)
    task = next(t for t in queue.body["items"] if t["element_id"] == "Task_dispatch")
    phone = on_phone(page_as("SFQ-CY.dispatcher"))
    phone.goto(f"{live.base}/tasks/{task['id']}")
    assert "置信度 95%" in phone.locator("[data-suggested=handler]").inner_text()

    on_phone(page)
    page.goto(f"{live.base}/design/ywtb/decisions/ywtb_dispatch")
    page.wait_for_selector("#decision-editor[data-ready=true]")
    assert_fits(page, "decision editor")
