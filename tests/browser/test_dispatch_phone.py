"""人机协同 on a 390×844 phone: the dispatcher confirms one machine suggestion with one tap and overrides
another with a reason; the pages fit the phone and the cases record what was chosen."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import LAYOUT_ONLY, Live, screenshot
from tests.browser.test_phone import assert_fits, on_phone
from tests.http_client import request

pytestmark = pytest.mark.browser

REQUEST = {"channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD",
           "street": "HP", "community": "和平里社区", "address": "和平里七区 5 号楼",
           "description": "5 号楼停水两天，物业不回应。", "requester_phone": "13800000000", "disposition": "dispatch"}


def tokens(live: Live, *users: str) -> dict[str, str]:
    """API tokens of ``users``."""
    lines = live.whistle("user", "token", *users).splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("valid until"))


def dispatch_task(live: Live, token: str, case: int) -> int:
    """The id of the case's open 派单 task."""
    queue = request(live.base, "GET", f"/api/v1/tasks?scope=department&status=open&instance={case}", token=token)
    return next(t["id"] for t in queue.body["items"] if t["element_id"] == "Task_dispatch")


def handler_chosen(live: Live, token: str, case: int) -> str:
    """The handler the dispatcher's completion recorded."""
    history = request(live.base, "GET", f"/api/v1/instances/{case}", token=token).body["history"]
    return next(h["payload"]["data"]["handler"] for h in history
                if h["action"] == "completed" and h["payload"].get("task") == "派单（确认或改派）")


@pytest.mark.parametrize("live", LAYOUT_ONLY, indirect=True)
def test_the_dispatcher_confirms_one_suggestion_and_overrides_another(page_as: Any, live: Live) -> None:
    keys = tokens(live, "SFQ-CY.clerk", "SFQ-CY.dispatcher")
    cases = []
    for category in ("SDGD", "HJWS"):  # 停水 → 水务局 (75 %); 暴露垃圾 → the street of the place (80 %)
        started = request(live.base, "POST", "/api/v1/instances", token=keys["SFQ-CY.clerk"],
                          body={"process": "ywtb", "data": {**REQUEST, "category": category}})
        assert started.status == 201, started.body
        cases.append(started.body["id"])
    page = on_phone(page_as("SFQ-CY.dispatcher"))

    page.goto(f"{live.base}/tasks/{dispatch_task(live, keys['SFQ-CY.dispatcher'], cases[0])}")
    hint = page.locator("[data-suggested=handler]")
    assert hint.is_visible() and "置信度 75%" in hint.inner_text()
    assert page.locator("select[name=handler]").input_value() == "SWJ"
    assert_fits(page, "dispatch with a suggestion")
    screenshot(page, f"phone-dispatch-suggestion-{live.backend}")
    page.click("#complete-form button.complete")
    page.wait_for_url(re.compile(r".*/tasks(\?.*)?$"))
    assert handler_chosen(live, keys["SFQ-CY.dispatcher"], cases[0]) == "SWJ"

    page.goto(f"{live.base}/tasks/{dispatch_task(live, keys['SFQ-CY.dispatcher'], cases[1])}")
    assert page.locator("select[name=handler]").input_value() == "HP"
    page.select_option("select[name=handler]", "CGW")
    page.fill("textarea[name=override_reason], input[name=override_reason]", "大件垃圾需城管委清运")
    page.click("#complete-form button.complete")
    page.wait_for_url(re.compile(r".*/tasks(\?.*)?$"))
    assert handler_chosen(live, keys["SFQ-CY.dispatcher"], cases[1]) == "CGW"

    # The supervisor reads this week's agreement on a phone: two suggestions, one taken.
    board = on_phone(page_as("DCS.supervisor"))
    board.goto(f"{live.base}/supervise/suggestions?process=ywtb")
    cells = board.locator("table[data-table=weeks] tbody tr").first.locator("td")
    assert [c.strip() for c in cells.all_inner_texts()[1:]] == ["2", "1", "50.0%", "0 / 0"]  # none learned
    assert_fits(board, "suggestions taken")
    screenshot(board, f"phone-suggestions-{live.backend}")
