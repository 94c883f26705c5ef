"""Autosave: what a department types into its 处置反馈 form survives a reload, with no button pressed."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.browser.conftest import Live, screenshot
from tests.http_client import request
from tests.support import SHANGHAI, WHISTLE_ANSWERS

pytestmark = pytest.mark.browser

RESULT = "已责令停工，违建部分明日拆除"


def _open_task(live: Live, token: str, case: int, element: str) -> int:
    """The id of the case's open task at ``element`` (the caller's departments)."""
    reply = request(live.base, "GET", "/api/v1/tasks?scope=department&status=open", token=token)
    assert reply.status == 200, reply.body
    found = [t["id"] for t in reply.body["items"] if t["instance_id"] == case and t["element_id"] == element]
    assert len(found) == 1, reply.body
    return int(found[0])


def test_the_handle_form_is_saved_as_typed_and_comes_back_after_a_reload(page_as: object, live: Live) -> None:
    live.clock.set(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    officer = live.whistle("user", "token", "DF.officer").split()[-1]
    reply = request(live.base, "POST", "/api/v1/instances", token=officer, body={"process": "whistle", "data": {
        "whistle_type": "enforcement", "category": "WFJS", "title": "东风社区3号楼违建",
        "community": "东风社区", "address": "东风社区 3 号楼", "description": "楼顶搭建彩钢房。",
        "departments": ["CGW"]}})
    assert reply.status == 201, reply.body
    case = int(reply.body["id"])
    for username, element in (("CGW.dispatcher", "Task_sign"), ("CGW.staff", "Task_report_in")):
        token = live.whistle("user", "token", username).split()[-1]
        task = _open_task(live, token, case, element)
        done = request(live.base, "POST", f"/api/v1/tasks/{task}/complete", token=token,
                       body={"data": WHISTLE_ANSWERS[element]})
        assert done.status == 200, done.body
    handle = _open_task(live, token, case, "Task_handle")

    page = page_as("CGW.staff")  # type: ignore[operator]
    page.clock.install(time=datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    page.goto(f"{live.base}/tasks/{handle}")
    # The page's timers stand still from here: the 5-second autosave timer never fires, only
    # leaving the field (a change) can save the draft.
    page.clock.pause_at(datetime(2026, 11, 17, 10, 1, tzinfo=SHANGHAI))
    result = page.locator("#complete-form textarea[name=result]")
    result.fill(RESULT)
    # Leaving the field is a change: the script saves at once instead of waiting for its timer.
    with page.expect_response(lambda r: r.url.endswith(f"/tasks/{handle}/draft") and r.request.method == "POST") \
            as answer:
        result.blur()
    assert answer.value.status == 200 and answer.value.json()["saved"] is True
    status = page.locator("[data-draft-status]")
    assert status.inner_text().startswith("草稿已保存 10:00")
    screenshot(page, f"draft-autosaved-{live.backend}")

    page.reload()
    assert page.locator("#complete-form textarea[name=result]").input_value() == RESULT
    assert "已恢复您 2026-11-17 10:00 保存的草稿" in page.locator(".draft-restored").inner_text()

    page.click("#complete-form button.complete")  # sending it ends the task, and the draft with it
    page.wait_for_selector(".flash-success")
    gone = request(live.base, "GET", f"/api/v1/tasks/{handle}/draft", token=token)
    assert gone.status == 404
